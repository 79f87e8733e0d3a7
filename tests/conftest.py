"""Fixtures: a migrated database per run (SQLite, or PostgreSQL when CASEFLOW_TEST_DATABASE_URL
is set), the app, a per-test transaction rolled back at the end, users, cases and a login helper.

Tests that need committed data seen by several connections at once (races, the browser) use
``live_app``: a database of their own, migrated and dropped by the fixture.
"""

from __future__ import annotations

import contextvars
import os
import re
import uuid
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from caseflow import create_app
from caseflow.auth.models import User
from caseflow.db import make_engine, normalise_url, utcnow
from caseflow.extensions import db
from caseflow.migrate import upgrade

PG_URL = os.environ.get("CASEFLOW_TEST_DATABASE_URL")
BACKEND = "postgresql" if PG_URL else "sqlite"
PASSWORD = "caseflow-demo-2026"
# one audit signing key for every app of this run (the test app, live servers, workers), so a
# workbook or tree head made by one is verified by another, and outside any app too
os.environ.setdefault("CASEFLOW_AUDIT_SIGNING_KEY", __import__("caseflow.audit.signing").audit.signing.new_seed())


def pytest_report_header(config):
    return f"caseflow test database: {BACKEND}"


class TestDatabase:
    """A database made for this run, migrated (to ``revision``: a migration's test stops before it);
    dropped at the end."""

    def __init__(self, tmp_path_factory, name: str, revision: str = "head"):
        self.name = name
        if PG_URL:
            self.admin_url = normalise_url(PG_URL)
            self.dbname = f"caseflow_test_{os.getpid()}_{name}_{uuid.uuid4().hex[:6]}"
            self._admin(f'CREATE DATABASE "{self.dbname}"')
            self.url = make_url(self.admin_url).set(database=self.dbname).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'caseflow.sqlite3'}"
        engine = make_engine(self.url)
        upgrade(engine, revision)
        engine.dispose()

    def drop(self) -> None:
        if PG_URL:
            self._admin(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as c:
                c.execute(text(sql))
        finally:
            engine.dispose()


def app_config(url: str, **extra) -> dict:
    cfg = {
        "CASEFLOW_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "RATELIMIT_ENABLED": False,  # a test that needs the limits makes an app of its own
        "FILTER_CHOICES_TTL_SECONDS": 0,  # tests that add a region see it at once; one test keeps the cache
        "LIST_COUNT_TTL_SECONDS": 0,
        # the second factor is tested by tests/test_second_factor.py on an app with the default (every
        # role that sees identities); the other tests sign in with a password only
        "SECOND_FACTOR_ROLES": frozenset(),
    }
    cfg.update(extra)
    return cfg


def make_app(database: TestDatabase, **extra):
    app = create_app(app_config(database.url, **extra))
    with app.app_context():
        from caseflow.db import write_intent
        from caseflow.demo import load_people

        token = write_intent.set(True)
        try:
            if db.session.scalar(select(User).limit(1)) is None:
                load_people(db.session)
                db.commit()
        finally:
            write_intent.reset(token)
    return app


def apps_on(database: TestDatabase):
    """For a fixture: ``make(**config)`` makes apps on ``database`` (several make several nodes);
    close() disposes of their connections (a pooled connection left to the garbage collector warns
    in a later test)."""
    made = []

    def make(**extra):
        app = make_app(database, **extra)
        made.append(app)
        return app

    def close():
        for app in made:
            app.extensions["caseflow.db"]["engine"].dispose()

    make.close = close
    return make


@pytest.fixture(autouse=True)
def clock():
    """The application's clock, for a test to move (``clock.advance(timedelta(days=15))``) instead
    of backdating facts; put back after every test."""
    from caseflow import clock as app_clock

    app_clock.reset()
    yield app_clock
    app_clock.reset()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    d = TestDatabase(tmp_path_factory, "main")
    yield d
    d.drop()


@pytest.fixture(scope="session")
def app(database):
    app = make_app(database)
    yield app
    app.extensions["caseflow.db"]["engine"].dispose()


@pytest.fixture
def connection(app):
    """Everything a test writes lives in one outer transaction, rolled back at the end."""
    engine = app.extensions["caseflow.db"]["engine"]
    conn = engine.connect()
    outer = conn.begin()
    original = app.extensions["caseflow.db"]["sessionmaker"]
    db.bind_sessions_to(app, conn, join_transaction_mode="create_savepoint")
    yield conn
    app.extensions["caseflow.db"]["sessionmaker"] = original
    outer.rollback()
    conn.close()


@pytest.fixture
def ctx(app, connection):
    """A request context (English) with the test's session: for calling operations directly."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield
        db.rollback()


@pytest.fixture
def session(ctx):
    return db.session


@pytest.fixture
def users(session):
    return {u.email.split("@")[0]: u for u in session.scalars(select(User))}


@pytest.fixture
def orgs(users):
    return {u.organisation.name: u.organisation for u in users.values()}


def complete_intake(**overrides) -> dict:
    data = {
        "sex": "male",
        "claimed_age": 15,
        "given_name": "Test",
        "family_name": "Child",
        "region": "Mopti",
        "encounter_type": "captured",
        "encounter_at": (utcnow() - timedelta(hours=10)).isoformat(),
        "encounter_place": "Checkpoint",
        "detaining_authority": "Gendarmerie",
        "facility_type": "military_facility",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _unwritten(session) -> set:
    """Every change the session holds that is not written yet: objects added or deleted, and each
    changed attribute of the objects it holds."""
    from sqlalchemy import inspect

    out = {("new", id(o)) for o in session.new} | {("deleted", id(o)) for o in session.deleted}
    for obj in list(session.identity_map.values()) + list(session.new):
        state = inspect(obj)
        for attr in state.mapper.attrs:
            history = state.attrs[attr.key].history
            if history.added or history.deleted:
                out.add((id(obj), attr.key, repr(history.added)))
    return out


@pytest.fixture
def decide_writes_nothing(monkeypatch):
    """Every decide step (``@effect``) checked as it runs: it says what happens, into the event, and
    changes no row — its evolve step does."""
    from caseflow.workflow import registry

    def checked(name, decide):
        def run(ctx):
            before = _unwritten(ctx.session)
            decide(ctx)
            assert _unwritten(ctx.session) == before, f"the decide step of {name} changed a row"
        return run

    for name, decide in list(registry.EFFECTS.items()):
        monkeypatch.setitem(registry.EFFECTS, name, checked(name, decide))


@pytest.fixture
def make_case(session, users):
    from caseflow.cases.operations import register_case

    def make(**overrides):
        return register_case(session, complete_intake(**overrides), users["registrar"], workflow="detained_child")

    return make


@pytest.fixture
def token(session, users):
    """``token("registrar")``: Authorization headers with a fresh API token of that demo user."""
    from caseflow.auth.operations import create_token

    made = {}

    def for_user(name):
        if name not in made:
            made[name] = create_token(session, users[name], "tests", 30)[1]
            session.commit()
        return {"Authorization": f"Bearer {made[name]}"}

    return for_user


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, so a test that holds its own request context (the
    ``session`` fixture) does not share ``g`` (the session, the CSRF token cache) with the app."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app, connection):
    app.test_client_class = IsolatedClient
    return app.test_client()


def csrf_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


@pytest.fixture
def auth(client):
    class Auth:
        def login(self, who: str, password: str = PASSWORD):
            email = who if "@" in who else f"{who}@caseflow.demo"
            return login(client, email, password)

        def logout(self):
            return client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})

        def token(self, path="/dashboard"):
            return csrf_token(client, path)

    return Auth()


# --- a live server on a database of its own (browser tests, races) -----------------------------

@pytest.fixture(scope="session")
def live_database(tmp_path_factory):
    d = TestDatabase(tmp_path_factory, "live")
    yield d
    d.drop()


@pytest.fixture(scope="session")
def live_app(live_database):
    app = make_app(live_database)
    yield app
    app.extensions["caseflow.db"]["engine"].dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
