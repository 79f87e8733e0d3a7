"""Export pages: the auditor's export form, background jobs with progress, downloads; the per-case
history export from the case page."""

from __future__ import annotations

import os

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from caseflow.auth.models import Organisation
from caseflow.cases.operations import get_case
from caseflow.cases.scope import can_see_identity
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.exports import operations
from caseflow.exports.workbook import ExportFilters
from caseflow.extensions import db
from caseflow.jobs.models import Job
from caseflow.jobs.operations import enqueue
from caseflow.policy import requires
from caseflow.views.cases import purpose_choices
from caseflow.web import after_commit
from caseflow.workflow.engine import state_choices

bp = Blueprint("exports", __name__, url_prefix="/exports")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(path: str, filename: str):
    """Inline exports are small by definition (see EXPORT_INLINE_MAX_EVENTS): read, remove, send."""
    with open(path, "rb") as fh:
        data = fh.read()
    os.unlink(path)
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def inline_export(filters: ExportFilters, include_identity: bool, filename: str):
    path = operations.temp_export_path()
    try:
        outcome = operations.export_to_file(db.session, current_user, filters, include_identity, path)
    except Exception:
        os.unlink(path)
        raise
    operations.record_export(db.session, current_user, outcome)
    return _download(path, filename)


def _form_context(errors=None, values=None):
    return {
        "states": state_choices(None),
        "organisations": db.session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        "jobs": db.session.scalars(select(Job).where(Job.user_id == current_user.id, Job.kind == "export")
                                   .order_by(Job.created_at.desc()).limit(10)).all(),
        "errors": errors or {}, "values": values or {}, "may_identify": can_see_identity(current_user),
        "purposes": purpose_choices(None),
    }


@bp.route("/", methods=["GET", "POST"])
@requires("export_many")
def index():
    if request.method == "GET":
        return render_template("exports/index.html", **_form_context())
    try:
        filters = operations.parse_filters(request.form)
    except ValidationFailed as exc:
        return render_template("exports/index.html", **_form_context(exc.errors, request.form)), 422
    include_identity = request.form.get("include_identity") == "1"
    if include_identity or operations.needs_background(db.session, current_user, filters):
        try:
            job = operations.start_export_job(db.session, current_user, filters, include_identity,
                                              purpose=request.form.get("purpose"))
        except ValidationFailed as exc:
            return render_template("exports/index.html", **_form_context(exc.errors, request.form)), 422
        after_commit(lambda: enqueue(job.id))  # the worker (or, with no broker, this process) reads it
        return redirect(url_for("jobs.show", job_id=job.id))
    return inline_export(filters, include_identity, "caseflow-export.xlsx")


@bp.route("/case/<code>", methods=["POST"])
@login_required
def case_history(code):
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError as WTFValidationError

    try:
        validate_csrf(request.form.get("csrf_token"))
    except WTFValidationError:
        raise ValidationFailed(_("The form expired; please reload the page.")) from None
    case = get_case(db.session, code, current_user)
    include_identity = request.form.get("include_identity") == "1"
    if include_identity:  # encrypted, with its passphrase shown once on the job's page

        if not can_see_identity(current_user, case):
            raise Forbidden(_("Your role may not see who this child is."))
        job = operations.start_export_job(db.session, current_user, ExportFilters(codes=[case.code]), True,
                                          purpose=request.form.get("purpose"), case=case)
        after_commit(lambda: enqueue(job.id))
        return redirect(url_for("jobs.show", job_id=job.id))
    return inline_export(ExportFilters(codes=[case.code]), include_identity, f"{case.code}-history.xlsx")
