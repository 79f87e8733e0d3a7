"""The whole state × trigger × role table, read from the YAML: who may fire what, from where.

For each pair the case is made visible to every role (registered by the registrar's
organisation, released to the partner's, an assessment assigned to the assessors), so what is
tested is the workflow table itself: a role not named → 403; a state not a source → 409; else
the engine goes past both checks (to success, or to a 422 for the empty payload or a guard)."""

import pytest
import yaml

from caseflow.assessment.models import AgeAssessment
from caseflow.auth.roles import Role
from caseflow.cases.scope import can_view
from caseflow.config import PROJECT_ROOT
from caseflow.db import utcnow
from caseflow.errors import Conflict, Forbidden, GuardRefused, ValidationFailed
from caseflow.workflow.engine import fire
from tests.helpers import ASSESSOR_ORG, PARTNER_ORG, event_count, org_id

RAW = yaml.safe_load((PROJECT_ROOT / "workflows" / "detained_child.yaml").read_text())
STATES = list(RAW["states"])
TRIGGERS = list(dict.fromkeys(t["trigger"] for t in RAW["transitions"]))
ROLE_USERS = {"admin": "admin", "registrar": "registrar", "reviewer": "reviewer.un", "assessor": "assessor",
              "partner": "partner", "auditor": "auditor"}


def table_entry(trigger, state):
    for t in RAW["transitions"]:
        sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
        if t["trigger"] == trigger and state in sources:
            return t
    return None


def roles_of(trigger):
    return {r for t in RAW["transitions"] if t["trigger"] == trigger for r in t["roles"]}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_state_trigger_role_table(session, users, make_case, state, trigger):
    case = make_case()
    case.receiving_org_id = org_id(session, PARTNER_ORG)
    session.add(AgeAssessment(case=case, case_id=case.id, status="requested", reason_for_doubt="x" * 30,
                              requested_at=utcnow(), requested_by_id=users["registrar"].id,
                              assessor_org_id=org_id(session, ASSESSOR_ORG)))
    case.state = state
    if state == "closed":
        case.closed_reason, case.closed_at = "other", utcnow()
    session.flush()
    entry = table_entry(trigger, state)
    for role in Role:
        user = users[ROLE_USERS[role.value]]
        savepoint = session.begin_nested()
        before_events, before_version = event_count(session, case.code), case.version
        if role.value not in roles_of(trigger) or not can_view(user, case):
            expected = Forbidden
        elif entry is None:
            expected = Conflict
        elif role.value not in entry["roles"]:
            expected = Forbidden
        else:
            expected = None
        try:
            fire(session, case, trigger, user, {})
        except (Forbidden, Conflict, ValidationFailed, GuardRefused) as exc:
            outcome = exc
        else:
            outcome = None
        label = f"{role.value} firing {trigger} from {state}"
        if expected is None:
            assert not isinstance(outcome, Forbidden | Conflict), f"{label}: got {outcome!r}"
            if outcome is None:
                dest = entry["dest"] or state
                assert case.state == dest, label
                assert event_count(session, case.code) == before_events + 1, label
        else:
            assert type(outcome) is expected, f"{label}: expected {expected.__name__}, got {outcome!r}"
            assert event_count(session, case.code) == before_events and case.version == before_version, label
        savepoint.rollback()
        session.refresh(case)


def test_the_table_covers_every_trigger_and_state():
    assert len(STATES) == 11 and "decide_release" in TRIGGERS
    assert all(roles_of(t) for t in TRIGGERS)
