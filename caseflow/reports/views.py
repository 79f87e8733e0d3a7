"""The dashboard: what waits for me, counts by state, overdue clocks."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from caseflow.cases.queries import counts_by_state, overdue_clocks
from caseflow.extensions import db
from caseflow.reports.charts import cases_by_state_chart, handover_chart
from caseflow.reports.queries import waiting_for
from caseflow.workflow.engine import current_language, get_workflow

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
    counts = counts_by_state(db.session, current_user)
    lang = current_language()
    limit = wf.settings["handover_time_limit_hours"]
    return render_template(
        "reports/dashboard.html",
        wf=wf,
        counts=counts,
        waiting=waiting_for(db.session, current_user),
        overdue=overdue_clocks(db.session, current_user),
        state_chart=Markup(cases_by_state_chart(wf, counts, lang, _("Cases by state"))),  # noqa: S704 - escaped
        handover_chart=Markup(handover_chart(  # noqa: S704 - escaped
            db.session, current_user, limit, _("Hours from encounter to handover (limit: %(h)d h)", h=limit))),
        limit=limit,
    )
