"""Jobs on the real engine: Celery workers started by the test (``celery -A caseflow.worker worker``)
against the Redis at 127.0.0.1:6379, on a Redis database number of its own, and a database of its
own that two app instances share. An export started on one instance downloads from the other; a
worker killed with SIGKILL mid-export leaves a job another worker finishes, once; expired files go,
audited; a due clock gives one reminder, also with two beats at once; e-mail reaches an SMTP sink."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from caseflow.audit.models import AuditEvent
from caseflow.config import PROJECT_ROOT
from caseflow.db import write_intent
from caseflow.exports.verify import verify_export
from caseflow.extensions import db
from caseflow.jobs.models import FileChunk, Job, StoredFile
from caseflow.notifications.models import Notification
from tests import conftest
from tests.conftest import csrf_token, login
from tests.test_concurrency import case_under_review_with_votes, committed

REDIS = os.environ.get("CASEFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")

pytestmark = pytest.mark.concurrency


@pytest.fixture(scope="module")
def broker():
    r = redis.Redis.from_url(REDIS)
    r.ping()  # a real Redis is part of the test: no Redis, no pass
    r.flushdb()
    yield REDIS
    r.flushdb()


@pytest.fixture(scope="module")
def queue_db(tmp_path_factory):
    d = conftest.TestDatabase(tmp_path_factory, "queue")
    yield d
    d.drop()


@pytest.fixture
def new_app(queue_db):
    """``new_app(**config)``: an app instance on the queue database (several make several nodes);
    their connections are closed after the test."""
    make = conftest.apps_on(queue_db)
    yield make
    make.close()


def app_on(new_app, broker, **extra):
    return new_app(CELERY_BROKER_URL=broker, CELERY_VISIBILITY_TIMEOUT=3, **extra)


class Worker:
    def __init__(self, queue_db, broker, tmp_path: Path, name: str, **env):
        self.log = tmp_path / f"{name}.log"
        self._out = self.log.open("wb")
        environment = dict(os.environ, CASEFLOW_ENV="testing", SECRET_KEY="test-secret-key",
                           DATABASE_URL=queue_db.url, CASEFLOW_CELERY_BROKER_URL=broker,
                           CASEFLOW_CELERY_VISIBILITY_TIMEOUT="3", **{k: str(v) for k, v in env.items()})
        self.proc = subprocess.Popen(  # noqa: S603 - our own worker command
            [sys.executable, "-m", "celery", "-A", "caseflow.worker", "worker", "--pool", "solo", "--loglevel",
             "INFO", "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=PROJECT_ROOT, env=environment, stdout=self._out, stderr=subprocess.STDOUT,
            start_new_session=True)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._out.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


@pytest.fixture
def workers(queue_db, broker, tmp_path):
    started = []

    def start(name: str, **env) -> Worker:
        w = Worker(queue_db, broker, tmp_path, name, **env)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def job_row(app, job_id: str) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def wait_for(app, job_id: str, states: tuple[str, ...], seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = job_row(app, job_id)
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.state} after {seconds} s")


def start_job(app, path: str, form_page: str) -> str:
    """A job the auditor starts by posting ``path``'s form (read from ``form_page``): the job's id."""
    client = app.test_client()
    login(client, "auditor@caseflow.demo")
    r = client.post(path, data={"csrf_token": csrf_token(client, form_page)})
    assert r.status_code == 302 and "/jobs/" in r.headers["Location"], r.get_data(as_text=True)[:500]
    return r.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def start_export(app) -> str:
    """An auditor's export past the inline limit, through the page."""
    return start_job(app, "/exports/", "/exports/")


