"""Random sequences of triggers, by random users, with dates drawn from the past, the future, reversed
and leap days, while a clock the test controls moves on. After every step, on every case the walk
reached, the rules the domain promises hold:

- juvenile justice ⇒ the age at the offence is at least the minimum age of criminal responsibility,
  the offence came before the encounter and is more than association or support tasks;
- closed as an adult ⇒ a concluded assessment puts the age at the encounter at 18 or more, and its
  appeal window had passed when the decision was taken;
- every decision ⇒ quorum, and the round's outcome (institution majority or tie rule) at that moment;
- late ⇔ elapsed > limit, to the second; no handover before its encounter;
- every state change leaves exactly one audit event, every refusal none; the chain verifies.
"""

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from caseflow.assessment.age import ADULT, age_at
from caseflow.assessment.models import AgeAssessment
from caseflow.audit.log import events_for_chain
from caseflow.audit.verify import verify_database
from caseflow.cases.checks import record_differences, record_of, rows_of
from caseflow.errors import DomainError
from caseflow.handover.models import Handover
from caseflow.reintegration.models import Referral
from caseflow.reports import facts
from caseflow.review.models import ReviewRound
from caseflow.review.quorum import quorum_status
from caseflow.review.rules import OFFENCE_CHARGES
from caseflow.workflow.engine import available_transitions, catalogue, fire, get_workflow
from tests.helpers import ASSESSOR_ORG, PARTNER_ORG, assessment_result, event_count, org_id, referral

ACTORS = ["registrar", "reviewer.justice", "reviewer.family", "reviewer.un", "reviewer.defence", "reviewer.unicef",
          "assessor", "partner", "partner2", "auditor"]
REVIEWERS = ["reviewer.justice", "reviewer.family", "reviewer.un", "reviewer.defence", "reviewer.unicef"]
OUTCOMES = ["release", "diversion", "juvenile_justice", "not_a_child", "defer"]
CHARGES = [None, "association", "terrorism", "ordinary", "none"]
CATEGORIES = ["association_only", "support_tasks", "other_offence"]
START = datetime(2027, 2, 20, 9, 30, tzinfo=UTC)  # a leap day comes round inside the walk
STEPS = [timedelta(minutes=1), timedelta(hours=1), timedelta(hours=47), timedelta(hours=49), timedelta(days=1),
         timedelta(days=15), timedelta(days=400)]


def day_strategy(clock, case):
    """Half plausible days, half days that defeat rules: the future, long ago, after the encounter,
    leap days."""
    today = clock.today()
    enc = case.encounter_at.date() if case.encounter_at else today
    return st.one_of(
        st.sampled_from([today, enc, enc - timedelta(days=1)]),
        st.sampled_from([today + timedelta(days=1), today - timedelta(days=30), today + timedelta(days=400),
                         enc + timedelta(days=2), enc - timedelta(days=365 * 3), date(2024, 2, 29),
                         date(2028, 2, 29), date(1899, 12, 31)]),
    )


def moment_strategy(clock, case):
    now = clock.now()
    enc = case.encounter_at or now
    return st.one_of(
        st.sampled_from([now - timedelta(minutes=5), enc + timedelta(hours=48), enc + timedelta(hours=48, seconds=1)]),
        st.sampled_from([now + timedelta(days=1), enc - timedelta(hours=2), enc + timedelta(hours=48, minutes=59),
                         enc + timedelta(days=9), datetime(2028, 2, 29, 12, tzinfo=UTC),
                         now - timedelta(days=365 * 2)]),
    )


