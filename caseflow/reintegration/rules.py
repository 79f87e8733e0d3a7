"""Guards, decide steps and clock anchors of reintegration (its evolve steps: ``evolve.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select

from caseflow.clock import end_of_day
from caseflow.handover.models import Handover
from caseflow.reintegration.evolve import referral
from caseflow.reintegration.models import FollowUp, Referral
from caseflow.reintegration.schemas import FollowUpSchema, ReferralSchema, ReferralUpdateSchema
from caseflow.workflow.registry import anchor, due_date, effect, guard, register_schema

register_schema("referral", ReferralSchema)
register_schema("referral_update", ReferralUpdateSchema)
register_schema("follow_up", FollowUpSchema)


@guard("referral_of_case")
def referral_of_case(ctx):
    if ctx.data is None:
        return None if ctx.rows.of(Referral) else _("There is no referral to update.")
    ref = referral(ctx.rows, ctx.data["referral_id"])
    if ref is None:
        return _("That referral does not belong to this case.")
    return None


@effect("update_referral")
def update_referral(ctx):
    ctx.details["status"] = [referral(ctx.rows, ctx.data["referral_id"]).status, ctx.data["status"]]


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
