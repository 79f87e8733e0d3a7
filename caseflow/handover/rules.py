"""Guards and decide steps of the handover: who may record it, and the deadline it is measured
against (its evolve steps: ``evolve.py``)."""

from __future__ import annotations

from flask_babel import gettext as _

from caseflow.handover.evolve import latest
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


def measure(handed_over_at, encounter_at, limit_hours: int) -> dict:
    """Time from the encounter to the handover, to the second; late means over the limit."""
    if encounter_at is None:
        return {"elapsed_seconds": None, "hours_since_encounter": None, "late": False}
    seconds = int((handed_over_at - encounter_at).total_seconds())
    return {"elapsed_seconds": seconds, "hours_since_encounter": seconds // 3600, "late": seconds > limit_hours * 3600}


@effect("record_handover", needs=("settings.handover_time_limit_hours",))
def record_handover(ctx):
    limit = ctx.settings["handover_time_limit_hours"]
    m = measure(ctx.data["handed_over_at"], ctx.subject.encounter_at, limit)
    ctx.details.update({"hours_since_encounter": m["hours_since_encounter"], "elapsed_seconds": m["elapsed_seconds"],
                        "limit_hours": limit, "late": m["late"]})


@effect("remeasure_handover", needs=("settings.handover_time_limit_hours",))
def remeasure_handover(ctx) -> None:
    """After a correction of the encounter time: the hours and the late flag follow."""
    h = latest(ctx.rows)
    if h is None:
        return
    m = measure(h.handed_over_at, ctx.subject.encounter_at, ctx.settings["handover_time_limit_hours"])
    if (m["elapsed_seconds"], m["late"]) != (h.elapsed_seconds, h.late):
        ctx.details["handover"] = {"elapsed_seconds": [h.elapsed_seconds, m["elapsed_seconds"]],
                                   "late": [h.late, m["late"]]}