def payload(session, clock, case, trigger: str, draw) -> dict:
    partner = org_id(session, PARTNER_ORG)
    day = lambda: draw(day_strategy(clock, case)).isoformat()  # noqa: E731
    moment = lambda: draw(moment_strategy(clock, case)).isoformat()  # noqa: E731
    decision = {"reasons": "Decided in the round", "offence_category": draw(st.sampled_from(CATEGORIES))}
    builders = {
        "edit_intake": lambda: draw(st.sampled_from([
            {"region": "Gao"}, {"encounter_at": moment()}, {"claimed_age": draw(st.integers(11, 19))},
            {"date_of_birth": day()}, {"encounter_at": None}, {"custody_start": moment(), "custody_end": moment()}])),
        "correct_record": lambda: {**draw(st.sampled_from([
            {"encounter_at": moment()}, {"claimed_age": draw(st.integers(11, 19))}, {"date_of_birth": day()},
            {"claimed_age": None}])), "reason": "The record was wrong"},
        "submit_for_review": lambda: {},
        "request_assessment": lambda: {"reason_for_doubt": "Serious doubt written down by the registrar.",
                                       "assessor_org_id": org_id(session, ASSESSOR_ORG)},
        "record_assessment": lambda: assessment_result(
            draw(st.sampled_from([13, 16, 18, 19, 21])), 25,
            consent=draw(st.sampled_from(["given", "given", "refused"])),
            explained_on=draw(day_strategy(clock, case)),
            **({"concluded_on": day()} if draw(st.integers(0, 3)) == 0 else {})),
        "appeal_assessment": lambda: {"grounds": "New documents found",
                                      "assessor_org_id": org_id(session, ASSESSOR_ORG)},
        "cast_vote": lambda: {"outcome": draw(st.sampled_from(OUTCOMES + ["release"] * 3)),
                              "offence_category": draw(st.sampled_from(CATEGORIES)), "reasons": "My reasons"},
        "recuse": lambda: {"reason": "Conflict of interest"},
        "withdraw_recusal": lambda: {"reason": "The conflict has ended"},
        "decide_release": lambda: {**decision, "receiving_org_id": partner},
        "decide_diversion": lambda: {**decision, "receiving_org_id": partner, "child_consent": True,
                                     "guardian_consent": draw(st.booleans()), "consent_notes": "Asked both"},
        "decide_juvenile_justice": lambda: {**decision, "offence_date": day()},
        "record_justice_transfer": lambda: {"transferred_at": moment(), "handing_officer": "Officer",
                                            "handing_unit": "Unit", "receiving_authority": "Juvenile court",
                                            "facility_type": "juvenile_detention_centre"},
        "decide_not_a_child": lambda: decision,
        "decide_defer": lambda: {**decision, "next_review_date": day()},
        "record_handover": lambda: {"handing_officer": "Officer", "handing_unit": "Unit", "receiving_person": "Worker",
                                    "handed_over_at": moment(), "place": "Centre", "child_condition": "Well",
                                    "medical_check": True},
        "start_reintegration": lambda: referral(),
        "add_referral": lambda: referral("education"),
        "update_referral": lambda: {"referral_id": draw(st.sampled_from([1, 2**31, 10_000])), "status": "completed"},
        "record_follow_up": lambda: {"visit_date": day(), "visit_type": "home_visit", "findings": "Fine",
                                     "risk_level": "low", "next_visit_date": day()},
        "close": lambda: {"reason": draw(st.sampled_from(["reintegrated", "lost_contact", "deceased", "escaped",
                                                          "released_before_review", "aged_out", "other"]))},
        "return_to_review": lambda: {"reason": "Diversion did not work out"},
        "re_review": lambda: {},
        "reopen": lambda: {"reason": "New information came in"},
    }
    return builders[trigger]()


