"""The data-protection page (auditors; administrators for erasures and second factors): who saw
which identity and why, in a period; erasures due and done, approved here by two people; second-
factor coverage per role; and the same as a workbook."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from caseflow import clock
from caseflow.audit.log import record
from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User
from caseflow.auth.roles import ROLE_LABELS, Role
from caseflow.cases.models import Case
from caseflow.cases.words import words
from caseflow.errors import DomainError, ValidationFailed
from caseflow.extensions import db
from caseflow.policy import requires
from caseflow.protection import operations
from caseflow.protection.models import Erasure
from caseflow.spreadsheet import SafeWorkbook
from caseflow.web import writes

bp = Blueprint("protection", __name__, url_prefix="/protection")
VIEWS = ("identity_viewed", "identity_searched")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ApproveForm(FlaskForm):
    pass


def _period():
    """The period asked for (default: the last 30 days), as UTC days, refused when reversed."""
    def day(name, default):
        raw = (request.args.get(name) or "").strip()
        if not raw:
            return default
        try:
            value = datetime.strptime(raw, "%Y-%m-%d").date()
        except ValueError:
            raise ValidationFailed(errors={name: [_("Not a valid date.")]}) from None
        if not date(1900, 1, 1) <= value <= clock.today():  # views lie in the past (and 9999-12-31 would overflow)
            raise ValidationFailed(errors={name: [_("Give a day between 1900 and today.")]})
        return value

    end = day("to", clock.today())
    start = day("from", end - timedelta(days=30))
    if end < start:
        raise ValidationFailed(errors={"to": [_("The end of the period comes after its start.")]})
    return start, end


def facts(start, end) -> dict:
    session = db.session
    lo = datetime.combine(start, time.min, tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    w = words()
    views = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(VIEWS), AuditEvent.occurred_at >= lo,
                                                     AuditEvent.occurred_at < hi).order_by(AuditEvent.occurred_at))
    rows = [{"at": e.occurred_at, "who": e.actor_name, "role": e.actor_role, "org": e.actor_org,
             "what": w.actions.get(e.action, e.action),
             "case": e.chain if e.case_id else "—",
             "purpose": w.value("purpose", (e.details or {}).get("purpose"))} for e in views]
    per_person = Counter((r["who"], r["role"], r["purpose"]) for r in rows)
    erasures = session.execute(select(Erasure, Case.code).join(Case, Case.id == Erasure.case_id)
                               .order_by(Erasure.done_at.is_not(None), Erasure.proposed_at)).all()
    users = {u.id: u.full_name for u in session.scalars(select(User))}
    required = current_app.config["SECOND_FACTOR_ROLES"]
    coverage = []
    for role in Role:
        active = session.scalar(select(func.count()).select_from(User).where(User.role == role.value,
                                                                              User.active.is_(True)))
        enrolled = session.scalar(select(func.count()).select_from(User).where(
            User.role == role.value, User.active.is_(True), User.totp_secret.is_not(None)))
        coverage.append({"role": str(ROLE_LABELS[role]), "required": role.value in required, "users": active,
                         "enrolled": enrolled})
    return {"start": start, "end": end, "views": rows, "per_person": sorted(per_person.items()),
            "erasures": erasures, "user_names": users, "coverage": coverage,
            "due_now": len(operations.due_cases(session))}


@bp.route("/")
@requires("data_protection")
def index():
    try:
        start, end = _period()
    except ValidationFailed as exc:
        start, end = clock.today() - timedelta(days=30), clock.today()
        return render_template("protection/index.html", errors=exc.errors, form=ApproveForm(),
                               **facts(start, end)), 422
    return render_template("protection/index.html", errors={}, form=ApproveForm(), **facts(start, end))


@bp.route("/erasures/<id:erasure_id>/approve", methods=["POST"])
@requires("data_protection")
def approve(erasure_id):
    if not ApproveForm().validate_on_submit():
        raise ValidationFailed(_("The form expired; please reload the page."))
    try:
        erasure = operations.approve(db.session, erasure_id, current_user)
    except DomainError as exc:
        db.rollback()
        flash(str(exc.detail), "error")
        return redirect(url_for("protection.index"))
    flash(_("Erased: the identity can no longer be read by anyone.") if erasure.done_at else
          _("Approved; the erasure needs the other approval (an auditor and an administrator)."), "success")
    return redirect(url_for("protection.index"))


@bp.route("/report.xlsx")
@requires("data_protection")
@writes  # the report is recorded
def workbook():
    start, end = _period()
    f = facts(start, end)
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        book = SafeWorkbook(path)
        views = book.sheet(_("Identity views"), [_("When (UTC)"), _("Who"), _("Role"), _("Organisation"),
                                                 _("What"), _("Case"), _("Purpose")], [19, 24, 14, 30, 24, 16, 36])
        for r in f["views"]:
            views.append([r["at"].replace(tzinfo=None), r["who"], r["role"], r["org"], r["what"], r["case"],
                          r["purpose"]])
        era = book.sheet(_("Erasures"), [_("Case"), _("Due since"), _("Auditor"), _("Administrator"), _("Erased")],
                         [16, 19, 24, 24, 19])
        for e, code in f["erasures"]:
            era.append([code, e.due_since.replace(tzinfo=None), f["user_names"].get(e.auditor_id),
                        f["user_names"].get(e.admin_id), e.done_at.replace(tzinfo=None) if e.done_at else None])
        cov = book.sheet(_("Second factor"), [_("Role"), _("Required"), _("Active users"), _("Set up")],
                         [24, 10, 12, 10])
        for c in f["coverage"]:
            cov.append([c["role"], _("Yes") if c["required"] else _("No"), c["users"], c["enrolled"]])
        book.save()
        with open(path, "rb") as fh:
            data = fh.read()
    finally:
        os.unlink(path)
    record(db.session, "protection_report_exported", actor=current_user,
           details={"from": start.isoformat(), "to": end.isoformat(), "views": len(f["views"])})
    return Response(data, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="data-protection-{start}-{end}.xlsx"'})
