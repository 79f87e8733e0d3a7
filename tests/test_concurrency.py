"""Races and failures against a committed database, several connections at once (SQLite and
PostgreSQL): one success and 409s, never two events, never a 500; a failure before the commit
leaves neither the change nor its event."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from caseflow.audit.log import record
from caseflow.audit.models import AuditEvent
from caseflow.audit.verify import verify_database
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.db import write_intent
from caseflow.extensions import db
from tests.conftest import complete_intake, csrf_token, login
from tests.helpers import PARTNER_ORG, org_id, submit, vote

pytestmark = pytest.mark.concurrency


def committed(app, fn):
    """Run fn(session, users) in its own writing transaction and commit it."""
    with app.test_request_context():
        token = write_intent.set(True)
        try:
            users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
            result = fn(db.session, users)
            db.commit()
            return result
        finally:
            write_intent.reset(token)


def case_under_review_with_votes(app) -> tuple[str, int]:
    def make(session, users):
        from caseflow.cases.operations import register_case

        case = register_case(session, complete_intake(), users["registrar"], workflow="detained_child")
        submit(session, case, users)
        vote(session, case, users)
        return case.code, case.version

    return committed(app, make)


def count_events(app, code, action=None):
    with app.app_context():
        stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.chain == code)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return db.session.scalar(stmt)


def test_eight_racing_decisions_give_one_success(live_app):
    code, version = case_under_review_with_votes(live_app)
    with live_app.app_context():
        partner = org_id(db.session, PARTNER_ORG)
    clients = []
    for _ in range(8):
        c = live_app.test_client()
        assert login(c, "reviewer.un@caseflow.demo").status_code == 302
        clients.append((c, csrf_token(c, f"/cases/{code}/act/decide_release")))
    barrier = threading.Barrier(8)

    def decide(args):
        client, token = args
        barrier.wait()
        return client.post(f"/cases/{code}/act/decide_release", data={
            "csrf_token": token, "version": str(version), "reasons": "Release now",
            "offence_category": "support_tasks", "receiving_org_id": str(partner)}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(decide, clients))
    assert sorted(statuses) == [302] + [409] * 7, statuses
    assert count_events(live_app, code, "decide_release") == 1
    with live_app.app_context():
        case = db.session.scalar(select(Case).where(Case.code == code))
        assert case.state == "handover_pending" and case.version == version + 1
        assert verify_database(db.session, code).ok


def test_racing_votes_by_different_members_all_count(live_app):
    def make(session, users):
        from caseflow.cases.operations import register_case

        case = register_case(session, complete_intake(), users["registrar"], workflow="detained_child")
        submit(session, case, users)
        return case.code

    code = committed(live_app, make)
    voters = ["reviewer.justice", "reviewer.family", "reviewer.un", "reviewer.defence", "reviewer.unicef"]
    clients = []
    for who in voters:
        c = live_app.test_client()
        login(c, f"{who}@caseflow.demo")
        clients.append((c, csrf_token(c, f"/cases/{code}/act/cast_vote")))
    barrier = threading.Barrier(len(clients))

    def cast(args):
        client, token = args
        barrier.wait()
        return client.post(f"/cases/{code}/act/cast_vote", data={  # no version: votes do not conflict
            "csrf_token": token, "outcome": "release", "offence_category": "association_only",
            "reasons": "Association only"}).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(cast, clients))
    assert statuses == [302] * len(voters)
    assert count_events(live_app, code, "cast_vote") == len(voters)
    with live_app.app_context():
        assert verify_database(db.session, code).ok


def test_concurrent_writers_never_fork_the_system_chain(live_app):
    def write(i):
        with live_app.test_request_context():
            token = write_intent.set(True)
            try:
                for j in range(5):
                    record(db.session, "settings_changed", actor_label=f"writer {i}", details={"n": j})
                    db.commit()
            finally:
                write_intent.reset(token)
        return True

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(write, range(6)))
    with live_app.app_context():
        report = verify_database(db.session, "system")
        assert report.ok, report.first_break
        seqs = list(db.session.scalars(select(AuditEvent.seq).where(AuditEvent.chain == "system")
                                       .order_by(AuditEvent.seq)))
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 30


def ready_to_decide(live_app):
    """A case with a quorum for release, a reviewer's client, and the form the reviewer would send."""
    code, version = case_under_review_with_votes(live_app)
    client = live_app.test_client()
    login(client, "reviewer.un@caseflow.demo")
    with live_app.app_context():
        partner = org_id(db.session, PARTNER_ORG)
    form = {"csrf_token": csrf_token(client, f"/cases/{code}/act/decide_release"), "version": str(version),
            "reasons": "Release", "offence_category": "support_tasks", "receiving_org_id": str(partner)}
    return code, version, client, form


