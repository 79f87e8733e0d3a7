"""Guards and effects of the handover: who may record it, and the deadline it is measured against."""

from __future__ import annotations

from flask_babel import gettext as _

from caseflow.handover.models import Handover
from caseflow.handover.schemas import HandoverSchema
from caseflow.workflow.registry import effect, guard, register_schema

register_schema("handover", HandoverSchema)


@guard("actor_is_receiving_org")
def actor_is_receiving_org(ctx):
    case = ctx.subject
    if case.receiving_org_id is None or ctx.actor.organisation_id != case.receiving_org_id:
        return _("Only the receiving organisation records what concerns this child now.")
    return None


@guard("handover_after_encounter")
def handover_after_encounter(ctx):
    """The clock starts at the encounter: without one no handover can be measured, and a handover
    cannot come before it."""
    if ctx.subject.encounter_at is None:
        return _("The encounter time is not recorded: correct the record first.")
    if ctx.data is None:
        return None
    if ctx.data["handed_over_at"] < ctx.subject.encounter_at:
        return {"handed_over_at": _("The handover cannot be before the encounter.")}
    return None


def measure(handover: Handover, encounter_at, limit_hours: int) -> None:
    """Time from the encounter to the handover, to the second; late means over the limit."""
    if encounter_at is None:
        handover.elapsed_seconds = handover.hours_since_encounter = None
        handover.late = False
        return
    seconds = int((handover.handed_over_at - encounter_at).total_seconds())
    handover.elapsed_seconds = seconds
    handover.hours_since_encounter = seconds // 3600
    handover.late = seconds > limit_hours * 3600


@effect("record_handover", needs=("settings.handover_time_limit_hours",), touches=("handover", "case"))
def record_handover(ctx):
    case, data = ctx.subject, ctx.data
    limit = ctx.settings["handover_time_limit_hours"]
    h = Handover(case=case, case_id=case.id, receiving_org_id=case.receiving_org_id, recorded_by_id=ctx.actor.id,
                 recorded_at=ctx.now, **data)
    measure(h, case.encounter_at, limit)
    ctx.session.add(h)
    case.custody_end = case.custody_end or data["handed_over_at"]
    ctx.details.update({"hours_since_encounter": h.hours_since_encounter, "elapsed_seconds": h.elapsed_seconds,
                        "limit_hours": limit, "late": h.late})


@effect("remeasure_handover", needs=("settings.handover_time_limit_hours",), touches=("handover",))
def remeasure_handover(ctx) -> None:
    """After a correction of the encounter time: the hours and the late flag follow."""
    h = Handover.latest(ctx.session, ctx.subject.id)
    if h is None:
        return
    before = (h.elapsed_seconds, h.late)
    measure(h, ctx.subject.encounter_at, ctx.settings["handover_time_limit_hours"])
    if (h.elapsed_seconds, h.late) != before:
        ctx.details["handover"] = {"elapsed_seconds": [before[0], h.elapsed_seconds], "late": [before[1], h.late]}