def test_an_export_started_on_one_instance_downloads_from_the_other(new_app, broker, workers, tmp_path):
    one = app_on(new_app, broker, EXPORT_INLINE_MAX_EVENTS=1)
    other = app_on(new_app, broker)
    case_under_review_with_votes(one)
    workers("w1")
    job_id = start_export(one)
    job = wait_for(other, job_id, ("done", "failed"))
    assert job.state == "done" and job.attempts == 1, job.error
    client = other.test_client()
    login(client, "auditor@caseflow.demo")
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Download the workbook" in page
    r = client.get(f"/jobs/{job_id}/file")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    (tmp_path / "job.xlsx").write_bytes(r.data)
    assert verify_export(tmp_path / "job.xlsx").ok
    assert r.headers["X-Content-SHA256"] == job.result["sha256"]
    api = other.test_client()
    from caseflow.auth.models import User
    from caseflow.auth.operations import create_token

    token = committed(other, lambda s, users: create_token(s, s.scalar(select(User).where(
        User.email == "auditor@caseflow.demo")), "queue", 1)[1])
    body = api.get(f"/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["state"] == "done" and body["percent"] == 100 and body["file"].endswith(f"/jobs/{job_id}/file")
    # someone else's job does not exist for them
    stranger = other.test_client()
    login(stranger, "reviewer.un@caseflow.demo")
    assert stranger.get(f"/jobs/{job_id}").status_code == 404
    assert stranger.get(f"/jobs/{job_id}/file").status_code == 404


def test_a_worker_killed_mid_export_leaves_a_job_another_worker_finishes_once(new_app, broker, workers):
    app = app_on(new_app, broker, EXPORT_INLINE_MAX_EVENTS=1)
    case_under_review_with_votes(app)
    with app.app_context():
        exports_before = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                           .where(AuditEvent.action == "cases_exported"))
    first = workers("doomed", CASEFLOW_JOBS_TEST_DELAY_SECONDS=30)  # slow enough to be caught mid-job
    job_id = start_export(app)
    wait_for(app, job_id, ("running",))
    first.kill()  # SIGKILL: no goodbye, the message stays unacknowledged
    assert job_row(app, job_id).state == "running"
    time.sleep(4)  # past the visibility timeout (3 s): the broker hands the message on
    workers("rescuer")
    job = wait_for(app, job_id, ("done", "failed"), seconds=90)
    assert job.state == "done" and job.attempts == 2, job.error
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.id == job_id)) == 1
        exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cases_exported")).all()
        assert len(exported) == exports_before + 1 and exported[-1].details["job"] == job_id


def test_with_the_broker_down_a_job_waits_queued_and_is_handed_over_once_it_is_back(new_app, broker, workers):
    """Redis cannot be reached when the export is asked for: the page still answers (the job is
    queued in the database, nothing lost); once a broker answers, the schedule's requeue hands the
    job over and a worker finishes it."""
    from caseflow.jobs.operations import requeue_waiting

    down = new_app(CELERY_BROKER_URL="redis://127.0.0.1:9/0", CELERY_VISIBILITY_TIMEOUT=3,
                   EXPORT_INLINE_MAX_EVENTS=1)
    case_under_review_with_votes(down)
    job_id = start_export(down)
    time.sleep(1)
    assert job_row(down, job_id).state == "queued"
    up = app_on(new_app, broker, JOBS_REQUEUE_AFTER_SECONDS=0)
    with up.app_context():
        assert job_id in requeue_waiting(db.session)
    workers("after-the-outage")
    job = wait_for(up, job_id, ("done", "failed"), seconds=90)
    assert job.state == "done" and job.attempts == 1, job.error


def test_without_a_broker_a_job_runs_in_the_request(new_app, tmp_path):
    app = new_app(EXPORT_INLINE_MAX_EVENTS=1)  # no CELERY_BROKER_URL: the embedded default
    assert app.extensions["celery"].conf.task_always_eager
    case_under_review_with_votes(app)
    job_id = start_export(app)
    assert job_row(app, job_id).state == "done"


