"""The dashboard: what waits for me, counts by state, overdue clocks."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from caseflow.cases.queries import counts_by_state, overdue_clocks
from caseflow.extensions import db
from caseflow.reports.queries import waiting_for
from caseflow.workflow.engine import get_workflow

bp = Blueprint("reports", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("reports.dashboard"))


@bp.route("/dashboard")
@login_required
def dashboard():
    from flask import current_app

    wf = get_workflow(current_app.config["DEFAULT_WORKFLOW"])
    if current_user.role == "admin":
        return render_template("reports/dashboard.html", wf=wf, counts={}, waiting=[], overdue=[])
    return render_template(
        "reports/dashboard.html",
        wf=wf,
        counts=counts_by_state(db.session, current_user),
        waiting=waiting_for(db.session, current_user),
        overdue=overdue_clocks(db.session, current_user),
    )
