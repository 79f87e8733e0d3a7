"""The auditor's integrity page: the latest signed tree head (read, never computed under a lock),
publishing one now, the witnesses' last confirmations, and full verification."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from caseflow.audit.digest import check_against
from caseflow.audit.heads import SignedHead
from caseflow.audit.publish import NoSigningKey, latest_head, publish, witness_summary
from caseflow.audit.verify import verify_at_one_moment
from caseflow.errors import ValidationFailed
from caseflow.extensions import db
from caseflow.jobs.operations import enqueue, start
from caseflow.policy import requires
from caseflow.web import after_commit

bp = Blueprint("audit", __name__, url_prefix="/audit")


class VerifyForm(FlaskForm):
    against = StringField(validators=[Optional(), Length(max=250)])


@bp.route("/", methods=["GET", "POST"])
@requires("verify_audit")
def index():
    form = VerifyForm()
    report = against = None
    if request.method == "POST" and form.validate_on_submit():
        report = verify_at_one_moment()
        if form.against.data:
            try:
                ok, then, expected = check_against(db.session, form.against.data)
                against = {"ok": ok, "at": then.at, "error": None}
            except ValueError as exc:
                against = {"ok": False, "at": None, "error": str(exc)}
    row = latest_head(db.session)
    return render_template("audit/index.html", head=SignedHead.of(row) if row else None, report=report,
                           against=against, form=form, witnesses=witness_summary(db.session))


@bp.route("/publish", methods=["POST"])
@requires("verify_audit")
def publish_now():
    """Sign a tree head now (the schedule does it every five minutes)."""
    from flask import flash
    from flask_babel import gettext as _

    if not VerifyForm().validate_on_submit():
        raise ValidationFailed(_("The form expired; please reload the page."))
    try:
        pub = publish(db.session)
    except NoSigningKey as exc:
        raise ValidationFailed(str(exc)) from None
    if pub.held_back:
        flash(_("%(n)d cases' new events were held back from the log: their chains do not verify. Run a full "
                "verification.", n=len(pub.held_back)), "error")
    else:
        flash(_("Signed tree head published: %(n)d events in the log.", n=pub.head.tree_size), "success")
    return redirect(url_for("audit.index"))


@bp.route("/verify-job", methods=["POST"])
@requires("verify_audit")
def verify_job():
    """The whole database verified by a worker (a large database outlasts a request); its page shows
    the verdict, and the check is recorded."""
    from flask_babel import gettext as _

    if not VerifyForm().validate_on_submit():
        raise ValidationFailed(_("The form expired; please reload the page."))
    job = start(db.session, "verify", current_user, {})
    after_commit(lambda: enqueue(job.id))
    return redirect(url_for("jobs.show", job_id=job.id))
