"""Record scope: which cases a user may see. Enforced in every query (``visible_to``) and on every
record access (``can_view``); menus only reflect it.

- auditor: every case;  admin: none (they manage people, not children's files);
- registrar: cases registered by their organisation;
- reviewer: cases that have been put before the joint review mechanism (past registration);
- assessor: cases with an age assessment assigned to their organisation;
- partner: cases released, or to be released, to their organisation.
"""

from __future__ import annotations

from sqlalchemy import exists, false, select, true

from caseflow.auth.roles import Role
from caseflow.cases.models import Case

REGISTERED = "registered"

#: roles that may ask to see a child's identifying data (each view is audited)
IDENTITY_ROLES = frozenset({Role.registrar, Role.reviewer, Role.assessor, Role.partner, Role.auditor})


def visible_to(user):
    """A WHERE clause restricting cases to the user's remit."""
    from caseflow.assessment.models import AgeAssessment

    role = user.role
    if role == Role.auditor:
        return true()
    if role == Role.registrar:
        return Case.registering_org_id == user.organisation_id
    if role == Role.reviewer:
        return Case.state != REGISTERED
    if role == Role.partner:
        return Case.receiving_org_id == user.organisation_id
    if role == Role.assessor:
        return exists(
            select(AgeAssessment.id).where(
                AgeAssessment.case_id == Case.id, AgeAssessment.assessor_org_id == user.organisation_id
            )
        )
    return false()


def scope_key(user) -> tuple:
    """Users with the same key see the same cases (for caches of scoped answers)."""
    if user.role in (Role.auditor, Role.reviewer):
        return (user.role,)
    return (user.role, user.organisation_id)


def can_view(user, case: Case) -> bool:
    role = user.role
    if role == Role.auditor:
        return True
    if role == Role.registrar:
        return case.registering_org_id == user.organisation_id
    if role == Role.reviewer:
        return case.state != REGISTERED
    if role == Role.partner:
        return case.receiving_org_id is not None and case.receiving_org_id == user.organisation_id
    if role == Role.assessor:
        from caseflow.assessment.models import AgeAssessment

        return any(a.assessor_org_id == user.organisation_id for a in AgeAssessment.for_case(case))
    return False


def can_see_identity(user) -> bool:
    return user.role in IDENTITY_ROLES