def test_the_api_answers_202_with_the_job_for_an_asynchronous_export(new_app):
    app = new_app()
    from caseflow.auth.models import User
    from caseflow.auth.operations import create_token

    token = committed(app, lambda s, users: create_token(s, s.scalar(select(User).where(
        User.email == "auditor@caseflow.demo")), "queue", 1)[1])
    client = app.test_client()
    r = client.get("/api/v1/exports/cases.xlsx", headers={"Authorization": f"Bearer {token}",
                                                           "Prefer": "respond-async"})
    assert r.status_code == 202 and r.headers["Location"].startswith("/api/v1/jobs/")
    assert r.headers["Preference-Applied"] == "respond-async"
    body = client.get(r.headers["Location"], headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["kind"] == "export" and body["state"] == "done"
    f = client.get(body["file"], headers={"Authorization": f"Bearer {token}"})
    assert f.status_code == 200 and f.data[:2] == b"PK"


def test_an_identity_export_is_encrypted_and_its_passphrase_shown_once(new_app, tmp_path):
    """Through the page and through the API: a job, whose encrypted file opens only with the
    passphrase that the person who asked sees once (then it is gone from the job)."""
    import re

    from openpyxl import load_workbook

    from caseflow.auth.models import User
    from caseflow.auth.operations import create_token
    from caseflow.exports.protect import decrypted_copy, is_encrypted

    app = new_app()
    case_under_review_with_votes(app)
    client = app.test_client()
    login(client, "auditor@caseflow.demo")
    token_ = csrf_token(client, "/exports/")
    r = client.post("/exports/", data={"csrf_token": token_, "include_identity": "1"})  # no purpose
    assert r.status_code == 422
    r = client.post("/exports/", data={"csrf_token": token_, "include_identity": "1", "purpose": "audit"})
    assert r.status_code == 302 and "/jobs/" in r.headers["Location"]  # never a plain download
    job_id = r.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    for _reload in range(2):  # looking at the page (a prefetch, a reload) spends nothing
        page = client.get(r.headers["Location"]).get_data(as_text=True)
        assert 'class="token passphrase"' not in page and f"/jobs/{job_id}/passphrase" in page
    shown = client.post(f"/jobs/{job_id}/passphrase", data={"csrf_token": csrf_token(client, r.headers["Location"])})
    passphrase = re.search(r'<code class="token passphrase">([a-z2-9-]+)</code>', shown.get_data(as_text=True)).group(1)
    again = client.post(f"/jobs/{job_id}/passphrase", data={"csrf_token": csrf_token(client, r.headers["Location"])})
    assert passphrase not in again.get_data(as_text=True) and "shown once" in again.get_data(as_text=True)
    assert "passphrase" not in (job_row(app, job_id).result or {})
    got = tmp_path / "got.xlsx"
    got.write_bytes(client.get(f"/jobs/{job_id}/file").data)
    assert is_encrypted(got) and verify_export(got, passphrase).ok
    assert load_workbook(decrypted_copy(got, passphrase))["About"]
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cases_exported")
                                   .order_by(AuditEvent.id.desc())).first()
        assert event.details["encrypted"] is True and passphrase not in str(event.details)
        assert event.details["purpose"] == "audit"

    token = committed(app, lambda s, users: create_token(s, s.scalar(select(User).where(
        User.email == "auditor@caseflow.demo")), "queue", 1)[1])
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/exports/cases.xlsx?identity=true", headers=auth).status_code == 422  # why?
    r = api.get("/api/v1/exports/cases.xlsx?identity=true&purpose=audit", headers=auth)
    assert r.status_code == 202  # identifying data: always a job, even unasked
    first = api.get(r.headers["Location"], headers=auth).get_json()
    assert first["passphrase_available"] is True and "passphrase" not in first["result"]
    given = api.post(f"{r.headers['Location']}/passphrase", headers=auth)
    assert given.status_code == 200 and given.get_json()["passphrase"]
    assert api.post(f"{r.headers['Location']}/passphrase", headers=auth).status_code == 404  # once
    assert api.get(r.headers["Location"], headers=auth).get_json()["passphrase_available"] is False
    (tmp_path / "api.xlsx").write_bytes(api.get(first["file"], headers=auth).data)
    assert verify_export(tmp_path / "api.xlsx", given.get_json()["passphrase"]).ok


# --- retention, reminders, e-mail (in-process: the schedule's tasks, on a clock the test moves) ---

def writing(app, fn):
    with app.app_context():
        token = write_intent.set(True)
        try:
            out = fn(db.session)
            db.commit()
            return out
        finally:
            write_intent.reset(token)


def test_files_are_deleted_after_their_retention_period_and_the_deletion_is_audited(new_app, clock, tmp_path):
    from caseflow.jobs import storage
    from caseflow.jobs.tasks import purge

    app = new_app()
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(storage.CHUNK * 2 + 10))  # three chunks
    with app.test_request_context():
        ident = writing(app, lambda s: storage.put(s, src, name="a.xlsx", content_type="x", identifying=True).id)
        plain = writing(app, lambda s: storage.put(s, src, name="b.xlsx", content_type="x", identifying=False).id)
        def gone():
            db.session.expire_all()
            return {f: db.session.get(StoredFile, f).deleted_at is not None for f in (ident, plain)}

        clock.advance(timedelta(hours=23))
        purge()
        assert gone() == {ident: False, plain: False}
        clock.advance(timedelta(hours=2))  # 25 h: past a day, within a week
        purge()
        assert gone() == {ident: True, plain: False}
        clock.advance(timedelta(days=7))
        purge()
        assert gone() == {ident: True, plain: True}
        assert purge()["files"] == 0  # nothing twice
        chunks = db.session.scalar(select(func.count()).select_from(FileChunk)
                                   .where(FileChunk.file_id.in_([ident, plain])))
        assert chunks == 0
        deleted = [e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "file_deleted")
                                                 .order_by(AuditEvent.id)) if e.details["file"] in (ident, plain)]
        assert [e.details["file"] for e in deleted] == [ident, plain]
        assert deleted[0].details["identifying_data"] is True


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.port = port
    yield sink
    controller.stop()


