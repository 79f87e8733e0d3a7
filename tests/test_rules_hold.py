"""The safeguards hold whatever is typed: each test here is the data that once defeated a rule.

Time is moved with the ``clock`` fixture, never by backdating a fact.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.assessment.age import age_at, latest_birth_date, whole_years_between
from caseflow.assessment.models import AgeAssessment
from caseflow.audit.log import events_for_chain
from caseflow.audit.verify import verify_database
from caseflow.auth.operations import create_user
from caseflow.errors import GuardRefused, ValidationFailed
from caseflow.handover.models import Handover
from caseflow.review.models import ReviewRound
from caseflow.review.quorum import prevailing
from caseflow.workflow.engine import available_transitions, fire, get_workflow
from tests.helpers import (
    PARTNER_ORG,
    assessment_result,
    divert,
    handover,
    opened,
    org_id,
    referral,
    release,
    request_assessment,
    submit,
    transfer_to_justice,
    vote,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen(clock):
    clock.freeze(NOW)
    return clock


def jj_decision(offence: date | None, category="other_offence") -> dict:
    data = {"reasons": "Serious offence alleged", "offence_category": category}
    if offence is not None:
        data["offence_date"] = offence.isoformat()
    return data


def refer_to_jj(session, case, users, offence):
    """Refer to juvenile justice, and the child's transfer out of the force recorded."""
    vote(session, case, users, "juvenile_justice", category="other_offence")
    fire(session, case, "decide_juvenile_justice", users["reviewer.un"], jj_decision(offence))
    transfer_to_justice(session, case, users)


def field_error(err, name) -> str:
    assert name in err.value.errors, err.value.errors
    return err.value.errors[name][0]


# --- 1. dates checked against each other and against now ---------------------------------------

