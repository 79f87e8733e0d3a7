"""``audit verify`` holds each case's rows against the events that made them: a row changed, added or
removed behind the application's back — as the database owner could — is reported, naming the field."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from caseflow.audit.verify import verify_database
from caseflow.workflow.engine import fire
from tests.helpers import assessment_result, handover, referral, release, request_assessment, submit


@pytest.fixture
def lived(session, users, make_case, decide_writes_nothing):
    """A case that went through everything: assessment, a round superseded, votes, a decision, the
    handover, two referrals (one updated), a visit, closure."""
    case = make_case(claimed_age=16)
    submit(session, case, users)
    request_assessment(session, case, users, who="reviewer.un")
    fire(session, case, "record_assessment", users["assessor"], assessment_result(min_age=15, max_age=17))
    release(session, case, users)
    handover(session, case, users)
    fire(session, case, "start_reintegration", users["partner"], referral())
    fire(session, case, "add_referral", users["partner"], referral("education"))
    first = session.execute(text("SELECT min(id) FROM referrals WHERE case_id = :c"), {"c": case.id}).scalar()
    fire(session, case, "update_referral", users["partner"], {"referral_id": first, "status": "in_progress"})
    fire(session, case, "record_follow_up", users["partner"], {
        "visit_date": date.today().isoformat(), "visit_type": "home_visit", "findings": "Back with family",
        "risk_level": "low"})
    fire(session, case, "close", users["partner"], {"reason": "reintegrated"})
    session.flush()
    return case


def test_a_case_that_lived_everything_verifies(session, lived):
    report = verify_database(session, lived.code)
    assert report.ok, [b.describe() for b in report.breaks]


TAMPERING = [
    ("UPDATE cases SET closed_reason = 'escaped' WHERE id = :c", "closed reason"),
    ("UPDATE cases SET receiving_org_id = (SELECT min(id) FROM organisations) WHERE id = :c", "receiving organisation"),
    ("UPDATE cases SET state = 'in_reintegration' WHERE id = :c", "state"),
    ("UPDATE review_votes SET outcome = 'juvenile_justice' WHERE id = (SELECT min(v.id) FROM review_votes v "
     "JOIN review_rounds r ON r.id = v.round_id WHERE r.case_id = :c AND r.decision = 'release')", "votes of round 2"),
    ("DELETE FROM review_votes WHERE id = (SELECT max(v.id) FROM review_votes v JOIN review_rounds r "
     "ON r.id = v.round_id WHERE r.case_id = :c)", "votes of round 2"),
    ("UPDATE review_rounds SET decision = 'diversion' WHERE case_id = :c AND decision = 'release'", "review round 2"),
    ("UPDATE age_assessments SET min_age = 16 WHERE case_id = :c", "assessments"),
    ("UPDATE handovers SET handed_over_at = handed_over_at - interval '1 hour' WHERE case_id = :c", "handovers"),
    ("DELETE FROM handovers WHERE case_id = :c", "handovers"),
    ("UPDATE referrals SET status = 'completed' WHERE case_id = :c", "referrals"),
    ("DELETE FROM follow_ups WHERE case_id = :c", "follow-up visits"),
]


@pytest.mark.parametrize("sql, field", TAMPERING, ids=[f for _s, f in TAMPERING])
def test_a_row_changed_behind_the_applications_back_is_reported(session, lived, sql, field):
    if session.get_bind().dialect.name == "sqlite":
        sql = sql.replace("handed_over_at - interval '1 hour'", "datetime(handed_over_at, '-1 hour')")
    session.execute(text(sql), {"c": lived.id})
    session.expire_all()
    report = verify_database(session, lived.code)
    assert not report.ok
    problem = report.first_break.problem
    assert problem == f"the case record differs from its history: {field}", report.first_break.describe()


def test_a_broken_record_is_named_in_the_readers_language(client, auth, session, users, make_case):
    """The case page's verdict in French: the problem and the part of the record, in words."""
    case = make_case()
    submit(session, case, users)
    session.execute(text("UPDATE cases SET state = 'closed', closed_reason = 'other' WHERE code = :c"),
                    {"c": case.code})
    session.commit()
    auth.login("registrar")  # reads French, and sees the closed case (a reviewer no longer would)
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert "INTÉGRITÉ ROMPUE" in page
    assert "le dossier diffère de son historique (état)" in page and "differs" not in page


def test_a_stored_event_that_no_evolve_step_can_take_is_reported_not_raised(session, lived, monkeypatch):
    """A payload the database owner rewrote into something no evolve step can read (here: a step
    that raises on it) is a break of that case, named, and the rest of verification goes on."""
    from caseflow.workflow import registry

    def unreadable(rows, ev):
        raise TypeError("not a payload any evolve step takes")

    monkeypatch.setitem(registry.EVOLVERS, "add_follow_up", unreadable)
    report = verify_database(session, lived.code)
    assert not report.ok
    assert [b.problem for b in report.breaks] == ["the case's history cannot be replayed (TypeError)"]
    assert report.breaks[0].chain == lived.code


def test_a_payload_key_that_is_no_field_of_the_row_is_left_out():
    """What a stored payload names beyond the table's fields (its id, a mapper attribute) never
    reaches a row's constructor."""
    from caseflow.reintegration.models import Referral
    from caseflow.workflow.fold import fields_of

    kept = fields_of(Referral, {"id": 2**40, "metadata": "x", "status": "referred", "provider": "Clinic",
                                "referral_id": 3, "registry": {}})
    assert kept == {"status": "referred", "provider": "Clinic"}