def test_a_due_clock_gives_one_reminder_each_even_with_two_beats_at_once(new_app, clock, smtp_sink):
    from caseflow.cases.operations import register_case
    from caseflow.jobs.tasks import send_reminders
    from tests.conftest import complete_intake

    app = new_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_sink.port)
    now = clock.now()
    # encounter 40 h ago: the 48-hour handover clock is due in 8 h, inside the 24-hour lead
    code = committed(app, lambda s, users: register_case(
        s, complete_intake(encounter_at=(now - timedelta(hours=40)).isoformat(), given_name="Amadou"),
        users["registrar"], workflow="detained_child").code)

    def beat():
        with app.app_context():
            send_reminders()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    beat()  # and once more, later

    with app.app_context():
        rows = db.session.execute(select(Notification.kind, Notification.clock, Notification.user_id)
                                  .where(Notification.case_id == _case_id(code))).all()
    assert [(k, c) for k, c, _u in rows] == [("due", "handover")]  # the registrar of the registering org only
    assert len(smtp_sink.messages) == 1
    mail = smtp_sink.messages[0].content.decode()
    assert code in mail and "Amadou" not in mail and "registrar@caseflow.demo" in smtp_sink.messages[0].rcpt_tos

    clock.advance(timedelta(hours=9))  # now overdue: one more, of the other kind
    beat()
    beat()
    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind).where(Notification.case_id == _case_id(code))
                                   .order_by(Notification.id)).all()
    assert kinds == ["due", "overdue"]
    assert len(smtp_sink.messages) == 2

    client = app.test_client()
    login(client, "registrar@caseflow.demo")
    page = client.get("/notifications/").get_data(as_text=True)
    assert code in page and ("overdue" in page or "en retard" in page)  # the registrar may prefer French
    assert '<span aria-hidden="true">🔔 2</span>' in client.get("/dashboard").get_data(as_text=True)
    client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications/")})
    assert '<span aria-hidden="true">🔔 0</span>' in client.get("/dashboard").get_data(as_text=True)


def _case_id(code: str) -> int:
    from caseflow.cases.models import Case

    return db.session.scalar(select(Case.id).where(Case.code == code))


def test_the_daily_digest_is_taken_once_a_day(new_app, clock):
    from caseflow.jobs.tasks import daily_digest

    app = new_app()
    with app.app_context():
        first = daily_digest()
        assert first is not None and daily_digest() is None  # a second beat the same day: nothing
        job = db.session.get(Job, first)
        assert job.state == "done" and job.result["digest"].startswith("sth1-")
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "digest_taken")
                                   .order_by(AuditEvent.id.desc())).first()
        assert event.details["tree_head"] == job.result["digest"]
        clock.advance(timedelta(days=1))
        assert daily_digest() is not None


def test_a_list_previewed_on_one_instance_is_imported_on_the_other_and_an_abandoned_one_goes(new_app, clock,
                                                                                              tmp_path):
    import io

    from caseflow.imports.operations import file_digest
    from tests.test_imports import good_row, workbook

    one, other = new_app(), new_app()
    kept, abandoned = workbook(tmp_path, [good_row(7)]), workbook(tmp_path, [good_row(8)], name="abandoned.xlsx")
    a, b = one.test_client(), other.test_client()
    login(a, "registrar@caseflow.demo")
    login(b, "registrar@caseflow.demo")
    for path in (kept, abandoned):
        r = a.post("/imports/", data={"csrf_token": csrf_token(a, "/imports/"),
                                      "file": (io.BytesIO(path.read_bytes()), "list.xlsx")},
                   content_type="multipart/form-data")
        assert r.status_code == 200
    r = b.post("/imports/confirm", data={"csrf_token": csrf_token(b, "/imports/"), "sha256": file_digest(kept),
                                         "filename": "list.xlsx"})
    assert r.status_code == 302  # imported on the other node, from the shared storage
    with other.app_context():
        events = {e.details["reason"] for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "file_deleted"))}
    assert "imported" in events
    clock.advance(timedelta(minutes=46))
    from caseflow.jobs.tasks import purge

    with one.app_context():
        assert purge()["files"] >= 1
    login(b, "registrar@caseflow.demo")  # 46 minutes idle ended the session too
    r = b.post("/imports/confirm", data={"csrf_token": csrf_token(b, "/imports/"), "sha256": file_digest(abandoned),
                                         "filename": "list.xlsx"})
    assert r.status_code == 422 and "expir" in r.get_data(as_text=True)  # expired, expiré


