"""Signing in reveals nothing about which accounts exist: unknown, wrong-password and limited answers
look the same and do the same work; limits hold per address and per account (Flask-Limiter); failed
sign-ins of unknown accounts stay off the audit chains."""

import re
import time

import pytest
from sqlalchemy import func, select

from caseflow.audit.models import AuditEvent
from caseflow.auth import passwords
from caseflow.auth.models import FailedSignIn
from caseflow.extensions import db
from tests.conftest import PASSWORD, IsolatedClient, csrf_token, make_app


@pytest.fixture
def limited(database):
    app = make_app(database, RATELIMIT_ENABLED=True, LOGIN_RATE_PER_ACCOUNT="3 per 2 seconds",
                   LOGIN_RATE_PER_IP="8 per minute")
    app.test_client_class = IsolatedClient
    yield app
    app.extensions["caseflow.db"]["engine"].dispose()


def attempt(client, email, password="wrong-password-123", addr="10.0.0.1"):
    token = csrf_token(client)
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def page_text(resp) -> str:
    return re.sub(r'value="[^"]*"', "", resp.get_data(as_text=True))


def test_unknown_and_wrong_password_answer_alike(limited):
    c = limited.test_client()
    known, unknown = attempt(c, "assessor@caseflow.demo"), attempt(c, "nobody@caseflow.demo", addr="10.0.0.2")
    assert known.status_code == unknown.status_code == 200
    assert page_text(known) == page_text(unknown)


def test_an_unknown_account_costs_a_full_argon2_verification(limited, monkeypatch):
    calls = []
    real = passwords._hasher

    class Counting:  # the real hasher, counted
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, stored, password):
            calls.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    attempt(limited.test_client(), "nobody@caseflow.demo")
    assert calls == [passwords._DUMMY_HASH]


def test_known_and_unknown_accounts_are_limited_alike_and_the_limit_ends(limited):
    c = limited.test_client()
    answers = {}
    for email, addr in (("assessor@caseflow.demo", "10.0.1.1"), ("ghost@caseflow.demo", "10.0.1.2")):
        for _ in range(3):
            assert attempt(c, email, addr=addr).status_code == 200
        answers[email] = attempt(c, email, password=PASSWORD, addr=addr)  # even the right password waits
    known, unknown = answers.values()
    assert known.status_code == unknown.status_code == 429
    assert page_text(known) == page_text(unknown)
    assert "locked" not in page_text(known).lower()
    time.sleep(2.1)  # the window of "3 per 2 seconds" has passed
    assert attempt(c, "assessor@caseflow.demo", password=PASSWORD, addr="10.0.1.1").status_code == 302


def test_one_address_is_limited_across_accounts(limited):
    c = limited.test_client()
    codes = [attempt(c, f"person{i}@caseflow.demo", addr="10.0.2.1").status_code for i in range(9)]
    assert codes[:8] == [200] * 8 and codes[8] == 429
    assert attempt(c, "person9@caseflow.demo", addr="10.0.2.2").status_code == 200  # another address


def test_unknown_account_failures_stay_off_the_chains(limited):
    c = limited.test_client()
    with limited.app_context():
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        logged = db.session.scalar(select(func.count()).select_from(FailedSignIn))
    for i in range(3):
        attempt(c, f"flood{i}@caseflow.demo", addr=f"10.0.3.{i}")
    with limited.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
        rows = db.session.scalars(select(FailedSignIn).order_by(FailedSignIn.id.desc()).limit(3)).all()
        assert db.session.scalar(select(func.count()).select_from(FailedSignIn)) == logged + 3
        assert all("flood" not in r.account_digest and len(r.account_digest) == 64 for r in rows)


def test_limits_are_shared_between_nodes_through_redis(database):
    """Two app instances (two nodes) counting in the same Redis: the account's limit holds across them."""
    import redis

    url = "redis://127.0.0.1:6379/14"
    redis.Redis.from_url(url).flushdb()
    nodes = [make_app(database, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url,
                      LOGIN_RATE_PER_ACCOUNT="3 per minute", LOGIN_RATE_PER_IP="100 per minute") for _ in range(2)]
    try:
        clients = [n.test_client() for n in nodes]
        codes = [attempt(clients[i % 2], "shared@caseflow.demo", addr=f"10.0.4.{i}").status_code for i in range(4)]
        assert codes == [200, 200, 200, 429]
    finally:
        redis.Redis.from_url(url).flushdb()
        for n in nodes:
            n.extensions["caseflow.db"]["engine"].dispose()


def test_with_redis_down_signing_in_works_and_each_process_counts_on_its_own(database):
    """The limits' Redis cannot be reached (nothing listens on the port): a right password still signs
    in, and the account's limit still holds, counted in this process's memory meanwhile."""
    app = make_app(database, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0",
                   LOGIN_RATE_PER_ACCOUNT="3 per minute", LOGIN_RATE_PER_IP="100 per minute")
    app.test_client_class = IsolatedClient
    try:
        c = app.test_client()
        ok = attempt(c, "registrar@caseflow.demo", password=PASSWORD, addr="10.0.5.1")
        assert ok.status_code == 302 and "/login" not in ok.headers["Location"]
        codes = [attempt(app.test_client(), "fallback@caseflow.demo", addr=f"10.0.5.{i}").status_code
                 for i in range(2, 6)]
        assert codes == [200, 200, 200, 429]
    finally:
        app.extensions["caseflow.db"]["engine"].dispose()
