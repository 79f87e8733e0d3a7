"""Starting, running and reading jobs. Each kind of job is a function registered under a name
(``@job_kind("export")``) that does the work and returns an ``Outcome``: what to show, the file it
made, and what to record. ``run`` finishes a job in one transaction, once, however often it is run."""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from kombu.exceptions import KombuError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from caseflow.db import BUSY, UNREACHABLE, failure_kind, utcnow, write_intent
from caseflow.errors import NotFound
from caseflow.extensions import db
from caseflow.jobs import storage
from caseflow.jobs.models import Job
from caseflow.sealing.keys import keyring

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Outcome:
    result: dict
    #: (path, download name, content type, identifying) of the file the job made, if any
    file: tuple[str, str, str, bool] | None = None
    #: called in the job's final transaction: the audit events that say it happened
    record: Callable = field(default=lambda session, job, stored: None)
    #: the job goes on in parts (jobs of their own, ``part_of`` it): it stays running, and the last
    #: part to finish finishes it (``finish_whole``)
    waits: bool = False
    #: called once the final transaction has committed (handing the parts to the workers)
    after: Callable = field(default=lambda: None)


KINDS: dict[str, Callable] = {}


def job_kind(name: str):
    def register(fn):
        KINDS[name] = fn
        return fn
    return register


def start(session, kind: str, user, params: dict, *, total: int = 0, dedupe_key: str | None = None) -> Job:
    """A queued job; the caller commits, then ``enqueue``s it."""
    job = Job(id=secrets.token_hex(16), kind=kind, user_id=getattr(user, "id", None), params=params,
              state="queued", total=total, dedupe_key=dedupe_key, created_at=utcnow())
    session.add(job)
    session.flush()
    return job


def enqueue(job_id: str) -> bool:
    """Hand the (committed) job to the workers; with no broker it runs now, in this process. When the
    broker cannot be reached (Redis restarting), the job waits, queued in the database, and the
    schedule's ``requeue_waiting`` hands it over once the broker is back: False then."""
    task = current_app.extensions["celery"].tasks["caseflow.run_job"]
    try:
        task.apply_async(args=[job_id], retry=True,
                         retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2})
    except (OSError, KombuError) as exc:  # the connection refused or lost
        current_app.logger.warning("job %s waits in the database: the queue cannot be reached (%s)", job_id,
                                   type(exc).__name__)
        return False
    return True


def requeue_waiting(session) -> list[str]:
    """Jobs that wait too long: still queued after ``JOBS_REQUEUE_AFTER_SECONDS`` (their message was
    never sent: the broker was down), or running for longer than the visibility timeout twice (their
    worker lost its database mid-job and could not say so). Each is handed to the workers again; a
    job delivered twice runs once to its end (``run``)."""
    cfg, now = current_app.config, utcnow()
    queued_before = now - timedelta(seconds=cfg["JOBS_REQUEUE_AFTER_SECONDS"])
    running_before = now - timedelta(seconds=2 * cfg["CELERY_VISIBILITY_TIMEOUT"])
    ids = list(session.scalars(select(Job.id).where(or_(
        and_(Job.state == "queued", Job.created_at <= queued_before),
        and_(Job.state == "running", Job.started_at <= running_before)))))
    session.rollback()
    return [i for i in ids if enqueue(i)]


def _update(job_id: str, **values) -> None:
    """Progress and state in a short transaction of their own, seen by every node at once."""
    engine = current_app.extensions["caseflow.db"]["engine"]
    with engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(**values))


def run(job_id: str) -> str:
    """Run a job to its end. A job already done or failed is left alone (a message delivered twice);
    a job found running was cut off (its worker died): it starts again from the beginning."""
    job = db.session.get(Job, job_id)
    if job is None:
        current_app.logger.warning("job %s not found; its request may have rolled back", job_id)
        return "missing"
    if job.state in ("done", "failed"):
        return job.state
    attempts = job.attempts + 1
    db.rollback()
    _update(job_id, state="running", attempts=attempts, started_at=utcnow(), error=None)
    if current_app.config["JOBS_TEST_DELAY_SECONDS"]:
        time.sleep(current_app.config["JOBS_TEST_DELAY_SECONDS"])
    token = write_intent.set(False)  # the work reads; the final transaction below writes
    try:
        job = db.session.get(Job, job_id)
        outcome = KINDS[job.kind](db.session, job, lambda n: _update(job_id, done=n))
        db.rollback()
        write_intent.set(True)
        return _finish(job_id, outcome)
    except OperationalError as exc:  # the database went away: the task is tried again (Celery's retry)
        if failure_kind(exc) not in (UNREACHABLE, BUSY):
            return _failed(job_id, exc)
        db.rollback()
        current_app.logger.warning("job %s interrupted: the database failed (%s)", job_id, failure_kind(exc))
        with suppress(SQLAlchemyError):
            _update(job_id, state="queued", error=None)
        raise
    except Exception as exc:  # the job reports its failure; whoever started it is long gone
        return _failed(job_id, exc)
    finally:
        write_intent.reset(token)


