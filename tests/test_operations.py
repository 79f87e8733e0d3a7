"""What operations meet: health and readiness for a load balancer; a database that cannot be reached
answered 503 with Retry-After (never a 500 with a traceback); a full disk answered 507 with nothing
half-written, and the app going on once space is freed; one JSON log line per request, whose id is
the answer's, without the child's data."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import tempfile
import types
import uuid

import pytest
from sqlalchemy import func, select

from caseflow import create_app
from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.extensions import db
from tests import conftest
from tests.conftest import complete_intake, make_app
from tests.test_real_server import api_token

NOBODY_LISTENS = "postgresql://postgres@127.0.0.1:9/caseflow"  # the discard port: refused at once


def test_healthz_answers_without_a_database():
    app = create_app(conftest.app_config(NOBODY_LISTENS))
    r = app.test_client().get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}
    app.extensions["caseflow.db"]["engine"].dispose()


def test_health_answers_a_signed_in_browser_while_the_database_is_gone(client, auth):
    """A signed-in browser's /healthz and /readyz, the database unreachable: the request's log line
    reads no user it cannot read, and the answers are 200 and 503, never a 500."""
    auth.login("registrar")
    app = create_app(conftest.app_config(NOBODY_LISTENS))
    c = app.test_client()
    for cookie in client._cookies.values():  # the same session cookie, on a node whose database is down
        c.set_cookie(cookie.key, cookie.value)
    assert c.get("/healthz").status_code == 200
    assert c.get("/readyz").status_code == 503
    assert c.get("/cases/").status_code == 503
    app.extensions["caseflow.db"]["engine"].dispose()


def test_readyz_checks_the_database_and_its_revision(client, tmp_path_factory):
    r = client.get("/readyz")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "ready" and body["checks"]["database"]["ok"]

    older = conftest.TestDatabase(tmp_path_factory, "older", revision="0019")
    app = create_app(conftest.app_config(older.url))
    try:
        r = app.test_client().get("/readyz")
        assert r.status_code == 503 and r.headers["Retry-After"]
        assert "at revision 0019" in r.get_json()["checks"]["database"]["detail"]
        assert "flask db upgrade" in r.get_json()["checks"]["database"]["detail"]
    finally:
        app.extensions["caseflow.db"]["engine"].dispose()
        older.drop()


def test_readyz_asks_redis_when_limits_or_jobs_use_it():
    here = create_app(conftest.app_config(NOBODY_LISTENS, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
                                          CELERY_BROKER_URL="redis://127.0.0.1:9/0"))
    body = here.test_client().get("/readyz").get_json()
    assert body["checks"]["rate_limits"] == {"ok": True, "detail": "answers"}
    assert not body["checks"]["job_queue"]["ok"] and "unreachable" in body["checks"]["job_queue"]["detail"]
    assert not body["checks"]["database"]["ok"] and body["status"] == "not ready"
    here.extensions["caseflow.db"]["engine"].dispose()


def test_an_unreachable_database_is_a_503_with_retry_after_never_a_500():
    app = create_app(conftest.app_config(NOBODY_LISTENS))
    c = app.test_client()
    r = c.get("/api/v1/cases", headers={"Authorization": "Bearer cf_nothing_here"})
    assert r.status_code == 503, (r.status_code, r.data[:300])
    assert r.headers["Retry-After"] == "5" and r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["type"] == "/problems/unavailable" and body["request_id"] == r.headers["X-Request-Id"]
    assert "Traceback" not in r.get_data(as_text=True) and "psycopg" not in r.get_data(as_text=True)
    # a sign-in, in French: the page says it, and nothing of the error's text
    r = c.post("/login", data={"csrf_token": conftest.csrf_token(c), "email": "registrar@caseflow.demo",
                               "password": conftest.PASSWORD}, headers={"Accept-Language": "fr"})
    page = r.get_data(as_text=True)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert "Caseflow ne peut pas joindre sa base de données" in page and "psycopg" not in page
    app.extensions["caseflow.db"]["engine"].dispose()


# --- a full disk --------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB filesystem made for the test (tmpfs, mounted by root; unmounted afterwards)."""
    if os.geteuid() != 0:
        pytest.fail("the full-disk test mounts a tmpfs: run the suite as root (as CI does) ")
    where = tmp_path / "disk"
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(where)], check=True)
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def fill(where) -> str:
    """Fill the filesystem to its last byte; returns the filler's path."""
    filler = os.path.join(where, "filler")
    with open(filler, "wb", buffering=0) as fh:
        for size in (65536, 1):
            try:
                while fh.write(b"\0" * size):
                    pass
            except OSError:
                pass
    return filler