class TestOffenceDate:
    def test_required(self, session, users, make_case, frozen):
        case = make_case(claimed_age=16)
        submit(session, case, users)
        vote(session, case, users, "juvenile_justice", category="other_offence")
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "decide_juvenile_justice", users["reviewer.un"], jj_decision(None))
        assert field_error(err, "offence_date")

    def test_in_the_future_is_refused(self, session, users, make_case, frozen):
        """A child of 13 at the encounter made 16 by an offence in 2029."""
        case = make_case(claimed_age=13)
        submit(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            refer_to_jj(session, case, users, date(2029, 1, 1))
        assert "future" in field_error(err, "offence_date")
        assert case.state == "under_review"

    def test_after_the_encounter_is_refused(self, session, users, make_case, frozen):
        case = make_case(claimed_age=13, encounter_at="2026-06-01T08:00:00")
        submit(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            refer_to_jj(session, case, users, date(2026, 6, 10))
        assert "after the encounter" in field_error(err, "offence_date")

    def test_before_the_date_of_birth_is_refused(self, session, users, make_case, frozen):
        case = make_case(claimed_age=None, date_of_birth="2010-03-01")
        submit(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            refer_to_jj(session, case, users, date(2009, 5, 1))
        assert "date of birth" in field_error(err, "offence_date")

    def test_the_age_at_the_offence_is_what_counts(self, session, users, make_case, frozen):
        """15 at the encounter, but 13 when the offence was committed two years before."""
        case = make_case(charge_category="terrorism", claimed_age=None, date_of_birth="2011-01-10",
                         encounter_at="2026-06-01T08:00:00")
        submit(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            refer_to_jj(session, case, users, date(2024, 6, 1))
        assert "at least 14" in field_error(err, "offence_date")
        refer_to_jj(session, case, users, date(2025, 6, 1))
        assert case.state == "juvenile_justice"
        assert ReviewRound.for_case(session, case.id)[-1].offence_date == date(2025, 6, 1)

    def test_refusal_in_french(self, app, session, users, make_case, frozen):
        case = make_case(claimed_age=13)
        submit(session, case, users)
        with app.test_request_context("/", headers={"Accept-Language": "fr"}):
            with pytest.raises(ValidationFailed) as err:
                refer_to_jj(session, case, users, date(2029, 1, 1))
            assert "futur" in field_error(err, "offence_date")


class TestAssessmentDates:
    def test_explained_before_the_request_is_refused(self, session, users, make_case, frozen):
        case = make_case()
        request_assessment(session, case, users)
        frozen.advance(timedelta(days=2))
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "record_assessment", users["assessor"],
                 assessment_result(19, 22, explained_on=NOW.date() - timedelta(days=20)))
        assert "requested" in field_error(err, "explained_on")

    def test_explained_in_the_future_is_refused(self, session, users, make_case, frozen):
        case = make_case()
        request_assessment(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "record_assessment", users["assessor"],
                 assessment_result(19, 22, explained_on=NOW.date() + timedelta(days=1)))
        assert "future" in field_error(err, "explained_on")

    def test_explained_before_it_concluded_is_refused(self, session, users, make_case, frozen):
        case = make_case()
        request_assessment(session, case, users)
        frozen.advance(timedelta(days=5))
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "record_assessment", users["assessor"],
                 assessment_result(19, 22, explained_on=NOW.date() + timedelta(days=1),
                                   concluded_on=(NOW.date() + timedelta(days=3)).isoformat()))
        assert "concluded" in field_error(err, "explained_on")

    def test_the_window_runs_from_the_explanation_and_not_a_child_waits_for_it(self, session, users, make_case,
                                                                               frozen):
        case = make_case()
        request_assessment(session, case, users)
        frozen.advance(timedelta(days=3))
        fire(session, case, "record_assessment", users["assessor"],
             assessment_result(21, 25, explained_on=NOW.date() + timedelta(days=2),
                               concluded_on=(NOW.date() + timedelta(days=1)).isoformat()))
        a = AgeAssessment.latest_concluded(session, case.id)
        assert a.appeal_deadline == NOW.date() + timedelta(days=3 + 14)  # from the day it was recorded
        assert a.assessed_on == NOW.date() + timedelta(days=1)
        vote(session, case, users, "not_a_child")
        decide = {"reasons": "Assessed adult", "offence_category": "association_only"}
        frozen.advance(timedelta(days=14))  # the deadline day itself: the window is still open
        assert frozen.today() == a.appeal_deadline
        with pytest.raises(GuardRefused, match="appeal window is open"):
            fire(session, case, "decide_not_a_child", users["reviewer.un"], decide)
        frozen.advance(timedelta(days=1))
        fire(session, case, "decide_not_a_child", users["reviewer.un"], decide)
        assert case.state == "closed" and case.closed_reason == "determined_adult"


class TestHandoverAndEncounter:
    def released(self, session, users, make_case, **kw):
        case = make_case(**kw)
        submit(session, case, users)
        release(session, case, users)
        return case

    def test_48_h_59_min_is_late(self, session, users, make_case, frozen):
        case = self.released(session, users, make_case, encounter_at="2026-06-10T08:00:00")
        at = datetime(2026, 6, 12, 8, 59, tzinfo=UTC)  # 48 h 59 min
        fire(session, case, "record_handover", users["partner"], {
            "handing_officer": "Capt. Diallo", "handing_unit": "Gendarmerie", "receiving_person": "S. Camara",
            "handed_over_at": at.isoformat(), "place": "Transit centre", "child_condition": "Well",
            "medical_check": True})
        h = Handover.latest(session, case.id)
        assert h.late is True and h.elapsed_seconds == 48 * 3600 + 59 * 60
        assert h.elapsed_text == "48 h 59 min"

    def test_48_h_exactly_is_not_late_and_one_second_more_is(self, session, users, make_case, frozen):
        from caseflow.handover.rules import measure

        case = self.released(session, users, make_case, encounter_at="2026-06-10T08:00:00")
        handover(session, case, users, hours_after_encounter=48)
        h = Handover.latest(session, case.id)
        assert h.late is False
        assert measure(h.handed_over_at, case.encounter_at, 48)["late"] is False
        assert measure(h.handed_over_at + timedelta(seconds=1), case.encounter_at, 48)["late"] is True

    def test_the_encounter_cannot_be_moved_after_the_handover(self, session, users, make_case, frozen):
        case = self.released(session, users, make_case, encounter_at="2026-06-10T08:00:00")
        handover(session, case, users, hours_after_encounter=60)
        for trigger, extra in (("edit_intake", {}), ("correct_record", {"reason": "Typed the wrong day"})):
            with pytest.raises(ValidationFailed) as err:
                fire(session, case, trigger, users["registrar"], {"encounter_at": "2026-06-13T08:00:00", **extra})
            assert field_error(err, "encounter_at")
        assert Handover.latest(session, case.id).late is True

    def test_nobody_clears_the_encounter_time(self, session, users, make_case, frozen):
        case = self.released(session, users, make_case)
        for who in ("registrar", "partner"):
            with pytest.raises(ValidationFailed) as err:
                fire(session, case, "edit_intake", users[who], {"encounter_at": None})
            assert "not removed" in field_error(err, "encounter_at") or "Correct" in field_error(err, "encounter_at")
        case2 = make_case()
        with pytest.raises(ValidationFailed) as err:
            fire(session, case2, "edit_intake", users["registrar"], {"encounter_at": None})
        assert "not removed" in field_error(err, "encounter_at")
        assert case.encounter_at is not None and case2.encounter_at is not None

    def test_custody_end_before_its_start_is_refused_across_edits(self, session, users, make_case, frozen):
        case = make_case(encounter_at="2026-06-01T08:00:00", custody_start="2026-06-02T08:00:00")
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "edit_intake", users["registrar"], {"custody_end": "2026-06-01T09:00:00"})
        assert field_error(err, "custody_end")


# --- 2. facts used by a decision are corrected, not edited -----------------------------------

class TestCorrections:
    def test_a_used_fact_is_not_edited_but_corrected_with_old_and_new(self, session, users, make_case, frozen):
        case = make_case(encounter_at="2026-06-14T08:00:00")
        submit(session, case, users)
        release(session, case, users)
        handover(session, case, users, hours_after_encounter=20)
        for fact, value in (("encounter_at", "2026-06-13T08:00:00"), ("claimed_age", 14),
                            ("date_of_birth", "2011-02-03")):
            with pytest.raises(ValidationFailed) as err:
                fire(session, case, "edit_intake", users["partner"], {fact: value})
            assert "Correct the record" in field_error(err, fact)
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "correct_record", users["registrar"], {"encounter_at": "2026-06-12T07:30:00"})
        assert field_error(err, "reason")
        fire(session, case, "correct_record", users["registrar"],
             {"encounter_at": "2026-06-13T07:30:00", "reason": "The gendarmerie log shows an earlier arrest."})
        h = Handover.latest(session, case.id)
        assert h.elapsed_seconds == (44 * 60 + 30) * 60 and h.late is False
        last = events_for_chain(session, case.code)[-1]
        assert last.action == "correct_record"
        assert "reason" not in last.details  # free text: in the event's sealed part, opened with the case's key
        assert opened(session, last)["values"]["reason"].startswith("The gendarmerie")
        old, new = last.details["corrections"]["encounter_at"]
        assert old.startswith("2026-06-14T08:00") and new.startswith("2026-06-13T07:30")
        assert last.details["handover"]["elapsed_seconds"] == [20 * 3600, h.elapsed_seconds]
        assert verify_database(session, case.code).ok

    def test_a_correction_that_makes_a_handover_late_flags_it(self, session, users, make_case, frozen):
        case = make_case(encounter_at="2026-06-14T08:00:00")
        submit(session, case, users)
        release(session, case, users)
        handover(session, case, users, hours_after_encounter=20)
        fire(session, case, "correct_record", users["registrar"],
             {"encounter_at": "2026-06-11T08:00:00", "reason": "The first custody record was found."})
        h = Handover.latest(session, case.id)
        assert h.late is True and h.hours_since_encounter == 92

    def test_correcting_the_age_below_macr_sends_jj_back_to_review(self, session, users, make_case, frozen):
        case = make_case(charge_category="terrorism", claimed_age=16, encounter_at="2026-06-01T08:00:00")
        submit(session, case, users)
        refer_to_jj(session, case, users, date(2026, 5, 1))
        rounds = len(ReviewRound.for_case(session, case.id))
        fire(session, case, "correct_record", users["registrar"],
             {"claimed_age": 13, "reason": "A school record gives the child's real age."})
        assert case.state == "under_review"
        assert len(ReviewRound.for_case(session, case.id)) == rounds + 1
        last = events_for_chain(session, case.code)[-1]
        assert last.to_state == "under_review" and last.details["rerouted"]["to"] == "under_review"
        assert case.age_at_encounter == 13

    def test_a_correction_that_keeps_the_basis_leaves_the_decision(self, session, users, make_case, frozen):
        case = make_case(charge_category="terrorism", claimed_age=16, encounter_at="2026-06-01T08:00:00")
        submit(session, case, users)
        refer_to_jj(session, case, users, date(2026, 5, 1))
        fire(session, case, "correct_record", users["registrar"],
             {"claimed_age": 17, "reason": "The child gave a corrected age."})
        assert case.state == "juvenile_justice"

    def test_correcting_a_not_a_child_case_below_18_reopens_it(self, session, users, make_case, frozen):
        """Assessed at 19 at least, so 18 or more at the encounter; the encounter was in fact a year
        earlier, when the person was 17 at most: "not a child" no longer stands."""
        case = make_case(claimed_age=None, encounter_at="2026-06-10T08:00:00")
        request_assessment(session, case, users)
        fire(session, case, "record_assessment", users["assessor"], assessment_result(19, 24))
        frozen.advance(timedelta(days=15))
        vote(session, case, users, "not_a_child")
        fire(session, case, "decide_not_a_child", users["reviewer.un"],
             {"reasons": "Assessed adult", "offence_category": "association_only"})
        assert case.state == "closed" and case.age_at_encounter == 18
        # the assessment is the age used: a birth date typed later changes nothing
        fire(session, case, "correct_record", users["registrar"],
             {"date_of_birth": "2012-01-01", "reason": "The civil register has another date."})
        assert case.state == "closed"
        fire(session, case, "correct_record", users["registrar"],
             {"encounter_at": "2025-06-10T08:00:00", "reason": "The first arrest was a year earlier."})
        assert case.age_at_encounter == 17
        assert case.state == "under_review" and case.closed_reason is None

    def test_a_correction_may_not_put_the_offence_after_the_encounter(self, session, users, make_case, frozen):
        case = make_case(charge_category="terrorism", claimed_age=16, encounter_at="2026-06-01T08:00:00")
        submit(session, case, users)
        refer_to_jj(session, case, users, date(2026, 5, 20))
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "correct_record", users["registrar"],
                 {"encounter_at": "2026-05-10T08:00:00", "reason": "Typed the wrong month at first."})
        assert field_error(err, "encounter_at")

    def test_before_any_decision_a_plain_edit_is_fine(self, session, users, make_case, frozen):
        case = make_case(claimed_age=15)
        fire(session, case, "edit_intake", users["registrar"], {"claimed_age": 14})
        assert case.claimed_age == 14 and case.age_at_encounter == 14


