"""The reminders page: newest first, each linked to its case; marking them read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from caseflow.cases.models import Case
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
    mark_read(db.session, current_user, parse_id(request.form.get("id")) if request.form.get("id") else None)
    return redirect(url_for("notifications.index"))