def test_the_whole_database_is_verified_as_a_job_and_recorded(new_app):
    app = new_app()
    client = app.test_client()
    login(client, "auditor@caseflow.demo")
    r = client.post("/audit/verify-job", data={"csrf_token": csrf_token(client, "/audit/")})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "All chains verified" in page or "Toutes les chaînes" in page
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit_verified")
                                   .order_by(AuditEvent.id.desc())).first()
        assert event.details["ok"] is True and event.actor_name
    forged = app.test_client()
    login(forged, "registrar@caseflow.demo")
    assert forged.post("/audit/verify-job", data={"csrf_token": csrf_token(forged, "/dashboard")}).status_code == 403


def test_the_schedule_runs_from_the_command_line_too(new_app):
    app = new_app()
    result = app.test_cli_runner().invoke(args=["jobs", "tick"])
    assert result.exit_code == 0, result.output
    assert "reminders:" in result.output and "purged: files" in result.output and "daily digest" in result.output


def test_a_reminder_the_mail_server_missed_is_sent_at_the_next_beat_and_a_bad_id_marks_nothing(new_app, clock,
                                                                                                smtp_sink):
    import socket

    from caseflow.cases.operations import register_case
    from caseflow.jobs.tasks import send_reminders
    from tests.conftest import complete_intake

    with socket.socket() as s:  # a port nobody listens on: the mail server is down
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    down, up = new_app(SMTP_HOST="127.0.0.1", SMTP_PORT=dead), new_app(SMTP_HOST="127.0.0.1",
                                                                       SMTP_PORT=smtp_sink.port)
    now = clock.now()
    code = committed(down, lambda s, users: register_case(
        s, complete_intake(encounter_at=(now - timedelta(hours=30)).isoformat()), users["registrar"],
        workflow="detained_child").code)
    with down.app_context():
        assert send_reminders() == 1  # the reminder is made even though no mail went
        row = db.session.scalar(select(Notification).where(Notification.case_id == _case_id(code)))
        assert row.emailed_at is None
    with up.app_context():
        assert send_reminders() == 0  # nothing new...
        assert send_reminders() == 0
    assert [m for m in smtp_sink.messages if code in m.content.decode()] != []  # ...but the missed mail went
    assert len([m for m in smtp_sink.messages if code in m.content.decode()]) == 1  # once

    client = up.test_client()
    login(client, "registrar@caseflow.demo")
    token = csrf_token(client, "/notifications/")
    for bad in ("abc", "99999999999", "-1"):
        assert client.post("/notifications/read", data={"csrf_token": token, "id": bad}).status_code == 404
    with up.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.case_id == _case_id(code), Notification.read_at.is_not(None))) == 0


def test_reminders_go_to_the_role_the_state_waits_for(app):
    """A follow-up visit due in reintegration is the partner's: the reviewers who may close a case
    are not reminded of it; a state that waits for no one named reminds those who move it on."""
    from caseflow.notifications.operations import actors
    from caseflow.workflow.engine import get_workflow

    with app.app_context():
        wf = get_workflow("detained_child")
        assert actors(wf, "in_reintegration") == {"partner"}
        assert actors(wf, "under_review") == {"reviewer"}
        assert "reviewer" in {r for t in wf.from_state("in_reintegration") for r in t.roles}  # they may close it
        silent = next(s for s, rule in wf.state_rules.items() if not rule.waits_for and wf.from_state(s)
                      and any(t.changes_state for t in wf.from_state(s)))
        assert actors(wf, silent) == {r for t in wf.from_state(silent) if t.changes_state for r in t.roles}


def start_verify(app) -> str:
    return start_job(app, "/audit/verify-job", "/audit/")