def test_a_full_disk_refuses_with_507_saves_nothing_and_recovers(small_disk):
    url = f"sqlite:///{small_disk / 'caseflow.sqlite3'}"
    database = types.SimpleNamespace(url=url)  # what make_app reads of a test database
    from caseflow.db import make_engine
    from caseflow.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    app = make_app(database)
    c = app.test_client()
    headers = api_token(app, "registrar")
    exporter = api_token(app, "auditor")  # made before the disk fills: a token's row is a write too
    browser = app.test_client()
    conftest.login(browser, "registrar@caseflow.demo")
    detention_list = upload_file(small_disk.parent)

    def counts():
        with app.app_context():
            return (db.session.scalar(select(func.count()).select_from(Case)),
                    db.session.scalar(select(func.count()).select_from(AuditEvent)))

    assert c.post("/api/v1/cases", json=complete_intake(given_name="Before"), headers=headers).status_code == 201
    before = counts()
    filler = fill(small_disk)
    refused = 0
    for n in range(30):  # the pages the database kept free go first; then every write is refused
        r = c.post("/api/v1/cases", json=complete_intake(given_name=f"Full{n}", encounter_place="x" * 190),
                   headers=headers)
        assert r.status_code in (201, 507), (r.status_code, r.data[:300])
        if r.status_code == 507:
            refused += 1
            assert r.headers["Retry-After"] and r.get_json()["type"] == "/problems/storage-full"
    assert refused, "the disk never filled"
    during = counts()
    # an export whose workbook is written on the full disk: refused, and no partial file is left
    tempfile.tempdir = str(small_disk)
    try:
        left = set(os.listdir(small_disk))
        r = c.get("/api/v1/exports/cases.xlsx", headers=exporter)
        assert r.status_code == 507 and r.headers["Retry-After"], (r.status_code, r.data[:300])
        assert set(os.listdir(small_disk)) <= left, set(os.listdir(small_disk)) - left
        # a detention list uploaded on the full disk: refused, nothing kept of it
        files_before = stored_files(app)
        r = browser.post("/imports/", data={"csrf_token": conftest.csrf_token(browser, "/imports/"),
                                            "file": (io.BytesIO(detention_list), "list.xlsx")},
                         content_type="multipart/form-data")
        assert r.status_code == 507 and r.headers["Retry-After"], (r.status_code, r.data[:300])
        assert set(os.listdir(small_disk)) <= left and stored_files(app) == files_before
    finally:
        tempfile.tempdir = None
    os.unlink(filler)
    r = c.post("/api/v1/cases", json=complete_intake(given_name="After"), headers=headers)
    assert r.status_code == 201, r.data[:300]
    after = counts()
    assert after[0] == during[0] + 1 and after[0] - before[0] == 30 - refused + 1  # each 201 is one case, no more
    r = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert r.exit_code == 0 and "OK" in r.output, r.output
    app.extensions["caseflow.db"]["engine"].dispose()


def upload_file(where) -> bytes:
    from tests.test_imports import good_row, workbook

    return workbook(where, [good_row(1), good_row(2)]).read_bytes()


def stored_files(app) -> int:
    from caseflow.jobs.models import StoredFile

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StoredFile))


# --- logs ---------------------------------------------------------------------------------------

def test_one_json_line_per_request_with_its_id_and_no_child_data(live_app):
    from caseflow import logs

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logs.REQUEST_LOG.addHandler(handler)
    logs.REQUEST_LOG.setLevel(logging.INFO)
    marker = f"Kadidia{uuid.uuid4().hex[:8]}"
    try:
        c = live_app.test_client()
        headers = api_token(live_app, "registrar")
        made = c.post("/api/v1/cases", json=complete_intake(given_name=marker, family_name=f"{marker}-Family"),
                      headers=headers)
        assert made.status_code == 201
        code = made.get_json()["code"]
        refused = c.post(f"/api/v1/cases/{code}/transitions/hand_over", json={"x": marker}, headers=headers)
        assert refused.status_code >= 400
        c.get(f"/api/v1/cases?q={marker}", headers=headers)
    finally:
        logs.REQUEST_LOG.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3
    assert [x["status"] for x in lines][:2] == [201, refused.status_code]
    assert lines[0]["request_id"] == made.headers["X-Request-Id"]
    assert lines[1]["request_id"] == refused.headers["X-Request-Id"] == refused.get_json()["request_id"]
    assert lines[0]["route"] == "/api/v1/cases" and lines[1]["method"] == "POST" and lines[0]["user"]
    assert marker not in stream.getvalue() and code not in stream.getvalue()


def real_errors():
    """Database errors as the drivers raise them (not made up): SQLite's missing table and its full
    disk, and psycopg's refused connection."""
    import sqlite3

    import psycopg
    from sqlalchemy.exc import OperationalError

    out = {}
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM nothing_here")
    except sqlite3.OperationalError as exc:
        out["missing table"] = OperationalError("SELECT", {}, exc)
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:9/caseflow", connect_timeout=2)
    except psycopg.OperationalError as exc:
        out["refused"] = OperationalError("connect", {}, exc)
    return out


def test_a_bug_in_a_statement_is_a_500_never_passed_off_as_an_outage(client, token, monkeypatch):
    from caseflow.db import OTHER, UNREACHABLE, failure_kind

    errors = real_errors()
    assert failure_kind(errors["missing table"]) == OTHER
    assert failure_kind(errors["refused"]) == UNREACHABLE

    def broken(*_a, **_k):
        raise errors["missing table"]

    headers = token("registrar")
    monkeypatch.setattr("caseflow.api.auth.user_for_token", broken)
    r = client.get("/api/v1/cases", headers=headers)
    assert r.status_code == 500 and "Retry-After" not in r.headers
    assert r.get_json()["request_id"] == r.headers["X-Request-Id"]
