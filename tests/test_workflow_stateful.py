"""Random sequences of triggers, by random users with plausible payloads, never reach an invalid
state; every state change leaves exactly one audit event and every refusal none; the case's chain
always verifies."""

from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from caseflow.audit.verify import verify_database
from caseflow.errors import DomainError
from caseflow.reintegration.models import Referral
from caseflow.workflow.engine import fire, get_workflow
from tests.helpers import ASSESSOR_ORG, PARTNER_ORG, assessment_result, event_count, org_id, referral

ACTORS = ["registrar", "reviewer.justice", "reviewer.family", "reviewer.un", "reviewer.defence", "assessor",
          "partner", "partner2", "auditor"]
OUTCOMES = ["release", "diversion", "juvenile_justice", "not_a_child", "defer"]
CATEGORIES = ["association_only", "support_tasks", "other_offence"]


def payload(session, trigger: str, draw) -> dict:
    today = date.today()
    partner = org_id(session, PARTNER_ORG)
    decision = {"reasons": "Decided in the round", "offence_category": draw(st.sampled_from(CATEGORIES))}
    builders = {
        "edit_intake": lambda: {"region": draw(st.sampled_from(["Gao", "Mopti", "Kidal"]))},
        "submit_for_review": lambda: {},
        "request_assessment": lambda: {"reason_for_doubt": "Serious doubt written down by the registrar.",
                                       "assessor_org_id": org_id(session, ASSESSOR_ORG)},
        "record_assessment": lambda: assessment_result(
            draw(st.integers(12, 24)), 25, consent=draw(st.sampled_from(["given", "refused"])),
            explained_on=today - timedelta(days=draw(st.sampled_from([0, 30])))),
        "appeal_assessment": lambda: {"grounds": "New documents found",
                                      "assessor_org_id": org_id(session, ASSESSOR_ORG)},
        "cast_vote": lambda: {"outcome": draw(st.sampled_from(OUTCOMES + ["release"] * 4)),
                              "offence_category": draw(st.sampled_from(CATEGORIES)), "reasons": "My reasons"},
        "decide_release": lambda: {**decision, "receiving_org_id": partner},
        "decide_diversion": lambda: {**decision, "receiving_org_id": partner, "child_consent": True,
                                     "guardian_consent": draw(st.booleans()), "consent_notes": "Asked both"},
        "decide_juvenile_justice": lambda: decision,
        "decide_not_a_child": lambda: decision,
        "decide_defer": lambda: {**decision, "next_review_date": (today + timedelta(days=5)).isoformat()},
        "record_handover": lambda: {"handing_officer": "Officer", "handing_unit": "Unit", "receiving_person": "Worker",
                                    "handed_over_at": (today - timedelta(days=0)).isoformat() + "T00:00:00",
                                    "place": "Centre", "child_condition": "Well", "medical_check": True},
        "start_reintegration": lambda: referral(),
        "add_referral": lambda: referral("education"),
        "update_referral": lambda: {"referral_id": draw(st.integers(1, 10_000)), "status": "completed"},
        "record_follow_up": lambda: {"visit_date": today.isoformat(), "visit_type": "home_visit",
                                     "findings": "Fine", "risk_level": "low"},
        "close": lambda: {"reason": draw(st.sampled_from(["reintegrated", "lost_contact", "other"]))},
        "return_to_review": lambda: {"reason": "Diversion did not work out"},
        "re_review": lambda: {},
        "reopen": lambda: {"reason": "New information came in"},
    }
    return builders[trigger]()


def test_random_walks_keep_the_case_valid(session, users, make_case):
    wf = get_workflow("detained_child")

    class Walk(RuleBasedStateMachine):
        @initialize()
        def open_case(self):
            self.case = make_case(encounter_at=(date.today() - timedelta(days=1)).isoformat() + "T06:00:00")
            self.events = event_count(session, self.case.code)

        @rule(trigger=st.sampled_from(wf.triggers()), actor=st.sampled_from(ACTORS), data=st.data())
        def fire_any(self, trigger, actor, data):
            """Anything, by anyone: mostly refusals, which must leave no trace."""
            self.fire_one(trigger, actor, data)

        @rule(data=st.data())
        def fire_offered(self, data):
            """Something the workflow offers now, by someone whose role may: the walk goes deep."""
            offered = wf.from_state(self.case.state)
            votes = [t for t in offered if t.trigger == "cast_vote"]
            t = data.draw(st.sampled_from(offered + votes * len(offered)))  # rounds need votes
            actor = data.draw(st.sampled_from([a for a in ACTORS if users[a].role in t.roles]))
            self.fire_one(t.trigger, actor, data)

        def fire_one(self, trigger, actor, data):
            body = payload(session, trigger, data.draw)
            if trigger == "update_referral" and data.draw(st.booleans()):
                refs = Referral.for_case(session, self.case.id)
                if refs:
                    body["referral_id"] = refs[0].id
            state, version = self.case.state, self.case.version
            savepoint = session.begin_nested()
            try:
                fire(session, self.case, trigger, users[actor], body, expected_version=version)
            except DomainError:
                savepoint.rollback()
                session.refresh(self.case)
                assert self.case.state == state and self.case.version == version
                assert event_count(session, self.case.code) == self.events
            else:
                savepoint.commit()
                self.events += 1
                assert self.case.version == version + 1
                assert event_count(session, self.case.code) == self.events
                t = wf.transition_for(trigger, state)
                assert self.case.state == (t.dest or state)

        @invariant()
        def valid(self):
            if not hasattr(self, "case"):
                return
            case = self.case
            assert case.state in wf.states
            assert (case.state == "closed") == (case.closed_reason is not None)
            if case.state in ("handover_pending", "handed_over", "in_reintegration", "diversion"):
                assert case.receiving_org_id is not None

        def teardown(self):
            if hasattr(self, "case"):
                assert verify_database(session, self.case.code).ok

    run_state_machine_as_test(Walk, settings=settings(
        max_examples=30, stateful_step_count=40, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    ))
