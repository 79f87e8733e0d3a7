"""Exporting: who may, what is recorded, and where the file goes. Every export is an audit event
naming the filters, the row counts, whether identifying data is included, and the file's SHA-256."""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from caseflow.audit.hashing import file_sha256
from caseflow.audit.log import record
from caseflow.auth.roles import Role
from caseflow.cases.scope import can_see_identity
from caseflow.db import utcnow, write_intent
from caseflow.errors import Forbidden, NotFound, ValidationFailed
from caseflow.exports.models import ExportJob
from caseflow.exports.workbook import ExportFilters, count_events, write_workbook
from caseflow.extensions import db
from caseflow.schemas import parse_id


def check_may_export(user, filters: ExportFilters, include_identity: bool) -> None:
    if user.role != Role.auditor and len(filters.codes) != 1:
        raise Forbidden(_("Only auditors export several cases; others export one case's history from its page."))
    if include_identity and not can_see_identity(user):
        raise Forbidden(_("Your role may not export identifying data."))


def export_to_file(session, user, filters: ExportFilters, include_identity: bool, path, progress=None) -> dict:
    """Write the workbook at ``path``; returns what ``record_export`` records."""
    check_may_export(user, filters, include_identity)
    result = write_workbook(session, path, user=user, filters=filters, include_identity=include_identity,
                            progress=progress)
    return {"filters": filters.describe(), "rows": result.counts, "identifying_data": include_identity,
            "sha256": file_sha256(path), "chains_root": result.chains_root}


def record_export(session, user, outcome: dict) -> None:
    """Every export is an event: filters, rows, identifying data or not, the file's SHA-256."""
    record(session, "cases_exported", actor=user, details=outcome)


def parse_filters(form) -> ExportFilters:
    errors = {}

    def day(name):
        raw = (form.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = [_("Not a valid date.")]
            return None

    codes = [c.strip() for c in (form.get("codes") or "").replace(",", " ").split() if c.strip()]
    org = (form.get("organisation_id") or "").strip()
    filters = ExportFilters(
        states=[s for s in (form.getlist("state") if hasattr(form, "getlist") else form.get("state", [])) if s],
        date_from=day("date_from"), date_to=day("date_to"), region=(form.get("region") or "").strip() or None,
        organisation_id=parse_id(org), codes=codes[:500],
    )
    if org and parse_id(org) is None:
        errors["organisation_id"] = [_("Not one of the choices.")]
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        errors["date_to"] = [_("The end of the period comes after its start.")]
    if errors:
        raise ValidationFailed(errors=errors)
    return filters


def export_folder() -> Path:
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def temp_export_path() -> str:
    fd, path = tempfile.mkstemp(suffix=".xlsx", dir=export_folder())
    os.close(fd)
    return path


def needs_background(session, user, filters: ExportFilters) -> bool:
    return count_events(session, user, filters) > current_app.config["EXPORT_INLINE_MAX_EVENTS"]


def start_job(session, user, filters: ExportFilters, include_identity: bool) -> ExportJob:
    check_may_export(user, filters, include_identity)
    _clean_old_files()
    job = ExportJob(id=secrets.token_hex(16), user_id=user.id, status="queued", filters=filters.describe(),
                    include_identity=include_identity, total=count_events(session, user, filters),
                    created_at=utcnow())
    session.add(job)
    session.flush()
    return job


def run_job_in_background(app, job_id: str, filters: ExportFilters) -> threading.Thread:
    thread = threading.Thread(target=_run_job, args=(app, job_id, filters), daemon=True, name=f"export-{job_id}")
    thread.start()
    return thread


def _wait_for_commit(app, job_id: str, seconds: float = 30.0) -> bool:
    """The job starts from the request that creates its row; it begins once that row is committed."""
    import time

    from sqlalchemy import select

    engine = app.extensions["caseflow.db"]["engine"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(select(ExportJob.id).where(ExportJob.id == job_id)).first():
                return True
        time.sleep(0.05)
    return False


def _run_job(app, job_id: str, filters: ExportFilters) -> None:
    from caseflow.auth.models import User

    if not _wait_for_commit(app, job_id):
        app.logger.warning("export job %s was never committed; not started", job_id)
        return
    with app.test_request_context():
        path = None
        token = write_intent.set(False)  # reading: no writer's lock while the workbook is written
        try:
            _set_progress(app, job_id, 0, status="running")
            job = db.session.get(ExportJob, job_id)
            user = db.session.get(User, job.user_id)
            path = temp_export_path()
            outcome = export_to_file(db.session, user, filters, job.include_identity, path,
                                     lambda n: _set_progress(app, job_id, n))
            db.rollback()
            write_intent.set(True)
            record_export(db.session, db.session.get(User, user.id), outcome)
            job = db.session.get(ExportJob, job_id)
            job.status, job.filename, job.sha256 = "done", os.path.basename(path), outcome["sha256"]
            job.done, job.finished_at = job.total, utcnow()
            db.commit()
        except Exception as exc:  # the job reports its failure; the request that started it is long gone
            db.rollback()
            app.logger.exception("export job %s failed", job_id)
            if path and os.path.exists(path):
                os.unlink(path)
            job = db.session.get(ExportJob, job_id)
            if job is not None:
                job.status, job.error, job.finished_at = "failed", exc.__class__.__name__, utcnow()
                db.commit()
        finally:
            write_intent.reset(token)


def _set_progress(app, job_id: str, n: int, **values) -> None:
    """Progress goes through its own short transaction so the page can show it while we work."""
    from sqlalchemy import update

    engine = app.extensions["caseflow.db"]["engine"]
    with engine.begin() as conn:
        conn.execute(update(ExportJob).where(ExportJob.id == job_id).values(done=n, **values))


def get_job(session, job_id: str, user) -> ExportJob:
    job = session.get(ExportJob, job_id)
    if job is None or job.user_id != user.id:
        raise NotFound(_("No such export."))
    return job


def job_path(job: ExportJob) -> Path:
    return export_folder() / job.filename


def _clean_old_files(max_age: timedelta = timedelta(hours=24)) -> None:
    cutoff = (utcnow() - max_age).timestamp()
    for f in export_folder().glob("*.xlsx"):
        if f.stat().st_mtime < cutoff:
            f.unlink(missing_ok=True)
