"""A job's page (progress, refreshing by itself) and its file, from whichever node answers."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from caseflow.errors import ValidationFailed
from caseflow.extensions import db
from caseflow.jobs import storage
from caseflow.jobs.operations import file_available, get_job, take_passphrase

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


class PassphraseForm(FlaskForm):
    """The button that shows an encrypted file's passphrase: a POST, so that no prefetch, preview or
    reload of the page spends it."""


@bp.route("/<job_id>")
@login_required
def show(job_id):
    job = get_job(db.session, job_id, current_user)
    return render_template("jobs/show.html", job=job, file_available=file_available(job), passphrase=None,
                           form=PassphraseForm())


@bp.route("/<job_id>/passphrase", methods=["POST"])
@login_required
def passphrase(job_id):
    """An encrypted file's passphrase, to whoever asked for the file, once: it leaves the job here."""

    job = get_job(db.session, job_id, current_user)
    if not PassphraseForm().validate_on_submit():
        raise ValidationFailed(_("The form expired; please reload the page."))
    shown = take_passphrase(db.session, job)
    return render_template("jobs/show.html", job=job, file_available=file_available(job), passphrase=shown,
                           form=PassphraseForm())


@bp.route("/<job_id>/file")
@login_required
def file(job_id):
    job = get_job(db.session, job_id, current_user)
    if not file_available(job):
        return redirect(url_for("jobs.show", job_id=job.id))
    return storage.download(job.file)