# --- 3. exact time and age arithmetic ------------------------------------------------------------

class TestAgeArithmetic:
    def test_four_calendar_years_back_from_16_is_12(self):
        born = latest_birth_date(16, date(2026, 6, 15))
        assert whole_years_between(born, date(2022, 6, 15)) == 12
        assert whole_years_between(born, date(2022, 6, 14)) == 11

    def test_leap_day(self):
        born = latest_birth_date(17, date(2028, 2, 29))  # 2011 has no 29 February
        assert born == date(2011, 2, 28)
        assert whole_years_between(born, date(2024, 2, 28)) == 13
        assert whole_years_between(born, date(2024, 2, 27)) == 12
        assert latest_birth_date(16, date(2028, 2, 29)) == date(2012, 2, 29)
        # born on 29 February: a year older on 1 March of a common year
        assert whole_years_between(date(2008, 2, 29), date(2026, 2, 28)) == 17
        assert whole_years_between(date(2008, 2, 29), date(2026, 3, 1)) == 18

    def test_one_function_gives_the_age_used_and_the_day_it_applies(self, session, users, make_case, frozen):
        case = make_case(claimed_age=15, encounter_at="2026-06-01T08:00:00")
        request_assessment(session, case, users)
        fire(session, case, "record_assessment", users["assessor"], assessment_result(16, 19))
        a = AgeAssessment.latest_concluded(session, case.id)
        age = age_at(case, a)
        assert age.on == date(2026, 6, 1) and age.basis == "assessed"
        assert age.years == 15  # 16 on 15 June 2026, so 15 on 1 June (latest birth: 15 June 2010)
        assert case.age_at_encounter == age.years

    def test_the_case_page_shows_one_age_and_its_day(self, client, auth, session, users, make_case, frozen):
        from caseflow.extensions import db

        case = make_case(claimed_age=15, encounter_at="2026-06-01T08:00:00")
        request_assessment(session, case, users)
        fire(session, case, "record_assessment", users["assessor"], assessment_result(16, 19))
        db.session.flush()
        auth.login("reviewer.un")
        html = client.get(f"/cases/{case.code}").get_data(as_text=True)
        assert "age used: 16" not in html.lower()
        summary = html.split('id="summary-h"')[1].split("</section>")[0]
        assessment = html.split('id="assess-h"')[1].split("</section>")[0]
        assert summary.count("Age used") == 1 and "15" in summary and "at the encounter" in summary
        assert "Age used" not in assessment and "16–19" in assessment