def test_a_failure_after_the_change_and_before_the_commit_leaves_neither(live_app, monkeypatch):
    code, version, client, form = ready_to_decide(live_app)
    events = count_events(live_app, code)

    import caseflow.workflow.engine as engine

    real_record = engine.record

    def record_then_fail(*args, **kwargs):
        real_record(*args, **kwargs)  # the state has changed and the event is written...
        raise RuntimeError("injected failure before the commit")

    monkeypatch.setattr(engine, "record", record_then_fail)
    r = client.post(f"/cases/{code}/act/decide_release", data=form)
    assert r.status_code == 500
    assert count_events(live_app, code) == events
    with live_app.app_context():
        case = db.session.scalar(select(Case).where(Case.code == code))
        assert case.state == "under_review" and case.version == version and case.receiving_org_id is None


@pytest.mark.parametrize("failure, status", [("database is locked", 409), ("server closed the connection", 503),
                                             ("could not extend file: No space left on device", 507)])
def test_a_failing_commit_answers_409_503_or_507_and_keeps_nothing(live_app, monkeypatch, failure, status):
    """Lost to another writer: 409, try again. The database gone: 503 with Retry-After. No space: 507."""
    from sqlalchemy.exc import OperationalError

    code, _version, client, form = ready_to_decide(live_app)
    events = count_events(live_app, code)

    def failing_commit(self):
        raise OperationalError("COMMIT", {}, Exception(f"injected: {failure}"))

    monkeypatch.setattr(type(db), "commit", failing_commit)
    r = client.post(f"/cases/{code}/act/decide_release", data=form)
    monkeypatch.undo()
    assert r.status_code == status
    assert (r.headers.get("Retry-After") is not None) == (status != 409)
    assert count_events(live_app, code) == events
    with live_app.app_context():
        assert db.session.scalar(select(Case.state).where(Case.code == code)) == "under_review"


def test_api_votes_at_once_each_answer_after_its_commit(live_app):
    """Five reviewers vote through the API at the same moment: every vote counts, and each answer
    (read after the commit, without a transaction of its own) shows the case as committed; the
    pooled connections go back to transactions afterwards (a failed write still leaves nothing)."""
    from caseflow.auth.operations import create_token

    voters = ["reviewer.justice", "reviewer.family", "reviewer.un", "reviewer.defence", "reviewer.unicef"]

    def make(session, users):
        from caseflow.cases.operations import register_case

        case = register_case(session, complete_intake(), users["registrar"], workflow="detained_child")
        submit(session, case, users)
        return case.code, {who: create_token(session, users[who], "race", 1)[1] for who in voters}

    code, tokens = committed(live_app, make)
    barrier = threading.Barrier(len(voters))

    def cast(who):
        client = live_app.test_client()
        barrier.wait()
        return client.post(f"/api/v1/cases/{code}/votes", headers={"Authorization": f"Bearer {tokens[who]}"},
                           json={"outcome": "release", "offence_category": "association_only",
                                 "reasons": "Association only"})

    with ThreadPoolExecutor(len(voters)) as pool:
        answers = list(pool.map(cast, voters))
    assert [a.status_code for a in answers] == [200] * len(voters), [a.get_json() for a in answers]
    assert {a.get_json()["state"] for a in answers} == {"under_review"}
    assert len({a.headers["ETag"] for a in answers}) == len(voters)  # each its own version, none stale
    assert count_events(live_app, code, "cast_vote") == len(voters)
    engine = live_app.extensions["caseflow.db"]["engine"]
    held = [engine.connect() for _ in voters]  # every pooled connection the requests used, back in transactions
    try:
        assert {c.get_isolation_level() for c in held} == {engine.dialect.default_isolation_level}
    finally:
        for c in held:
            c.close()
    with live_app.app_context():
        assert verify_database(db.session, code).ok
