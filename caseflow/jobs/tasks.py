"""The Celery tasks, registered on each Celery app (``engine.init_celery``): a job, and the scheduled
work (reminders, purging expired files, sessions and tokens, signed tree heads, the daily digest)."""

from __future__ import annotations

from celery import Celery
from sqlalchemy.exc import OperationalError

from caseflow.audit.publish import NoSigningKey, publish
from caseflow.auth.models import ApiToken, LoginSession
from caseflow.db import utcnow, write_intent
from caseflow.extensions import db
from caseflow.jobs import storage
from caseflow.jobs.operations import enqueue, requeue_waiting, run, start
from caseflow.notifications.operations import email
from caseflow.notifications.operations import send_reminders as insert_reminders
from caseflow.protection.operations import propose_erasures

JOB_MODULES = ("caseflow.exports.jobs", "caseflow.jobs.audit")


def register_tasks(celery: Celery) -> None:
    import importlib

    for module in JOB_MODULES:
        importlib.import_module(module)

    @celery.task(name="caseflow.run_job", acks_late=True, reject_on_worker_lost=True, shared=False,
                 autoretry_for=(OperationalError,), retry_backoff=2, retry_backoff_max=60, max_retries=20)
    def run_job(job_id: str) -> str:
        return run(job_id)

    @celery.task(name="caseflow.requeue_waiting", shared=False)
    def requeue_waiting_task() -> int:
        return len(requeue_waiting(db.session))

    @celery.task(name="caseflow.send_reminders", shared=False)
    def send_reminders_task() -> int:
        return send_reminders()

    @celery.task(name="caseflow.purge", shared=False)
    def purge_task() -> dict:
        return purge()

    @celery.task(name="caseflow.publish_heads", shared=False)
    def publish_heads_task() -> str:
        return publish_heads()

    @celery.task(name="caseflow.daily_digest", shared=False)
    def daily_digest_task() -> str | None:
        return daily_digest()


def writing(fn):
    """Run ``fn(session)`` as one writing transaction and commit it."""

    token = write_intent.set(True)
    try:
        result = fn(db.session)
        db.commit()
        return result
    except Exception:
        db.rollback()
        raise
    finally:
        write_intent.reset(token)


def send_reminders() -> int:
    made = writing(insert_reminders)
    writing(email)  # the new ones, and any a mail server that was down kept back
    db.rollback()
    return len(made)


def purge() -> dict:
    from sqlalchemy import delete

    def run(session):
        from datetime import timedelta

        from flask import current_app
        from sqlalchemy import or_

        now, cfg = utcnow(), current_app.config
        files = storage.purge(session)
        ended = or_(LoginSession.revoked_at.is_not(None),
                    LoginSession.last_seen_at <= now - timedelta(minutes=cfg["IDLE_TIMEOUT_MINUTES"]),
                    LoginSession.created_at <= now - timedelta(hours=cfg["ABSOLUTE_TIMEOUT_HOURS"]))
        sessions = session.execute(delete(LoginSession).where(ended)).rowcount
        tokens = session.execute(delete(ApiToken).where(ApiToken.expires_at <= now)).rowcount

        proposed = len(propose_erasures(session))  # identities past retention, for two people to approve
        return {"files": files, "sessions": sessions, "tokens": tokens, "erasures proposed": proposed}

    return writing(run)


def publish_heads() -> str:
    """Take the committed events into the log and sign a head (see audit/publish.py)."""

    try:
        pub = writing(publish)
    except NoSigningKey:
        return "not signed: no audit signing key"
    return f"size {pub.head.tree_size} ({pub.added} added, {len(pub.held_back)} chains held back)"


def daily_digest() -> str | None:
    """One digest job a day, whichever beat asks first (the job's key is the day)."""
    from sqlalchemy.exc import IntegrityError

    key = f"digest:{utcnow().date().isoformat()}"
    try:
        job = writing(lambda session: start(session, "digest", None, {}, dedupe_key=key))
    except IntegrityError:
        db.rollback()
        return None
    enqueue(job.id)
    return job.id