# --- 4. collective decisions --------------------------------------------------------------------

@pytest.fixture
def defence_accounts(session, users):
    """Four accounts of one ministry."""
    org = users["reviewer.defence"].organisation
    extra = [create_user(session, email=f"defence{i}@caseflow.test", full_name=f"Defence {i}", role="reviewer",
                         organisation=org, password="long-enough-password") for i in range(3)]
    return [users["reviewer.defence"], *extra]


class TestVoting:
    def test_four_accounts_of_one_ministry_are_one_voice(self, session, users, make_case, defence_accounts):
        case = make_case(claimed_age=16)
        submit(session, case, users)
        for who in defence_accounts:
            fire(session, case, "cast_vote", who, {"outcome": "juvenile_justice", "offence_category": "other_offence",
                                                   "reasons": "Defence view"})
        vote(session, case, users, "release", who=("reviewer.un", "reviewer.family"))
        with pytest.raises(GuardRefused, match="reached “Release"):
            fire(session, case, "decide_juvenile_justice", defence_accounts[0],
                 jj_decision(case.encounter_at.date() - timedelta(days=3)))
        fire(session, case, "decide_release", users["reviewer.un"],
             {"reasons": "Release", "offence_category": "support_tasks",
              "receiving_org_id": org_id(session, PARTNER_ORG)})
        last = events_for_chain(session, case.code)[-1]
        assert last.details["tally"] == {"release": 2, "juvenile_justice": 1}
        assert last.details["dissent"] == 4

    def test_a_split_institution_abstains(self, session, users, make_case, defence_accounts):
        from caseflow.review.quorum import quorum_status

        case = make_case()
        submit(session, case, users)
        for who, outcome in zip(defence_accounts[:2], ("defer", "release"), strict=True):
            fire(session, case, "cast_vote", who, {"outcome": outcome, "offence_category": "support_tasks",
                                                   "reasons": "split"})
        vote(session, case, users, "release", who=("reviewer.un",))
        rnd = ReviewRound.current(session, case.id)
        status = quorum_status(get_workflow("detained_child").quorum, rnd.votes)
        defence = next(p for p in status.positions if p.organisation_id == defence_accounts[0].organisation_id)
        assert defence.outcome is None and defence.members == {"defer": 1, "release": 1}
        assert status.tally == {"release": 1}

    def test_a_tie_never_gives_juvenile_justice_or_not_a_child(self):
        rule = get_workflow_quorum()
        assert prevailing(rule, ["juvenile_justice", "release"]) == ("release", True)
        assert prevailing(rule, ["juvenile_justice", "defer"]) == ("defer", True)
        assert prevailing(rule, ["juvenile_justice", "not_a_child"]) == ("defer", True)
        assert prevailing(rule, ["juvenile_justice", "juvenile_justice", "release", "defer"]) == ("defer", True)
        assert prevailing(rule, ["juvenile_justice", "juvenile_justice", "release"]) == ("juvenile_justice", False)
        assert prevailing(rule, ["diversion", "defer"]) == ("diversion", True)

    def test_majority_by_member_is_the_other_choice(self):
        from types import SimpleNamespace

        from caseflow.review.quorum import quorum_status

        rule = {**get_workflow_quorum(), "majority_by": "member"}
        votes = [SimpleNamespace(organisation_id=1, organisation_kind="government", outcome="defer")] * 3 + [
            SimpleNamespace(organisation_id=2, organisation_kind="un", outcome="release")]
        assert quorum_status(rule, votes).majority == "defer"
        assert quorum_status({**rule, "majority_by": "institution"}, votes).majority == "release"

    def test_the_decision_is_taken_by_a_member_of_a_voting_institution(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, "release", who=("reviewer.justice", "reviewer.family", "reviewer.un"))
        with pytest.raises(GuardRefused, match="institution that voted"):
            fire(session, case, "decide_release", users["reviewer.defence"],
                 {"reasons": "Release", "offence_category": "support_tasks",
                  "receiving_org_id": org_id(session, PARTNER_ORG)})

    def test_recusal_is_audited_and_bars_the_vote(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, "defer", who=("reviewer.defence",))
        fire(session, case, "recuse", users["reviewer.defence"], {"reason": "My cousin arrested the child."})
        last = events_for_chain(session, case.code)[-1]
        assert last.action == "recuse" and last.details["withdrawn_vote"]["outcome"] == "defer"
        assert ReviewRound.current(session, case.id).votes == []
        with pytest.raises(GuardRefused, match="recused"):
            vote(session, case, users, "release", who=("reviewer.defence",))

    def test_a_recusal_lasts_into_the_next_round_until_withdrawn_with_a_reason(self, session, users, make_case,
                                                                                  frozen):
        case = make_case()
        submit(session, case, users)
        fire(session, case, "recuse", users["reviewer.defence"], {"reason": "My cousin arrested the child."})
        vote(session, case, users, "defer", who=("reviewer.justice", "reviewer.un", "reviewer.family"))
        fire(session, case, "decide_defer", users["reviewer.un"],
             {"reasons": "Documents awaited", "offence_category": "support_tasks",
              "next_review_date": (frozen.today() + timedelta(days=7)).isoformat()})
        assert ReviewRound.current(session, case.id).number == 2  # a new round: the recusal still holds
        with pytest.raises(GuardRefused, match="recused yourself from this case"):
            vote(session, case, users, "release", who=("reviewer.defence",))
        with pytest.raises(GuardRefused, match="recused yourself from this case"):
            fire(session, case, "recuse", users["reviewer.defence"], {"reason": "Again"})
        offered = {a.trigger: a for a in available_transitions(session, case, users["reviewer.defence"])}
        assert not offered["cast_vote"].allowed and offered["withdraw_recusal"].allowed
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "withdraw_recusal", users["reviewer.defence"], {})
        assert "reason" in err.value.errors
        with pytest.raises(GuardRefused, match="not recused"):
            fire(session, case, "withdraw_recusal", users["reviewer.un"], {"reason": "I never recused."})
        fire(session, case, "withdraw_recusal", users["reviewer.defence"], {"reason": "My cousin left the unit."})
        last = events_for_chain(session, case.code)[-1]
        assert last.action == "withdraw_recusal" and last.details["recused_in_round"] == 1
        vote(session, case, users, "release", who=("reviewer.defence",))  # takes part again
        [recusal] = ReviewRound.for_case(session, case.id)[0].recusals
        assert recusal.reason == "My cousin arrested the child."
        assert recusal.withdrawal_reason == "My cousin left the unit."
        # a new conflict in the same round: a recusal again (the walk found a 500 here: one row per round)
        fire(session, case, "recuse", users["reviewer.defence"], {"reason": "My brother now leads the unit."})
        fire(session, case, "withdraw_recusal", users["reviewer.defence"], {"reason": "He was transferred."})
        fire(session, case, "recuse", users["reviewer.defence"], {"reason": "He came back."})
        assert len(ReviewRound.current(session, case.id).recusals) == 2
        with pytest.raises(GuardRefused, match="recused yourself from this case"):
            vote(session, case, users, "release", who=("reviewer.defence",))

    @pytest.mark.parametrize("trigger, change, fact", [
        ("edit_intake", {"claimed_age": 14}, "claimed_age"),
        ("edit_intake", {"charge_category": "terrorism"}, "charge_category"),
        ("edit_intake", {"charges": "Now also accused of theft"}, "charges"),
        ("edit_intake", {"date_of_birth": "2011-04-02", "claimed_age": None}, "date_of_birth"),
        ("correct_record", {"claimed_age": 17, "reason": "The school record gives 17."}, "claimed_age"),
        ("correct_record", {"encounter_at": "two hours earlier", "reason": "The unit's log gives an earlier time."},
         "encounter_at"),
    ])
    def test_new_facts_open_a_new_round_and_the_old_votes_do_not_count(self, session, users, make_case, frozen,
                                                                       trigger, change, fact):
        case = make_case(claimed_age=16, charge_category="association")
        submit(session, case, users)
        vote(session, case, users, "release", who=("reviewer.justice", "reviewer.un", "reviewer.family"))
        if change.get("encounter_at") == "two hours earlier":
            change = {**change, "encounter_at": (case.encounter_at - timedelta(hours=2)).isoformat()}
        fire(session, case, trigger, users["registrar"], change)
        first, second = ReviewRound.for_case(session, case.id)
        assert first.superseded_at is not None and first.decision is None
        assert second.closed_at is None and second.votes == []
        last = events_for_chain(session, case.code)[-1]
        assert fact in last.details["new_facts"] and last.details["votes_set_aside"] is True
        assert last.details["superseded_round"] == 1 and last.details["round"] == 2
        with pytest.raises(GuardRefused, match="quorum"):
            fire(session, case, "decide_release", users["reviewer.un"],
                 {"reasons": "Release", "offence_category": "support_tasks",
                  "receiving_org_id": org_id(session, PARTNER_ORG)})
        assert verify_database(session, case.code).ok

    def test_an_edit_of_another_field_leaves_the_round_and_its_votes(self, session, users, make_case, frozen):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, "release", who=("reviewer.justice", "reviewer.un"))
        fire(session, case, "edit_intake", users["registrar"], {"commune": "Ansongo", "languages": "Bambara"})
        [only] = ReviewRound.for_case(session, case.id)
        assert only.closed_at is None and len(only.votes) == 2
        assert "new_facts" not in events_for_chain(session, case.code)[-1].details

    def test_an_assessment_supersedes_the_open_round(self, session, users, make_case, frozen):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, "release")
        request_assessment(session, case, users, who="reviewer.un")
        fire(session, case, "record_assessment", users["assessor"], assessment_result(15, 17))
        rounds = ReviewRound.for_case(session, case.id)
        assert rounds[0].superseded_at is not None and rounds[0].decision is None
        assert rounds[1].closed_at is None and rounds[1].votes == []
        with pytest.raises(GuardRefused, match="members have voted"):
            fire(session, case, "decide_release", users["reviewer.un"],
                 {"reasons": "Release", "offence_category": "support_tasks",
                  "receiving_org_id": org_id(session, PARTNER_ORG)})

    def test_quorum_status_shows_institution_positions(self, client, auth, session, users, make_case,
                                                       defence_accounts):
        from caseflow.extensions import db

        case = make_case()
        submit(session, case, users)
        for who, outcome in zip(defence_accounts[:2], ("defer", "release"), strict=True):
            fire(session, case, "cast_vote", who, {"outcome": outcome, "offence_category": "support_tasks",
                                                   "reasons": "split"})
        db.session.flush()
        auth.login("reviewer.un")
        html = client.get(f"/cases/{case.code}").get_data(as_text=True)
        assert "Ministry of Defence" in html and "split: abstains" in html


