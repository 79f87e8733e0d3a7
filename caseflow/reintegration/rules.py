"""Guards, effects and clock anchors of reintegration."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select

from caseflow.clock import end_of_day
from caseflow.handover.models import Handover
from caseflow.reintegration.models import FollowUp, Referral
from caseflow.reintegration.schemas import FollowUpSchema, ReferralSchema, ReferralUpdateSchema
from caseflow.workflow.registry import anchor, due_date, effect, guard, register_schema

register_schema("referral", ReferralSchema)
register_schema("referral_update", ReferralUpdateSchema)
register_schema("follow_up", FollowUpSchema)


@effect("add_referral")
def add_referral(ctx):
    ref = Referral(case=ctx.subject, case_id=ctx.subject.id, created_by_id=ctx.actor.id, updated_at=ctx.now, **ctx.data)
    ctx.session.add(ref)
    ctx.session.flush()
    ctx.details["referral_id"] = ref.id


@guard("referral_of_case")
def referral_of_case(ctx):
    if ctx.data is None:
        return None if Referral.for_case(ctx.session, ctx.subject.id) else _("There is no referral to update.")
    ref = ctx.session.get(Referral, ctx.data["referral_id"])
    if ref is None or ref.case_id != ctx.subject.id:
        return _("That referral does not belong to this case.")
    return None


@effect("update_referral")
def update_referral(ctx):
    ref = ctx.session.get(Referral, ctx.data["referral_id"])
    ctx.details["status"] = [ref.status, ctx.data["status"]]
    ref.status = ctx.data["status"]
    if ctx.data.get("notes"):
        ref.notes = ctx.data["notes"]
    ref.updated_at = ctx.now


@effect("add_follow_up")
def add_follow_up(ctx):
    ctx.session.add(FollowUp(case=ctx.subject, case_id=ctx.subject.id, recorded_by_id=ctx.actor.id,
                             recorded_at=ctx.now, **ctx.data))
    ctx.session.flush()


@anchor("last_follow_up")
def last_follow_up(case):
    """The follow-up clock runs from the last visit, or from the handover before any visit."""
    from sqlalchemy.orm import object_session

    session = object_session(case)
    last = session.scalar(
        select(FollowUp.visit_date).where(FollowUp.case_id == case.id).order_by(FollowUp.visit_date.desc()).limit(1)
    )
    if last is not None:
        return datetime.combine(last, time(0), tzinfo=UTC)
    handover = Handover.latest(session, case.id)
    return handover.handed_over_at if handover else case.state_entered_at


@due_date("next_visit_date")
def next_visit_due(case):
    """The next visit the case worker set at the last visit."""
    from sqlalchemy.orm import object_session

    nxt = object_session(case).scalar(
        select(FollowUp.next_visit_date).where(FollowUp.case_id == case.id)
        .order_by(FollowUp.visit_date.desc(), FollowUp.id.desc()).limit(1))
    return end_of_day(nxt) if nxt else None