def _failed(job_id: str, exc: Exception) -> str:
    db.rollback()
    current_app.logger.exception("job %s failed", job_id)
    _update(job_id, state="failed", error=exc.__class__.__name__, finished_at=utcnow())
    whole = (db.session.scalar(select(Job.params).where(Job.id == job_id)) or {}).get("part_of")
    db.rollback()
    if whole:  # a part that fails fails its whole, which would otherwise wait for it for ever
        engine = current_app.extensions["caseflow.db"]["engine"]
        with engine.begin() as conn:
            conn.execute(update(Job).where(Job.id == whole, Job.state == "running")
                         .values(state="failed", error=f"part: {exc.__class__.__name__}", finished_at=utcnow()))
    return "failed"


def start_parts(session, whole: Job, kind: str, parts: list[dict]) -> list[Job]:
    """The parts of ``whole``, each a job of ``kind`` with its params and ``part_of``; made once (a
    whole run again finds its parts by their names); the caller commits, then ``enqueue``s them."""
    prefix = f"{whole.id}:"
    made = list(session.scalars(select(Job).where(Job.dedupe_key.like(prefix + "%")).order_by(Job.dedupe_key)))
    if made:
        return made
    return [start(session, kind, None, {**params, "part_of": whole.id}, dedupe_key=f"{prefix}{n:04d}")
            for n, params in enumerate(parts)]


def finish_whole(session, part: Job, result: dict, merge: Callable, record: Callable) -> bool:
    """In a part's final transaction: when every other part of its whole is done, the whole is done
    too, with ``merge(results)`` as its result, and ``record(session, whole, merged)`` says so. The
    whole's row is locked first, so of two parts finishing at once exactly one finishes it."""
    stmt = select(Job).where(Job.id == part.params["part_of"]).execution_options(populate_existing=True)
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    whole = session.scalar(stmt)
    if whole is None or whole.state != "running":
        return False
    siblings = session.scalars(select(Job).where(Job.dedupe_key.like(f"{whole.id}:%"), Job.id != part.id)
                               .execution_options(populate_existing=True)).all()
    whole.done = 1 + sum(s.state == "done" for s in siblings)
    if whole.done <= len(siblings):
        return False
    merged = merge([*(s.result or {} for s in siblings), result])
    record(session, whole, merged)
    whole.state, whole.result, whole.finished_at = "done", merged, utcnow()
    return True


def _finish(job_id: str, outcome: Outcome) -> str:
    path = outcome.file[0] if outcome.file else None
    try:
        stmt = select(Job).where(Job.id == job_id)
        if db.session.get_bind().dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        job = db.session.scalar(stmt)
        if job.state in ("done", "failed"):  # another worker finished it meanwhile: keep theirs
            db.rollback()
            return job.state
        stored = None
        if outcome.file:
            _p, name, content_type, identifying = outcome.file
            stored = storage.put(db.session, path, name=name, content_type=content_type, identifying=identifying,
                                 file_id=job.id)
            outcome.result["sha256"] = stored.sha256
        outcome.record(db.session, job, stored)
        if outcome.waits:
            job.result = outcome.result
            db.commit()
            outcome.after()
            return "running"
        job.state, job.result, job.finished_at = "done", outcome.result, utcnow()
        job.done = job.total or job.done
        job.file_id = stored.id if stored else None
        db.commit()
        outcome.after()
        return "done"
    finally:
        if path and os.path.exists(path):
            os.unlink(path)


def temp_path(suffix: str) -> str:
    fd, path = tempfile.mkstemp(suffix=suffix)
    os.close(fd)
    return path


def get_job(session, job_id: str, user) -> Job:
    """A user's own job (404 for anyone else's: no hint that it exists)."""
    job = session.get(Job, job_id) if isinstance(job_id, str) and len(job_id) <= 32 else None
    if job is None or job.user_id is None or job.user_id != user.id:
        raise NotFound(_("No such job."))
    return job


def take_passphrase(session, job: Job) -> str | None:
    """An encrypted file's passphrase, to the person who asked, once: it is gone from the job as it
    is read (lost, the file is exported again)."""

    sealed = (job.result or {}).get("passphrase")
    if job.state != "done" or not sealed:
        return None
    job.result = {k: v for k, v in job.result.items() if k != "passphrase"}
    session.flush()
    return keyring().open(sealed, f"passphrase:{job.id}").decode()


def file_available(job: Job) -> bool:
    return job.state == "done" and job.file is not None and job.file.deleted_at is None
