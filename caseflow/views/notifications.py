"""The reminders page: newest first, each linked to its case; marking them read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from caseflow.cases.models import Case
from caseflow.errors import NotFound
from caseflow.extensions import db
from caseflow.notifications.models import Notification
from caseflow.notifications.operations import describe, mark_read
from caseflow.schemas import parse_id

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    rows = db.session.execute(select(Notification, Case).join(Case, Case.id == Notification.case_id)
                              .where(Notification.user_id == current_user.id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(200)).all()
    items = [{"n": n, "case": case, "text": describe(n, case)} for n, case in rows]
    return render_template("notifications/index.html", items=items)


@bp.route("/read", methods=["POST"])
@login_required
def read():
    """One reminder (``id``) or, without one, all of them. A bad id marks nothing: never "all" by mistake."""
    raw = request.form.get("id")
    if raw is not None:
        notification_id = parse_id(raw)
        if notification_id is None:
            raise NotFound(_("No such reminder."))
        mark_read(db.session, current_user, notification_id)
    else:
        mark_read(db.session, current_user)
    return redirect(url_for("notifications.index"))
