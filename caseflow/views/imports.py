"""Detention-list import pages: template, upload and preview, confirm."""

from __future__ import annotations

import os
import tempfile

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from caseflow.cases.schemas import intake_schema
from caseflow.errors import NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.i18n import label
from caseflow.imports import operations
from caseflow.imports.columns import header_for
from caseflow.jobs.storage import delete_file
from caseflow.labels import field_label
from caseflow.policy import requires
from caseflow.spreadsheet import template_workbook
from caseflow.workflow.engine import get_workflow, workflows

bp = Blueprint("imports", __name__, url_prefix="/imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXAMPLE = {"sex": "male", "claimed_age": 15, "region": "Mopti", "encounter_type": "arrested",
           "encounter_at": "2026-01-15 08:30", "detaining_authority": "Gendarmerie nationale",
           "facility_type": "prison", "facility_reference": "MOP-2026-014"}


def _example_value(field, value):
    choices = (field.metadata or {}).get("choices")
    if choices and value in choices:
        return str(choices[value])
    return value


class UploadForm(FlaskForm):
    pass


def chosen_workflow(value: str | None):
    """The workflow the listed cases follow (a form or URL value; none: the default one)."""

    name = value or current_app.config["DEFAULT_WORKFLOW"]
    if name not in workflows():
        raise NotFound(_("Unknown workflow %(name)s.", name=name))
    return get_workflow(name)


def _page(form, errors, wf):
    return render_template("imports/index.html", form=form, errors=errors, wf=wf, all_workflows=workflows(),
                           label=label)


@bp.route("/", methods=["GET"])
@requires("import_lists")
def index():
    return _page(UploadForm(), [], chosen_workflow(request.args.get("workflow")))


@bp.route("/template.xlsx")
@requires("import_lists")
def template():
    lang = request.args.get("lang", "en")
    if lang not in ("en", "fr"):
        lang = "en"
    schema = intake_schema(chosen_workflow(request.args.get("workflow")))()
    names = list(schema.fields)
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        with force_locale(lang):
            titles = (_("Detention list"), _("Example"),
                      _("An example only: this sheet is never imported. Fill in the first sheet."))
            # the example in the template's language: a coded value shown as its label, which the
            # import reads back (codes are accepted too)
            example = [_example_value(schema.fields[f], EXAMPLE.get(f)) for f in names]
        template_workbook(path, [header_for(f, lang) for f in names], example, titles=titles)
        with open(path, "rb") as fh:
            data = fh.read()
    finally:
        os.unlink(path)
    return Response(data, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="detention-list-{lang}.xlsx"'})


@bp.route("/", methods=["POST"])
@requires("import_lists")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        raise ValidationFailed(_("The form expired; please reload the page."))
    wf = chosen_workflow(request.form.get("workflow"))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(form, [_("Choose a file to upload.")], wf), 422
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if (request.content_length or 0) > limit + 64 * 1024:  # refused before anything is stored
        return _page(form, [_("The file is larger than %(mb)d MB; split the list and upload the parts.",
                              mb=limit // 2**20)], wf), 413
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        upload.save(path)
        sha = operations.file_digest(path)
        result = operations.preview(db.session, path, upload.filename, sha, current_user, wf.name)
        if result.valid:  # only a list that can be imported is kept for the confirm step
            operations.keep_upload(db.session, path, sha, current_user)
    except ValidationFailed as exc:
        return _page(form, exc.errors.get("file") or [str(exc.detail)], wf), 422
    finally:
        os.unlink(path)
    return render_template("imports/preview.html", form=form, preview=result, field_label=field_label, wf=wf)


@bp.route("/confirm", methods=["POST"])
@requires("import_lists")
def confirm():
    form = UploadForm()
    if not form.validate_on_submit():
        raise ValidationFailed(_("The form expired; please reload the page."))
    path, kept = operations.stored_upload(db.session, request.form.get("sha256", ""), current_user)
    filename = (request.form.get("filename") or "upload.xlsx")[:200]
    wf = chosen_workflow(request.form.get("workflow"))
    try:
        created = operations.import_rows(db.session, path, filename, current_user, workflow=wf.name)
    finally:
        os.unlink(path)

    delete_file(db.session, kept, "imported")  # in the import's transaction: both, or neither
    codes = [c.code for c in created]
    shown = ", ".join(codes[:20]) + (" …" if len(codes) > 20 else "")
    flash(ngettext("%(num)d case imported from %(file)s: %(codes)s.",
                   "%(num)d cases imported from %(file)s: %(codes)s.", len(codes), file=filename, codes=shown),
          "success")
    return redirect(url_for("cases.index", state=wf.initial, workflow=wf.name))
