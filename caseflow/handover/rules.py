"""Guards and effects of the handover: who may record it, and the deadline it is measured against."""

from __future__ import annotations

from flask_babel import gettext as _

from caseflow.audit.hashing import plain
from caseflow.cases.schemas import split_changes
from caseflow.handover.models import Handover
from caseflow.handover.schemas import HandoverSchema, JusticeTransferSchema
from caseflow.workflow.registry import effect, guard, register_schema

register_schema("handover", HandoverSchema)
register_schema("justice_transfer", JusticeTransferSchema)


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


@guard("transfer_after_encounter")
def transfer_after_encounter(ctx):
    """As for a handover: the clock starts at the encounter, and a transfer cannot come before it."""
    if ctx.subject.encounter_at is None:
        return _("The encounter time is not recorded: correct the record first.")
    if ctx.data is not None and ctx.data["transferred_at"] < ctx.subject.encounter_at:
        return {"transferred_at": _("The transfer cannot be before the encounter.")}
    return None


@effect("record_justice_transfer", needs=("settings.handover_time_limit_hours",), touches=("case",))
def record_justice_transfer(ctx):
    """The child leaves the detaining force for the juvenile justice system: the custody continues
    (the child is still detained, by another authority, in another facility, both recorded as they
    change), and the time since the encounter is measured against the handover limit, as a
    handover's is, late flag included."""
    case, data = ctx.subject, ctx.data
    limit = ctx.settings["handover_time_limit_hours"]
    changes = {}
    for field, new in (("detaining_authority", data["receiving_authority"]), ("facility_type", data["facility_type"]),
                       ("facility_reference", data.get("facility_reference"))):
        old = getattr(case, field)
        if plain(old) != plain(new):
            setattr(case, field, new)
            changes[field] = [plain(old), plain(new)]
    seconds = int((data["transferred_at"] - case.encounter_at).total_seconds())
    changes, sealed = split_changes(ctx.workflow, changes)
    if sealed:
        ctx.identifying["changes"] = sealed
    ctx.details.update({"changes": changes, "hours_since_encounter": seconds // 3600, "elapsed_seconds": seconds,
                        "limit_hours": limit, "late": seconds > limit * 3600})