def get_workflow_quorum() -> dict:
    from caseflow.config import PROJECT_ROOT
    from caseflow.workflow.definition import load_file

    return load_file(PROJECT_ROOT / "workflows" / "detained_child.yaml",
                     {"registrar", "reviewer", "assessor", "partner", "auditor", "admin"}).quorum


# --- 5. closure from any open state --------------------------------------------------------------

class TestClosure:
    def test_a_registered_child_who_died_is_closed_with_a_reason(self, session, users, make_case):
        case = make_case()
        fire(session, case, "close", users["registrar"], {"reason": "deceased"})
        assert case.state == "closed" and case.closed_reason == "deceased"
        assert not [c for c in case.clocks if c.stopped_at is None]

    def test_roles_differ_by_reason(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "close", users["reviewer.un"], {"reason": "escaped"})
        assert field_error(err, "reason")
        with pytest.raises(ValidationFailed):
            fire(session, case, "close", users["registrar"], {"reason": "reintegrated"})
        fire(session, case, "close", users["registrar"], {"reason": "released_before_review"})
        fire(session, case, "reopen", users["registrar"], {"reason": "Detained again last week"})
        assert case.state == "under_review"

    def test_a_partner_closes_only_the_cases_it_received(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        release(session, case, users)
        handover(session, case, users)
        fire(session, case, "close", users["partner"], {"reason": "transferred"})
        assert case.closed_reason == "transferred"

    def test_juvenile_justice_can_close_for_escape(self, session, users, make_case, frozen):
        case = make_case(charge_category="terrorism", claimed_age=16)
        submit(session, case, users)
        refer_to_jj(session, case, users, case.encounter_at.date() - timedelta(days=3))
        fire(session, case, "close", users["registrar"], {"reason": "escaped"})
        assert case.state == "closed"


# --- 6. clocks follow what people set -------------------------------------------------------------

class TestClocks:
    def running(self, case):
        return {c.name: c for c in case.clocks if c.stopped_at is None}

    def test_a_deferral_sets_the_review_clock(self, session, users, make_case, frozen):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, "defer")
        nxt = NOW.date() + timedelta(days=30)
        fire(session, case, "decide_defer", users["reviewer.un"],
             {"reasons": "Waiting for documents", "offence_category": "support_tasks",
              "next_review_date": nxt.isoformat()})
        due = self.running(case)["review_decision"].due_at
        assert due == datetime.combine(nxt + timedelta(days=1), datetime.min.time(), tzinfo=UTC)

    def test_a_follow_up_sets_the_next_visit(self, session, users, make_case, frozen):
        case = make_case()
        submit(session, case, users)
        release(session, case, users)
        handover(session, case, users)
        assert "referral" in self.running(case)
        fire(session, case, "start_reintegration", users["partner"], referral())
        nxt = NOW.date() + timedelta(days=10)
        fire(session, case, "record_follow_up", users["partner"], {
            "visit_date": NOW.date().isoformat(), "visit_type": "home_visit", "findings": "Well",
            "risk_level": "high", "next_visit_date": nxt.isoformat()})
        assert self.running(case)["follow_up"].due_at.date() == nxt + timedelta(days=1)

    def test_diversion_has_a_clock(self, session, users, make_case, frozen):
        case = make_case()
        submit(session, case, users)
        divert(session, case, users)
        assert "diversion_review" not in self.running(case)  # not before the child is transferred to it
        handover(session, case, users, hours_after_encounter=3)
        clk = self.running(case)["diversion_review"]
        assert clk.due_at == NOW + timedelta(days=30)


