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
    if ctx.data is None or ctx.subject.encounter_at is None:
        return None
    if ctx.data["handed_over_at"] < ctx.subject.encounter_at:
        return _("The handover cannot be before the encounter.")
    return None


def hours_between(start, end) -> int:
    return int((end - start).total_seconds() // 3600)


@effect("record_handover")
def record_handover(ctx):
    case, data = ctx.subject, ctx.data
    hours = hours_between(case.encounter_at, data["handed_over_at"]) if case.encounter_at else None
    limit = ctx.settings["handover_time_limit_hours"]
    late = hours is not None and hours > limit
    ctx.session.add(Handover(
        case_id=case.id, receiving_org_id=case.receiving_org_id, recorded_by_id=ctx.actor.id,
        recorded_at=ctx.now, hours_since_encounter=hours, late=late, **data,
    ))
    case.custody_end = case.custody_end or data["handed_over_at"]
    ctx.details.update({"hours_since_encounter": hours, "limit_hours": limit, "late": late})
