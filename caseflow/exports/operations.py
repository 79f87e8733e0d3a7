"""Exporting: who may, what is recorded, and where the file goes. Every export is an audit event
naming the filters, the row counts, whether identifying data is included, and the file's SHA-256."""

from __future__ import annotations

import contextlib
import os
from datetime import date

from flask import current_app
from flask_babel import gettext as _

from caseflow.audit.hashing import file_sha256
from caseflow.audit.log import record
from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.cases.operations import check_purpose
from caseflow.cases.scope import can_see_identity, hidden_sections, visible_to
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.exports.protect import encrypt_in_place
from caseflow.exports.workbook import ExportFilters, count_events, write_workbook
from caseflow.extensions import db
from caseflow.jobs.operations import start, temp_path
from caseflow.policy import may
from caseflow.schemas import parse_id
from caseflow.workflow.engine import workflow_of


def check_may_export(user, filters: ExportFilters, include_identity: bool) -> None:
    if not may(user, "export_many") and len(filters.codes) != 1:
        raise Forbidden(_("Only auditors export several cases; others export one case's history from its page."))
    if include_identity and not can_see_identity(user):
        raise Forbidden(_("Your role may not export identifying data."))
    if not may(user, "export_many"):
        check_sees_whole_history(user, filters.codes[0])


def check_sees_whole_history(user, code: str) -> None:
    """A case's history leaves in a workbook whole (its chain verifies only whole): a role that does
    not see a section some of its events belong to exports none of it (need to know)."""
    from sqlalchemy import select

    case = db.session.scalar(select(Case).where(Case.code == code, visible_to(user)))
    if case is None:
        return
    hidden = set(hidden_sections(user, case))
    if not hidden:
        return
    wf = workflow_of(case)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.chain == case.audit_chain).distinct())
    if any(wf.section_of(a) in hidden for a in actions):
        raise Forbidden(_("This case's history holds parts your role does not see: ask an auditor for its export."))


def export_to_file(session, user, filters: ExportFilters, include_identity: bool, path, progress=None,
                   passphrase: str | None = None) -> dict:
    """Write the workbook at ``path``; returns what ``record_export`` records. A workbook with
    identifying data is encrypted with ``passphrase``, which the caller shows once (never recorded)."""

    check_may_export(user, filters, include_identity)
    if include_identity and not passphrase:
        raise ValueError("identifying data leaves only in an encrypted workbook: give a passphrase")
    try:
        result = write_workbook(session, path, user=user, filters=filters, include_identity=include_identity,
                                progress=progress)
        if include_identity:
            encrypt_in_place(path, passphrase)
    except BaseException:  # a full disk, a lost database: no partial workbook is left behind
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return {"filters": filters.describe(), "rows": result.counts, "identifying_data": include_identity,
            "encrypted": include_identity, "sha256": file_sha256(path), "chains_root": result.chains_root}


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


def temp_export_path() -> str:
    return temp_path(".xlsx")


def needs_background(session, user, filters: ExportFilters) -> bool:
    return count_events(session, user, filters) > current_app.config["EXPORT_INLINE_MAX_EVENTS"]


def start_export_job(session, user, filters: ExportFilters, include_identity: bool, *, purpose: str | None = None,
                     case=None):
    """A queued export job (the caller commits, then enqueues it): checked now, as the inline one is.
    With identifying data, a purpose the user's role may give, recorded with the export."""

    check_may_export(user, filters, include_identity)
    params = {"filters": filters.describe(), "identity": include_identity}
    if include_identity:
        params["purpose"] = check_purpose(case, user, purpose)
    return start(session, "export", user, params, total=count_events(session, user, filters))