def test_the_page_offers_closure_with_reasons(session, users, make_case):
    offered = {a.trigger: a for a in available_transitions(session, make_case(), users["registrar"])}
    assert offered["close"].allowed


# --- the "not a child" rule under drawn dates and ages ---------------------------------------------

@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(min_age=st.sampled_from([16, 17, 18, 19, 22]), consent=st.sampled_from(["given", "refused"]),
       requested=st.one_of(st.sampled_from([0, 3, 14, 15, 30]), st.integers(0, 366)),
       explained=st.one_of(st.sampled_from([0, -1, -15, -500, 1]), st.floats(0, 1)),  # a float: that share back
       concluded=st.one_of(st.sampled_from([None, None, -2, -500, 1]), st.floats(0, 1)),  # towards the request
       waited=st.sampled_from([13, 14, 15, 16, 40, 0]), leap=st.booleans())
def test_not_a_child_only_for_an_assessed_adult_after_the_window(session, users, make_case, clock, min_age, consent,
                                                                 requested, explained, concluded, waited, leap):
    """The request up to a year old when the result is recorded; the result explained and concluded
    any day from long before the request to tomorrow: the whole window is left from the day the
    result is recorded, and from the day it was explained."""
    start = datetime(2028, 2, 27, 10, tzinfo=UTC) if leap else NOW
    clock.freeze(start)
    savepoint = session.begin_nested()
    try:
        case = make_case(claimed_age=None, encounter_at=(start - timedelta(days=2)).isoformat())
        request_assessment(session, case, users)
        clock.advance(timedelta(days=requested))
        today = clock.today()
        explained = -round(explained * requested) if isinstance(explained, float) else explained
        concluded = -round(concluded * requested) if isinstance(concluded, float) else concluded
        asked = start.date()  # the day the assessment was requested
        extra = {} if concluded is None else {"concluded_on": (today + timedelta(days=concluded)).isoformat()}
        try:
            fire(session, case, "record_assessment", users["assessor"],
                 assessment_result(min_age, min_age + 3, consent=consent,
                                   explained_on=today + timedelta(days=explained), **extra))
        except ValidationFailed:
            c = concluded or 0  # not given: today
            # refused only when a date is in the future, before the request, or explained first
            assert (explained > 0 or c > 0 or explained < -requested or c < -requested or explained < c), \
                (requested, explained, concluded)
            return
        recorded_on = today
        vote(session, case, users, "not_a_child")
        clock.advance(timedelta(days=waited))
        try:
            fire(session, case, "decide_not_a_child", users["reviewer.un"],
                 {"reasons": "Assessed adult", "offence_category": "association_only"})
        except GuardRefused:
            return
        a = AgeAssessment.latest_concluded(session, case.id)
        assert a.consent == "given" and age_at(case, a).years >= 18
        assert clock.today() > a.appeal_deadline >= a.explained_on + timedelta(days=14)
        assert a.appeal_deadline >= recorded_on + timedelta(days=14) and a.explained_on >= asked
        assert a.explained_on >= a.requested_at.date() and a.explained_on >= a.assessed_day
    finally:
        savepoint.rollback()
        session.expunge_all()  # nothing of this example stays in the identity map (SQLite reuses ids)
        clock.reset()


def test_the_history_says_which_new_facts_set_the_votes_aside(app, session, users, make_case, frozen):
    from flask_babel import force_locale

    from caseflow.cases.words import details_in_words

    case = make_case(claimed_age=16)
    submit(session, case, users)
    vote(session, case, users, "release", who=("reviewer.justice",))
    fire(session, case, "edit_intake", users["registrar"], {"claimed_age": 14})
    details = events_for_chain(session, case.code)[-1].details
    with force_locale("fr"):
        words = " | ".join(details_in_words(details))
    assert "Faits nouveaux : " in words or "Faits nouveaux: " in words
    assert "new_facts" not in words and "claimed_age" not in words and "votes_set_aside" not in words
