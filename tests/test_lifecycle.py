"""The detained-child lifecycle through the engine: every path, every guard passing and refusing."""

from datetime import date, timedelta

import pytest

from caseflow.assessment.age import effective_age
from caseflow.audit.verify import verify_database
from caseflow.errors import Conflict, Forbidden, GuardRefused, StaleVersion, ValidationFailed
from caseflow.handover.models import Handover
from caseflow.reintegration.models import FollowUp, Referral
from caseflow.review.models import ReviewRound
from caseflow.workflow.engine import available_transitions, fire
from tests.helpers import (
    ASSESSOR_ORG,
    PARTNER_ORG,
    assessment_result,
    divert,
    event_count,
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


def test_release_handover_reintegration_closure_and_reopening(session, users, make_case):
    case = make_case()
    assert case.code.startswith("CF-") and case.state == "registered" and case.version == 1
    submit(session, case, users)
    assert case.state == "under_review"
    release(session, case, users)
    assert case.state == "handover_pending" and case.receiving_org.name == PARTNER_ORG
    handover(session, case, users)
    assert case.state == "handed_over"
    h = Handover.latest(session, case.id)
    assert h.hours_since_encounter == 9 and h.late is False
    fire(session, case, "start_reintegration", users["partner"], referral())
    fire(session, case, "add_referral", users["partner"], referral("education"))
    refs = Referral.for_case(session, case.id)
    fire(session, case, "update_referral", users["partner"], {"referral_id": refs[0].id, "status": "in_progress"})
    fire(session, case, "record_follow_up", users["partner"], {
        "visit_date": date.today().isoformat(), "visit_type": "home_visit", "findings": "Back with family",
        "risk_level": "low"})
    assert [r.status for r in Referral.for_case(session, case.id)] == ["in_progress", "referred"]
    assert len(FollowUp.for_case(session, case.id)) == 1
    fire(session, case, "close", users["partner"], {"reason": "reintegrated"})
    assert case.state == "closed" and case.closed_reason == "reintegrated"
    fire(session, case, "reopen", users["reviewer.un"], {"reason": "The family asked for help again"})
    assert case.state == "under_review" and case.closed_reason is None
    assert len(ReviewRound.for_case(session, case.id)) == 2
    assert verify_database(session, case.code).ok


def test_every_change_bumps_the_version_and_leaves_exactly_one_event(session, users, make_case):
    case = make_case()
    before_events, before_version = event_count(session, case.code), case.version
    submit(session, case, users)
    vote(session, case, users, who=("reviewer.justice",))
    assert case.version == before_version + 2
    assert event_count(session, case.code) == before_events + 2


def test_a_late_handover_is_flagged_and_still_recorded(session, users, make_case):
    case = make_case(encounter_at=(date.today() - timedelta(days=5)).isoformat() + "T08:00:00")
    submit(session, case, users)
    release(session, case, users)
    handover(session, case, users, hours_after_encounter=60)
    h = Handover.latest(session, case.id)
    assert case.state == "handed_over" and h.late is True and h.hours_since_encounter == 60


def test_handover_only_by_the_receiving_organisation(session, users, make_case):
    case = make_case()
    submit(session, case, users)
    release(session, case, users)
    with pytest.raises(Forbidden):  # another partner does not even see the case
        fire(session, case, "record_handover", users["partner2"], {})
    with pytest.raises(ValidationFailed) as err:
        handover(session, case, users, hours_after_encounter=-2)
    assert "before the encounter" in err.value.errors["handed_over_at"][0]


def test_release_names_a_civilian_partner(session, users, make_case):
    case = make_case()
    submit(session, case, users)
    vote(session, case, users, "release")
    with pytest.raises(GuardRefused, match="child-protection partner"):
        fire(session, case, "decide_release", users["reviewer.un"],
             {"reasons": "Release", "offence_category": "support_tasks",
              "receiving_org_id": org_id(session, "Ministry of Defence")})


class TestQuorum:
    def test_too_few_members(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, who=("reviewer.justice", "reviewer.un"))
        with pytest.raises(GuardRefused, match="2 of 3 members"):
            fire(session, case, "decide_release", users["reviewer.un"],
                 {"reasons": "x" * 10, "offence_category": "support_tasks",
                  "receiving_org_id": org_id(session, PARTNER_ORG)})

    def test_government_and_un_must_both_be_present(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, who=("reviewer.justice", "reviewer.family", "reviewer.defence"))
        reasons = {a.trigger: a.reason for a in available_transitions(session, case, users["reviewer.un"])}
        assert "United Nations" in reasons["decide_release"]

    def test_majority_decides_and_dissent_is_kept(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, "release", who=("reviewer.justice", "reviewer.un"))
        vote(session, case, users, "defer", who=("reviewer.defence",))
        with pytest.raises(GuardRefused, match="reached “Release"):
            fire(session, case, "decide_defer", users["reviewer.un"],
                 {"reasons": "later", "offence_category": "support_tasks",
                  "next_review_date": (date.today() + timedelta(days=7)).isoformat()})
        fire(session, case, "decide_release", users["reviewer.un"],
             {"reasons": "Majority for release", "offence_category": "support_tasks",
              "receiving_org_id": org_id(session, PARTNER_ORG)})
        rnd = ReviewRound.for_case(session, case.id)[0]
        assert rnd.decision == "release" and [v.outcome for v in rnd.votes].count("defer") == 1

    def test_a_tie_goes_to_the_least_restrictive_outcome(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, "release", who=("reviewer.justice", "reviewer.un"))
        vote(session, case, users, "defer", who=("reviewer.defence", "reviewer.unicef"))
        with pytest.raises(GuardRefused, match="reached “Release"):
            fire(session, case, "decide_defer", users["reviewer.un"],
                 {"reasons": "x" * 10, "offence_category": "support_tasks",
                  "next_review_date": (date.today() + timedelta(days=7)).isoformat()})
        fire(session, case, "decide_release", users["reviewer.un"],
             {"reasons": "x" * 10, "offence_category": "support_tasks",
              "receiving_org_id": org_id(session, PARTNER_ORG)})
        assert case.state == "handover_pending"

    def test_a_member_may_revise_a_vote_in_the_open_round(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, "defer", who=("reviewer.un",))
        vote(session, case, users, "release", who=("reviewer.un",))
        rnd = ReviewRound.current(session, case.id)
        assert [v.outcome for v in rnd.votes] == ["release"]


def test_defer_needs_a_future_date_and_opens_a_new_round(session, users, make_case):
    case = make_case()
    submit(session, case, users)
    vote(session, case, users, "defer")
    with pytest.raises(ValidationFailed) as err:
        fire(session, case, "decide_defer", users["reviewer.un"],
             {"reasons": "wait", "offence_category": "support_tasks", "next_review_date": date.today().isoformat()})
    assert "next_review_date" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        fire(session, case, "decide_defer", users["reviewer.un"], {"offence_category": "support_tasks"})
    assert {"reasons", "next_review_date"} <= set(err.value.errors)
    nxt = date.today() + timedelta(days=10)
    fire(session, case, "decide_defer", users["reviewer.un"],
         {"reasons": "Waiting for documents", "offence_category": "support_tasks", "next_review_date": nxt.isoformat()})
    assert case.state == "under_review" and case.next_review_date == nxt
    assert [r.number for r in ReviewRound.for_case(session, case.id)] == [1, 2]


class TestJuvenileJustice:
    def decide(self, session, case, users, category, offence_date=None):
        vote(session, case, users, "juvenile_justice", category=category)
        offence = offence_date or (case.encounter_at.date() - timedelta(days=3))
        fire(session, case, "decide_juvenile_justice", users["reviewer.un"],
             {"reasons": "Serious offence alleged", "offence_category": category, "offence_date": offence.isoformat()})
        assert case.state == "justice_transfer_pending"
        transfer_to_justice(session, case, users)

    def test_refused_below_the_minimum_age(self, session, users, make_case):
        case = make_case(claimed_age=13)
        submit(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            self.decide(session, case, users, "other_offence")
        assert "at least 14" in err.value.errors["offence_date"][0]

    def test_refused_for_association_or_support_tasks(self, session, users, make_case):
        case = make_case(claimed_age=16)
        submit(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            self.decide(session, case, users, "support_tasks")
        assert "association or support tasks" in err.value.errors["offence_category"][0]

    def test_refused_when_age_is_unknown(self, session, users, make_case):
        case = make_case(claimed_age=None)
        submit(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            self.decide(session, case, users, "other_offence")
        assert "benefit of the doubt" in err.value.errors["offence_date"][0]

    @pytest.mark.parametrize("charge", [None, "association", "none"])
    def test_refused_for_an_offence_the_case_does_not_charge(self, session, users, make_case, charge):
        """The decision's "another offence" must be a charge recorded on the case, not one it adds."""
        case = make_case(claimed_age=16, charge_category=charge)
        submit(session, case, users)
        vote(session, case, users, "juvenile_justice", category="other_offence")
        offered = {a.trigger: a for a in available_transitions(session, case, users["reviewer.un"])}
        assert not offered["decide_juvenile_justice"].allowed
        assert "charge of another offence" in offered["decide_juvenile_justice"].reason
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "decide_juvenile_justice", users["reviewer.un"],
                 {"reasons": "Serious offence alleged", "offence_category": "other_offence",
                  "offence_date": (case.encounter_at.date() - timedelta(days=3)).isoformat()})
        assert "charge of another offence" in err.value.errors["offence_category"][0]
        assert case.state == "under_review"

    @pytest.mark.parametrize("charge", ["terrorism", "state_security", "weapons", "ordinary"])
    def test_allowed_for_each_charge_of_another_offence(self, session, users, make_case, charge):
        case = make_case(claimed_age=16, charge_category=charge)
        submit(session, case, users)
        self.decide(session, case, users, "other_offence")
        assert case.state == "juvenile_justice"

    @pytest.mark.parametrize("hours, late", [(48, False), (49, True)])
    def test_the_handover_clock_runs_until_the_transfer_to_juvenile_justice(self, session, users, make_case, clock,
                                                                           hours, late):
        """A referral to juvenile justice is not a child out of the force's custody: the clock stops
        when the transfer is recorded, measured against the same limit; the custody goes on, by the
        juvenile justice authority, in its facility."""
        from datetime import timedelta

        from caseflow.audit.log import events_for_chain
        from caseflow.errors import Forbidden

        case = make_case(claimed_age=16, charge_category="terrorism",
                         encounter_at=(clock.now() - timedelta(hours=2)).isoformat())
        submit(session, case, users)
        vote(session, case, users, "juvenile_justice", category="other_offence")
        fire(session, case, "decide_juvenile_justice", users["reviewer.un"],
             {"reasons": "Serious offence alleged", "offence_category": "other_offence",
              "offence_date": (case.encounter_at.date() - timedelta(days=3)).isoformat()})
        assert case.state == "justice_transfer_pending"
        assert "handover" in {c.name for c in case.clocks if c.stopped_at is None}
        assert "re_review" not in {c.name for c in case.clocks if c.stopped_at is None}
        clock.advance(timedelta(hours=hours))
        with pytest.raises(Forbidden):  # the registrar records it, not the partner
            fire(session, case, "record_justice_transfer", users["partner"], {})
        with pytest.raises(ValidationFailed) as err:
            transfer_to_justice(session, case, users, hours_after_encounter=-1)
        assert "transferred_at" in err.value.errors
        transfer_to_justice(session, case, users, hours_after_encounter=hours)
        assert case.state == "juvenile_justice"
        running = {c.name for c in case.clocks if c.stopped_at is None}
        assert "handover" not in running and "re_review" in running
        assert case.facility_type == "juvenile_detention_centre" and case.custody_end is None  # still detained
        last = events_for_chain(session, case.code)[-1]
        assert last.details["late"] is late and last.details["hours_since_encounter"] == hours
        assert last.details["changes"]["facility_type"] == ["military_facility", "juvenile_detention_centre"]

    def test_allowed_and_re_reviewed(self, session, users, make_case):
        case = make_case(charge_category="terrorism", claimed_age=16)
        submit(session, case, users)
        self.decide(session, case, users, "other_offence")
        assert case.state == "juvenile_justice"
        assert "re_review" in {c.name for c in case.clocks if c.stopped_at is None}
        fire(session, case, "re_review", users["reviewer.justice"], {"comment": "Periodic re-review"})
        assert case.state == "under_review"


class TestAgeAssessment:
    def test_needs_a_written_serious_doubt(self, session, users, make_case):
        case = make_case()
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "request_assessment", users["registrar"],
                 {"reason_for_doubt": "looks old", "assessor_org_id": org_id(session, ASSESSOR_ORG)})
        assert "reason_for_doubt" in err.value.errors

    def test_only_independent_assessors_are_assigned(self, session, users, make_case):
        case = make_case()
        with pytest.raises(GuardRefused, match="independent assessors"):
            fire(session, case, "request_assessment", users["registrar"],
                 {"reason_for_doubt": "Documents disagree with the claimed age of the child.",
                  "assessor_org_id": org_id(session, PARTNER_ORG)})

    def test_minimum_of_the_range_is_the_age_used(self, session, users, make_case):
        case = make_case(claimed_age=15)
        request_assessment(session, case, users)
        assert case.state == "age_assessment"
        fire(session, case, "record_assessment", users["assessor"], assessment_result(16, 20))
        assert case.state == "under_review"
        age = effective_age(session, case)
        assert age.basis == "assessed" and age.years in (15, 16)  # the minimum, carried back to the encounter
        assert age.years <= 16

    def test_refused_consent_means_a_child(self, session, users, make_case):
        case = make_case(claimed_age=17)
        request_assessment(session, case, users)
        fire(session, case, "record_assessment", users["assessor"], assessment_result(consent="refused"))
        age = effective_age(session, case)
        assert age.years is None and age.treated_as_child and age.basis == "consent_refused"

    def test_methods_from_least_to_most_intrusive(self, session, users, make_case):
        case = make_case()
        request_assessment(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "record_assessment", users["assessor"],
                 assessment_result(methods=["medical", "documents"]))
        assert "methods" in err.value.errors

    def test_range_must_be_ordered_and_independence_declared(self, session, users, make_case):
        case = make_case()
        request_assessment(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "record_assessment", users["assessor"],
                 assessment_result(19, 16, independence_declared=False))
        assert {"max_age", "independence_declared"} <= set(err.value.errors)

    def test_appeal_within_the_window_sends_it_back(self, session, users, make_case):
        case = make_case()
        request_assessment(session, case, users)
        fire(session, case, "record_assessment", users["assessor"], assessment_result(19, 22))
        fire(session, case, "appeal_assessment", users["registrar"],
             {"grounds": "The child has a birth certificate now", "assessor_org_id": org_id(session, ASSESSOR_ORG)})
        assert case.state == "age_assessment"

    def test_appeal_after_the_window_is_refused(self, session, users, make_case, clock):
        case = make_case()
        request_assessment(session, case, users)
        fire(session, case, "record_assessment", users["assessor"], assessment_result(19, 22))
        clock.advance(timedelta(days=15))
        with pytest.raises(GuardRefused, match="appeal window closed"):
            fire(session, case, "appeal_assessment", users["registrar"],
                 {"grounds": "Late appeal grounds", "assessor_org_id": org_id(session, ASSESSOR_ORG)})

    def test_an_assessor_of_a_caring_organisation_is_refused(self, session, users, make_case):
        from caseflow.auth.operations import create_user

        case = make_case()
        request_assessment(session, case, users)
        partner_org = users["partner"].organisation
        nurse = create_user(session, email="nurse@ngo.test", full_name="NGO Nurse", role="assessor",
                            organisation=partner_org, password="long-enough-password")
        # the NGO's assessor cannot see the case (not assigned) — and would not be independent anyway
        with pytest.raises(Forbidden):
            fire(session, case, "record_assessment", nurse, assessment_result())


class TestNotAChild:
    def decide(self, session, case, users):
        vote(session, case, users, "not_a_child")
        fire(session, case, "decide_not_a_child", users["reviewer.un"],
             {"reasons": "Assessed adult", "offence_category": "association_only"})

    def test_needs_a_concluded_assessment(self, session, users, make_case):
        case = make_case(claimed_age=19)
        submit(session, case, users)
        with pytest.raises(GuardRefused, match="concluded age assessment"):
            self.decide(session, case, users)

    def test_refused_while_the_appeal_window_is_open(self, session, users, make_case):
        case = make_case()
        request_assessment(session, case, users)
        fire(session, case, "record_assessment", users["assessor"], assessment_result(21, 25))
        with pytest.raises(GuardRefused, match="appeal window is open"):
            self.decide(session, case, users)

    def test_refused_when_the_minimum_is_under_18(self, session, users, make_case, clock):
        case = make_case()
        request_assessment(session, case, users)
        fire(session, case, "record_assessment", users["assessor"], assessment_result(17, 25))
        clock.advance(timedelta(days=30))
        with pytest.raises(GuardRefused, match="18 or more"):
            self.decide(session, case, users)

    def test_allowed_closes_the_case(self, session, users, make_case, clock):
        case = make_case()
        request_assessment(session, case, users)
        fire(session, case, "record_assessment", users["assessor"], assessment_result(21, 25))
        clock.advance(timedelta(days=15))
        self.decide(session, case, users)
        assert case.state == "closed" and case.closed_reason == "determined_adult"


class TestDiversion:
    def test_needs_consent_of_child_and_guardian(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        vote(session, case, users, "diversion")
        data = {"reasons": "Restorative measure", "offence_category": "other_offence",
                "receiving_org_id": org_id(session, PARTNER_ORG), "child_consent": True,
                "guardian_consent": False, "consent_notes": "Mother refused"}
        with pytest.raises(GuardRefused, match="informed consent"):
            fire(session, case, "decide_diversion", users["reviewer.un"], data)
        data.update(guardian_consent=True, consent_notes="Both agreed, interpreter present")
        fire(session, case, "decide_diversion", users["reviewer.un"], data)
        assert case.state == "diversion_pending"
        handover(session, case, users)  # the child's transfer to the organisation that carries the measure
        assert case.state == "diversion"
        fire(session, case, "start_reintegration", users["partner"], referral("life_skills"))
        assert case.state == "in_reintegration"

    @pytest.mark.parametrize("hours, late", [(47, False), (48, False), (49, True), (24 * 8, True)])
    def test_the_handover_clock_runs_until_the_transfer_to_the_measure(self, session, users, make_case, clock,
                                                                       hours, late):
        """A diversion decided is not a child out of military custody: the clock stops only when
        the transfer to the receiving organisation is recorded, measured like a handover."""
        from datetime import timedelta

        case = make_case(encounter_at=(clock.now() - timedelta(hours=2)).isoformat())
        submit(session, case, users)
        divert(session, case, users)
        running = {c.name for c in case.clocks if c.stopped_at is None}
        assert "handover" in running  # still in custody: the deadline still runs
        clock.advance(timedelta(hours=hours))
        handover(session, case, users, hours_after_encounter=hours)
        assert case.state == "diversion"
        assert "handover" not in {c.name for c in case.clocks if c.stopped_at is None}
        from caseflow.handover.models import Handover

        h = Handover.latest(session, case.id)
        assert h.late is late and h.hours_since_encounter == hours


class TestEngineAnswers:
    def test_role_not_allowed_is_forbidden(self, session, users, make_case):
        with pytest.raises(Forbidden):
            fire(session, make_case(), "submit_for_review", users["auditor"], {})

    def test_wrong_state_lists_what_is_possible(self, session, users, make_case):
        case = make_case()
        with pytest.raises(Conflict) as err:
            fire(session, case, "reopen", users["registrar"], {"reason": "not closed at all"})
        assert err.value.status == 409
        assert "submit_for_review" in err.value.extra["available"]

    def test_stale_version_is_a_conflict(self, session, users, make_case):
        case = make_case()
        with pytest.raises(StaleVersion) as err:
            fire(session, case, "submit_for_review", users["registrar"], {}, expected_version=case.version - 1 or 99)
        assert err.value.status == 409 and err.value.extra["version"] == case.version

    def test_invalid_payload_is_422_with_fields(self, session, users, make_case):
        case = make_case()
        submit(session, case, users)
        with pytest.raises(ValidationFailed) as err:
            fire(session, case, "cast_vote", users["reviewer.un"], {"outcome": "free him", "bogus": 1})
        assert err.value.status == 422
        assert {"outcome", "reasons", "offence_category", "bogus"} <= set(err.value.errors)

    def test_guard_refusal_is_422_with_the_reason(self, session, users, make_case):
        case = make_case(detaining_authority=None)
        with pytest.raises(GuardRefused) as err:
            submit(session, case, users)
        assert err.value.status == 422 and "Detaining authority" in str(err.value.detail)

    def test_checks_come_in_order(self, session, users, make_case):
        """Wrong role beats wrong state; wrong state beats a stale version; stale beats bad payload."""
        case = make_case()
        with pytest.raises(Forbidden):
            fire(session, case, "record_handover", users["reviewer.un"], {"bogus": 1}, expected_version=0)
        with pytest.raises(Conflict) as err:
            fire(session, case, "reopen", users["registrar"], {"bogus": 1}, expected_version=0)
        assert not isinstance(err.value, StaleVersion)
        with pytest.raises(StaleVersion):
            fire(session, case, "submit_for_review", users["registrar"], {"bogus": 1}, expected_version=0)
        with pytest.raises(ValidationFailed):
            fire(session, case, "submit_for_review", users["registrar"], {"bogus": 1}, expected_version=1)

    def test_nothing_is_written_when_refused(self, session, users, make_case):
        case = make_case(detaining_authority=None)
        events, version = event_count(session, case.code), case.version
        with pytest.raises(GuardRefused):
            submit(session, case, users)
        assert event_count(session, case.code) == events and case.version == version
        assert case.state == "registered"

    def test_available_transitions_say_why_not(self, session, users, make_case):
        case = make_case(detaining_authority=None)
        offered = {a.trigger: a for a in available_transitions(session, case, users["registrar"])}
        assert offered["submit_for_review"].allowed is False
        assert "Detaining authority" in offered["submit_for_review"].reason
        assert offered["edit_intake"].allowed is True
        fire(session, case, "edit_intake", users["registrar"], {"detaining_authority": "Gendarmerie"})
        offered = {a.trigger: a for a in available_transitions(session, case, users["registrar"])}
        assert offered["submit_for_review"].allowed is True


def test_intake_edit_records_before_and_after(session, users, make_case):
    from caseflow.audit.log import events_for_chain

    case = make_case(region="Mopti")
    fire(session, case, "edit_intake", users["registrar"], {"region": "Gao", "given_name": "Renamed"})
    last = events_for_chain(session, case.code)[-1]
    assert last.action == "edit_intake"
    assert last.details["changes"] == {"region": ["Mopti", "Gao"]}
    assert "given_name" not in str(last.details)  # identifying values are kept apart
    assert opened(session, last)["values"]["changes"]["given_name"] == ["Test", "Renamed"]
    assert last.ident_digest


def test_handover_clock_starts_at_the_encounter(session, users, make_case):
    case = make_case()
    clock = next(c for c in case.clocks if c.name == "handover")
    assert clock.started_at == case.encounter_at
    assert clock.due_at == case.encounter_at + timedelta(hours=48)
    submit(session, case, users)
    release(session, case, users)
    handover(session, case, users)
    assert next(c for c in case.clocks if c.name == "handover").stopped_at is not None


def test_remaining_guards_refuse_with_reasons(session, users, make_case):
    case = make_case()
    request_assessment(session, case, users)
    submit_again = {"reason_for_doubt": "A second request while one is open is refused.",
                    "assessor_org_id": org_id(session, ASSESSOR_ORG)}
    case.state = "under_review"  # as if returned to review with the request still open
    session.flush()
    with pytest.raises(GuardRefused, match="already under way"):
        fire(session, case, "request_assessment", users["reviewer.un"], submit_again)


def test_referrals_of_another_case_cannot_be_updated(session, users, make_case):
    cases = []
    for _ in range(2):
        c = make_case()
        submit(session, c, users)
        release(session, c, users)
        handover(session, c, users)
        fire(session, c, "start_reintegration", users["partner"], referral())
        cases.append(c)
    other_ref = Referral.for_case(session, cases[1].id)[0]
    with pytest.raises(GuardRefused, match="does not belong"):
        fire(session, cases[0], "update_referral", users["partner"],
             {"referral_id": other_ref.id, "status": "completed"})


def test_the_receiving_organisation_guard_itself(session, users, make_case):
    from caseflow.handover.rules import actor_is_receiving_org
    from caseflow.workflow.engine import Context, get_workflow

    case = make_case()
    wf = get_workflow("detained_child")
    ctx = Context(session, case, users["partner2"], wf, wf.by_trigger("record_handover")[0], None, case.created_at,
                  case.state)
    assert "receiving organisation" in actor_is_receiving_org(ctx)
    case.receiving_org_id = users["partner2"].organisation_id
    assert actor_is_receiving_org(ctx) is None
