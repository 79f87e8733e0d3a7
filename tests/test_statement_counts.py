"""Round trips per request, as upper bounds that fail when someone adds one: a transition reads its
case once (locked once), computes each guard's facts once, and answers with the availability it
already knows. Counted on the real engine (the test harness's SAVEPOINTs are not counted)."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.helpers import PARTNER_ORG, org_id, submit, vote

#: statements per request, by kind of request (as measured on SQLite and PostgreSQL: each added round trip fails)
# decide: 21 since a reviewer's remit is in time (is the case, now handed over, decided within the days?)
BOUNDS = {"vote": 11, "submit": 10, "decide": 21, "read": 2}


@contextmanager
def counting(app):
    """Statements of the request's own transaction. A "last used" touch runs apart, on a connection
    of its own (see caseflow.auth.touch), and is not the request's work."""
    engine = app.extensions["caseflow.db"]["engine"]
    seen = []

    def note(conn, cursor, statement, params, context, executemany):
        if conn is not request_connection[0]:
            return  # a touch on its own connection
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            seen.append(statement.split()[0] + " " + " ".join(statement.split()[1:4]))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


request_connection = [None]


@pytest.fixture(autouse=True)
def _the_request_connection(connection):
    request_connection[0] = connection
    yield
    request_connection[0] = None


@pytest.fixture
def under_review(session, users, make_case):
    case = make_case()
    submit(session, case, users)
    vote(session, case, users, who=("reviewer.justice", "reviewer.family"))
    session.commit()
    return case


def test_a_vote(app, client, token, under_review):
    hdr = token("reviewer.un")
    with counting(app) as seen:
        r = client.post(f"/api/v1/cases/{under_review.code}/votes", headers=hdr,
                        json={"outcome": "release", "offence_category": "support_tasks", "reasons": "Release now"})
    assert r.status_code == 200
    assert len(seen) <= BOUNDS["vote"], "\n".join(seen)
    assert sum(s.startswith("SELECT cases") for s in seen) == 1  # read once, locked once
    assert not [s for s in seen if "case_facts" in s]  # a vote changes no statistical fact: none read


def test_a_state_change(app, client, token, make_case, session):
    case = make_case()
    hdr = {**token("registrar"), "If-Match": '"1"'}
    session.commit()
    with counting(app) as seen:
        r = client.post(f"/api/v1/cases/{case.code}/transitions/submit_for_review", json={}, headers=hdr)
    assert r.status_code == 200
    assert len(seen) <= BOUNDS["submit"], "\n".join(seen)
    assert sum(s.startswith("SELECT cases") for s in seen) == 1
    assert sum(s.startswith("SELECT review_rounds") for s in seen) == 1  # the open one and the next number
    assert not [s for s in seen if s.startswith("SELECT case_clocks")]  # read with the case
    assert not [s for s in seen if "case_facts" in s]  # opening a round decides nothing: no fact changes


def test_a_decision_computes_the_quorum_once(app, client, token, session, under_review, monkeypatch):
    from caseflow.review import rules

    calls = []
    real = rules.quorum_status
    monkeypatch.setattr(rules, "quorum_status", lambda *a: calls.append(1) or real(*a))
    hdr = token("reviewer.un")
    client.post(f"/api/v1/cases/{under_review.code}/votes", headers=hdr,
                json={"outcome": "release", "offence_category": "support_tasks", "reasons": "Release now"})
    calls.clear()
    etag = client.get(f"/api/v1/cases/{under_review.code}", headers=hdr).headers["ETag"]
    calls.clear()
    with counting(app) as seen:
        r = client.post(f"/api/v1/cases/{under_review.code}/transitions/decide_release",
                        headers={**hdr, "If-Match": etag},
                        json={"reasons": "Release", "offence_category": "support_tasks",
                              "receiving_org_id": org_id(session, PARTNER_ORG)})
    assert r.status_code == 200, r.get_json()
    assert len(calls) <= 2  # once for the guards and effects, once for the new round's availability
    assert len(seen) <= BOUNDS["decide"], "\n".join(seen)


def test_a_read(app, client, token, under_review):
    hdr = token("auditor")
    client.get(f"/api/v1/cases/{under_review.code}", headers=hdr)
    with counting(app) as seen:
        assert client.get(f"/api/v1/cases/{under_review.code}", headers=hdr).status_code == 200
    assert len(seen) <= BOUNDS["read"], "\n".join(seen)
    assert not [s for s in seen if s.startswith(("UPDATE", "INSERT", "DELETE"))]  # reads never write in theirs


def test_facts_noted_once_are_not_read_again_by_the_next_event_of_the_transaction(app, session, users, make_case):
    """A submission's changes are noted with its own event; a vote that follows in the same
    transaction changes no fact and reads none (a change noted once is not noted again when a later
    flush sees the same objects)."""
    case = make_case()
    submit(session, case, users)
    with counting(app) as seen:
        vote(session, case, users, who=("reviewer.justice",))
        session.flush()
    assert seen, "the vote was not counted"
    assert not [s for s in seen if "case_facts" in s], "\n".join(seen)