def test_a_whole_verification_goes_in_parts_to_every_worker_and_is_finished_once(new_app, broker, workers):
    """Three ranges of chains and the log, four jobs that two workers share; the last part to finish
    finishes the whole, which counts every event and chain once and is recorded once; a case record
    changed behind the application's back is found by the part that holds its chain."""
    from sqlalchemy import text

    app = app_on(new_app, broker)
    codes = [case_under_review_with_votes(app)[0] for _ in range(4)]
    for name in ("v1", "v2"):
        workers(name, CASEFLOW_AUDIT_VERIFY_PARTS=3)
    job_id = start_verify(app)
    job = wait_for(app, job_id, ("done", "failed"), seconds=90)
    assert job.state == "done", job.error
    with app.app_context():  # all but the verdict's own event, recorded after every part had read
        events = db.session.scalar(select(func.count()).select_from(AuditEvent)) - 1
        chains = db.session.scalar(select(func.count(func.distinct(AuditEvent.chain))))
    assert job.result["ok"] and job.result["parts"] == 4 and job.total == job.done == 4, job.result
    assert (job.result["events"], job.result["chains"]) == (events, chains)
    with app.app_context():
        parts = db.session.scalars(select(Job).where(Job.dedupe_key.like(f"{job_id}:%"))).all()
        assert len(parts) == 4 and {p.state for p in parts} == {"done"} and all(p.user_id is None for p in parts)
        assert sum(p.result["chains"] for p in parts) == chains  # each chain in exactly one part
        recorded = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit_verified")).all()
        assert [e.details["job"] for e in recorded].count(job_id) == 1
        state = db.session.scalar(text("SELECT state FROM cases WHERE code = :c"), {"c": codes[2]})
        db.session.execute(text("UPDATE cases SET state = 'closed', closed_reason = 'other' WHERE code = :c"),
                           {"c": codes[2]})
        db.commit()
    try:
        job = wait_for(app, start_verify(app), ("done", "failed"), seconds=90)
        assert job.state == "done" and not job.result["ok"]
        assert [b for b in job.result["breaks"] if b.startswith(f"chain {codes[2]},")], job.result["breaks"]
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE cases SET state = :s, closed_reason = NULL WHERE code = :c"),
                               {"s": state, "c": codes[2]})
            db.commit()


def test_the_last_part_finishes_the_whole_and_a_failed_part_fails_it(new_app, monkeypatch):
    """Parts run one after the other in one process: the whole waits, running, until its last part is
    done; a part whose work raises fails the whole, which would otherwise wait for ever."""
    from caseflow.jobs import operations
    from caseflow.jobs.audit import chain_ranges

    app = new_app()
    case_under_review_with_votes(app)

    def whole_with_parts(session, users):
        whole = operations.start(session, "verify", users["auditor"], {})
        whole.state = "running"
        pieces = [*({"first": a, "beyond": b} for a, b in chain_ranges(session, 2)), {"log": True}]
        return whole.id, [p.id for p in operations.start_parts(session, whole, "verify_part", pieces)]

    whole_id, part_ids = committed(app, whole_with_parts)
    assert len(part_ids) == 3
    with app.app_context():
        assert operations.run(part_ids[0]) == "done" and operations.run(part_ids[1]) == "done"
        assert job_row(app, whole_id).state == "running" and job_row(app, whole_id).done == 2
        assert operations.run(part_ids[2]) == "done"
    whole = job_row(app, whole_id)
    assert whole.state == "done" and whole.result["ok"] and whole.result["parts"] == 3 and whole.done == 3

    whole_id, part_ids = committed(app, whole_with_parts)

    def broken(session, job, progress):
        raise ValueError("a part that cannot run")

    monkeypatch.setitem(operations.KINDS, "verify_part", broken)
    with app.app_context():
        assert operations.run(part_ids[1]) == "failed"
    whole = job_row(app, whole_id)
    assert whole.state == "failed" and whole.error == "part: ValueError"


def test_chain_ranges_cover_every_chain_once_and_none_is_empty(session, make_case):
    from caseflow.audit.models import ChainHead
    from caseflow.audit.verify import Chains
    from caseflow.jobs.audit import chain_ranges

    for _ in range(5):
        make_case()
    session.flush()
    names = list(session.scalars(select(ChainHead.chain).order_by(ChainHead.chain)))
    for parts in (1, 2, 3, len(names), len(names) + 4):
        ranges = chain_ranges(session, parts)
        held = [list(session.scalars(Chains(first=a, beyond=b).where(select(ChainHead.chain), ChainHead.chain)
                                     .order_by(ChainHead.chain))) for a, b in ranges]
        assert sum(held, []) == names and all(held) and len(ranges) == min(parts, len(names)), (parts, ranges)
