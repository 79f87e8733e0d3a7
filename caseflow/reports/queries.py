""""Waiting for me": the cases on which this user is the next to act."""

from __future__ import annotations

from sqlalchemy import and_, exists, select

from caseflow.assessment.models import AgeAssessment
from caseflow.auth.roles import Role
from caseflow.cases.models import Case
from caseflow.cases.scope import visible_to
from caseflow.review.models import ReviewRound, Vote


def waiting_for(session, user, limit: int = 50) -> list[Case]:
    stmt = select(Case).where(visible_to(user))
    if user.role == Role.reviewer:
        open_round = select(ReviewRound.id).where(ReviewRound.case_id == Case.id, ReviewRound.closed_at.is_(None))
        voted = exists(
            select(Vote.id).join(ReviewRound, Vote.round_id == ReviewRound.id).where(
                ReviewRound.case_id == Case.id, ReviewRound.closed_at.is_(None), Vote.voter_id == user.id
            )
        )
        stmt = stmt.where(Case.state == "under_review", exists(open_round), ~voted)
    elif user.role == Role.assessor:
        stmt = stmt.where(
            Case.state == "age_assessment",
            exists(select(AgeAssessment.id).where(and_(
                AgeAssessment.case_id == Case.id, AgeAssessment.status == "requested",
                AgeAssessment.assessor_org_id == user.organisation_id,
            ))),
        )
    elif user.role == Role.partner:
        stmt = stmt.where(Case.state.in_(("handover_pending", "handed_over", "diversion")))
    elif user.role == Role.registrar:
        stmt = stmt.where(Case.state == "registered")
    else:
        return []
    return list(session.scalars(stmt.order_by(Case.created_at).limit(limit)))