def test_random_walks_keep_the_domain_rules(session, users, make_case, clock, decide_writes_nothing):
    wf = get_workflow("detained_child")
    macr = wf.settings["minimum_age_criminal_responsibility"]
    limit = wf.settings["handover_time_limit_hours"] * 3600

    class Walk(RuleBasedStateMachine):
        cases = Bundle("cases")

        @initialize(target=cases, age=st.sampled_from([None, 12, 13, 14, 16, 17, 19]))
        def open_first_case(self, age):
            clock.freeze(START)
            self.events = {}
            self.reached = []
            return self._open(age)

        @precondition(lambda self: len(self.reached) < 2)
        @rule(target=cases, age=st.sampled_from([None, 13, 15, 19]), charge=st.sampled_from(CHARGES))
        def open_another_case(self, age, charge):
            return self._open(age, charge)

        def _open(self, age, charge="terrorism"):
            case = make_case(claimed_age=age, encounter_at=(clock.now() - timedelta(hours=6)).isoformat(),
                             charge_category=charge)
            self.events[case.code] = event_count(session, case.code)
            self.reached.append(case)
            return case

        @rule(step=st.sampled_from(STEPS))
        def time_passes(self, step):
            clock.advance(step)

        @rule(case=cases, trigger=st.sampled_from(wf.triggers()), actor=st.sampled_from(ACTORS), data=st.data())
        def fire_any(self, case, trigger, actor, data):
            """Anything, by anyone: mostly refusals, which must leave no trace."""
            self.fire_one(case, trigger, actor, data)

        @rule(case=cases, data=st.data())
        def fire_offered(self, case, data):
            """Something the page would offer someone now (its guards pass without a payload): the
            walk goes deep. The payload is still drawn from hostile values."""
            offered = [(a, who) for who in ACTORS for a in available_transitions(session, case, users[who])
                       if a.allowed]
            forward = [(a, who) for a, who in offered if a.transition.changes_state and a.trigger != "close"]
            if forward and data.draw(st.integers(0, 3)) > 0:  # mostly onwards, so that the walk goes deep
                offered = forward
            choices = [(a.trigger, who) for a, who in offered]
            if choices:
                trigger, actor = data.draw(st.sampled_from(choices))
                self.fire_one(case, trigger, actor, data)

        @rule(case=cases, dissent=st.sampled_from([None, *OUTCOMES]), data=st.data())
        def the_mechanism_votes(self, case, dissent, data):
            """Every institution votes, mostly alike, often for the outcome the facts point to (an
            assessed adult, a child old enough for juvenile justice): rounds reach decisions."""
            if case.state == wf.initial:
                self.fire_one(case, "submit_for_review", "registrar", data, {})
            if case.state != "under_review":
                return
            assessment = AgeAssessment.latest_concluded(session, case.id)
            adult = assessment is not None and (assessment.min_age or 0) >= ADULT
            hint = "not_a_child" if adult else "juvenile_justice"
            outcome = data.draw(st.sampled_from(OUTCOMES + [hint] * 3))
            category = "other_offence" if outcome == "juvenile_justice" else data.draw(st.sampled_from(CATEGORIES))
            for i, who in enumerate(REVIEWERS):
                body = {"outcome": dissent if (dissent and i == 0) else outcome, "offence_category": category,
                        "reasons": "The mechanism's view"}
                self.fire_one(case, "cast_vote", who, data, body)

        @rule(case=cases, data=st.data())
        def decide_as_the_round_stands(self, case, data):
            """A member of a voting institution records the outcome the round reached."""
            rnd = ReviewRound.current(session, case.id) if case.state == "under_review" else None
            if rnd is None or not rnd.votes:
                return
            status = quorum_status(wf.quorum, rnd.votes)
            if status.majority is None:
                return
            voter = data.draw(st.sampled_from([v.voter.email.split("@")[0] for v in rnd.votes]))
            self.fire_one(case, f"decide_{status.majority}", voter, data)

        def fire_one(self, case, trigger, actor, data, body=None):
            body = body or payload(session, clock, case, trigger, data.draw)
            if trigger == "update_referral" and data.draw(st.booleans()):
                refs = Referral.for_case(session, case.id)
                if refs:
                    body["referral_id"] = refs[0].id
            state, version = case.state, case.version
            before = None
            if trigger.startswith("decide_"):
                rnd = ReviewRound.current(session, case.id)
                before = quorum_status(wf.quorum, rnd.votes) if rnd else None
            savepoint = session.begin_nested()
            try:
                fire(session, case, trigger, users[actor], body, expected_version=version)
            except DomainError:
                savepoint.rollback()
                session.refresh(case)
                assert case.state == state and case.version == version
                assert event_count(session, case.code) == self.events[case.code]
            else:
                savepoint.commit()
                self.events[case.code] += 1
                assert case.version == version + 1
                assert event_count(session, case.code) == self.events[case.code]
                if before is not None:  # every decision: quorum and the round's outcome at that moment
                    assert before.met and before.majority == trigger.removeprefix("decide_")

        @invariant()
        def domain_rules_hold(self):
            for case in getattr(self, "reached", []):
                self.check(case)

        def check(self, case):
            # live equals replay: the rows the effects wrote are the fold of the case's events
            # through every stage's evolve steps (the same fold audit verify and the export check use)
            record = record_of(events_for_chain(session, case.code), catalogue().versions, case.workflow)
            assert record_differences(case, record, rows_of(session, [case.id]).get(case.id, {})) == []
            # the statistics' kept facts are the facts read afresh: every effect says what it touches
            kept = facts.current(session, case.id)
            assert kept is not None and kept.facts == facts.read_all(session, case)
            assert case.state in wf.states
            assert (case.state == "closed") == (case.closed_reason is not None)
            if case.state in ("handover_pending", "handed_over", "in_reintegration", "diversion_pending", "diversion"):
                assert case.receiving_org_id is not None
            assert case.encounter_at is not None  # nobody clears it
            if case.date_of_birth is not None:
                assert case.date_of_birth <= case.encounter_at.date()
            assessment = AgeAssessment.latest_concluded(session, case.id)
            decided = session.scalars(select_decided(case.id)).first()
            if case.state in ("justice_transfer_pending", "juvenile_justice"):
                assert decided.decision == "juvenile_justice"
                assert case.charge_category in OFFENCE_CHARGES  # for an offence the case records
                assert decided.offence_category == "other_offence"
                assert decided.offence_date <= case.encounter_at.date()
                age = age_at(case, assessment, decided.offence_date)
                assert age.years is not None and age.years >= macr
            if case.closed_reason == "determined_adult":
                assert decided.decision == "not_a_child"
                assert assessment is not None and assessment.consent == "given"
                age = age_at(case, assessment, case.encounter_at)
                assert age.years is not None and age.years >= ADULT
                assert decided.closed_at.date() > assessment.appeal_deadline
            for h in session.scalars(select_handovers(case.id)):
                elapsed = int((h.handed_over_at - case.encounter_at).total_seconds())
                assert elapsed >= 0 and h.elapsed_seconds == elapsed
                assert h.late == (elapsed > limit)

        def teardown(self):
            for case in getattr(self, "reached", []):
                assert verify_database(session, case.code).ok
            clock.reset()

    run_state_machine_as_test(Walk, settings=settings(
        max_examples=200, stateful_step_count=30, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    ))


def select_decided(case_id):
    from sqlalchemy import select

    return (select(ReviewRound).where(ReviewRound.case_id == case_id, ReviewRound.decision.is_not(None))
            .order_by(ReviewRound.number.desc()))


def select_handovers(case_id):
    from sqlalchemy import select

    return select(Handover).where(Handover.case_id == case_id)
