"""Record scope: which cases a user may see. Enforced in every query (``visible_to``) and on every
record access (``can_view``); menus only reflect it.

Which rule holds for which role is the policy file's ``scope`` (``workflows/policy/policy.yaml``):

- all: every case;  a role with no rule: none (administrators manage people, not children's files);
- registering_org: cases registered by the user's organisation;
- in_time: cases before the joint review mechanism now, and for a while after its decision (each
  workflow file's ``remit``; a file without one: every case past its initial state);
- assigned_assessment: cases with an age assessment assigned to the user's organisation;
- receiving_org: cases released, or to be released, to the user's organisation.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, false, or_, select, true

from caseflow import clock
from caseflow.assessment.models import AgeAssessment
from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.policy import scope_rule
from caseflow.review.models import ReviewRound
from caseflow.workflow import registry
from caseflow.workflow.engine import workflow_of, workflows


def _initial_states() -> dict[str, list[str]]:
    """initial state -> the workflows (every version) that start there."""
    from flask import current_app

    out: dict[str, set[str]] = {}
    for wf in current_app.extensions["caseflow.catalogue"].versions.values():
        out.setdefault(wf.initial, set()).add(wf.name)
    return {state: sorted(names) for state, names in out.items()}


def past_initial():
    """Cases that have left the state their workflow starts in (one test when all start alike)."""
    initials = _initial_states()
    if len(initials) == 1:
        return Case.state != next(iter(initials))
    return or_(*(and_(Case.workflow.in_(names), Case.state != state) for state, names in initials.items()))



def _remits(role: str) -> dict[str, tuple[str, object]]:
    """Workflow name -> (initial state, the in-force file's remit rule for the role, or None)."""

    return {wf.name: (wf.initial, wf.remit.get(role)) for wf in workflows().values()}


def _decided_since(days: int):
    cutoff = clock.now() - timedelta(days=days)
    return exists(select(ReviewRound.id).where(ReviewRound.case_id == Case.id, ReviewRound.decision.is_not(None),
                                               ReviewRound.closed_at >= cutoff))


def in_remit_in_time(role: str):
    """Need to know in time (the workflow file's ``remit``): the cases in the role's states, or
    decided by the joint review within its number of days; a workflow that names no rule for the
    role: every case past its initial state."""
    clauses = []
    for name, (initial, rule) in _remits(role).items():
        if rule is None:
            clauses.append(and_(Case.workflow == name, Case.state != initial))
            continue
        now_or_lately = [Case.state.in_(rule.states)]
        if rule.days_after_decision:
            now_or_lately.append(_decided_since(rule.days_after_decision))
        clauses.append(and_(Case.workflow == name, or_(*now_or_lately)))
    return or_(*clauses) if clauses else false()


def sees_in_time(role: str, case: Case) -> bool:
    """``in_remit_in_time`` for one case."""
    initial, rule = _remits(role).get(case.workflow, (None, None))
    if rule is None:
        return case.state != workflow_of(case).initial
    if case.state in rule.states:
        return True
    if not rule.days_after_decision:
        return False

    return bool(db.session.scalar(select(_decided_since(rule.days_after_decision).where(Case.id == case.id))))


def visible_to(user):
    """A WHERE clause restricting cases to the user's remit (the policy file's ``scope`` rule)."""

    rule = scope_rule(user)
    if rule == "all":
        return true()
    if rule == "registering_org":
        return Case.registering_org_id == user.organisation_id
    if rule == "in_time":
        return in_remit_in_time(user.role)
    if rule == "receiving_org":
        return Case.receiving_org_id == user.organisation_id
    if rule == "assigned_assessment":
        return exists(select(AgeAssessment.id).where(AgeAssessment.case_id == Case.id,
                                                     AgeAssessment.assessor_org_id == user.organisation_id))
    return false()


#: the scope rules that do not depend on the user's organisation
_SAME_FOR_A_ROLE = ("all", "in_time", None)


def scope_key(user) -> tuple:
    """Users with the same key see the same cases (for caches of scoped answers)."""
    if scope_rule(user) in _SAME_FOR_A_ROLE:
        return (user.role,)
    return (user.role, user.organisation_id)


@registry.remit
def can_view(user, case: Case) -> bool:
    rule = scope_rule(user)
    if rule == "all":
        return True
    if rule == "registering_org":
        return case.registering_org_id == user.organisation_id
    if rule == "in_time":
        return sees_in_time(user.role, case)
    if rule == "receiving_org":
        return case.receiving_org_id is not None and case.receiving_org_id == user.organisation_id
    if rule == "assigned_assessment":
        return any(a.assessor_org_id == user.organisation_id for a in AgeAssessment.for_case(case))
    return False


def sees_section(user, case: Case, section: str | None) -> bool:
    """Need to know by stage: does this user see this section of the case in its current state (the
    workflow file's ``sections``)? The case's code and state are seen by whoever has it in remit."""

    return workflow_of(case).sees_section(user.role, section, case.state, _kind(user))


def hidden_sections(user, case: Case) -> list[str]:
    wf = workflow_of(case)
    return [s for s in wf.sections if not wf.sees_section(user.role, s, case.state, _kind(user))]


def _kind(user) -> str | None:
    org = getattr(user, "organisation", None)
    return getattr(org, "kind", None)


def can_see_identity(user, case: Case | None = None) -> bool:
    """May this user ask to see who the child is (each view is recorded, with its purpose)? Which
    roles may, and why, is each workflow file's ``identity``; without a case: in any workflow."""

    if case is not None:
        return user.role in workflow_of(case).identity_roles()
    return any(user.role in wf.identity_roles() for wf in workflows().values())
