"""The dashboard: what waits for me, counts by state, overdue clocks."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from caseflow.cases.queries import counts_by_state, overdue_clocks
from caseflow.db import utcnow
from caseflow.errors import ValidationFailed
from caseflow.extensions import db
from caseflow.i18n import current_language
from caseflow.policy import may
from caseflow.reports.charts import cases_by_state_chart, column_chart, handover_chart, stacked_chart
from caseflow.reports.operations import make_period_report
from caseflow.reports.period import DIMENSIONS
from caseflow.reports.queries import waiting_for
from caseflow.reports.remit import remit_organisation
from caseflow.reports.schemas import default_period
from caseflow.reports.workbook import about_rows, write_csv, write_xlsx
from caseflow.web import writes
from caseflow.workflow.engine import get_workflow, workflows

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
    if not may(current_user, "see_case_lists"):
        return render_template("reports/dashboard.html", wf=wf, counts={}, waiting=[], overdue=[])
    by_workflow = counts_by_state(db.session, current_user)
    counts = by_workflow.get(wf.name, {})
    lang = current_language()
    limit = wf.settings["handover_time_limit_hours"]
    return render_template(
        "reports/dashboard.html",
        wf=wf,
        counts=counts,
        by_workflow=by_workflow,
        all_workflows=workflows(),
        waiting=waiting_for(db.session, current_user),
        overdue=overdue_clocks(db.session, current_user),
        state_chart=Markup(cases_by_state_chart(  # noqa: S704 - escaped
            wf, counts, lang, _("Cases by state"),
            link=lambda state: url_for("cases.index", workflow=wf.name, state=state))),
        handover_chart=Markup(handover_chart(  # noqa: S704 - escaped
            db.session, current_user, limit, _("Hours from encounter to handover (limit: %(h)d h)", h=limit))),
        limit=limit,
    )


@bp.route("/reports/period")
@login_required
@writes
def period():
    """The period report: the form; with a period, its tables and charts (or the workbook, or CSV)."""

    remit_organisation(current_user)
    args = request.args
    values = dict(args) if "from" in args else default_period()
    dims = {k: str(d.label) for k, d in DIMENSIONS.items()}
    if "from" not in args:
        return render_template("reports/period.html", values=values, dims=dims, errors={}, report=None)
    fmt = args.get("format", "html")
    if fmt not in ("html", "xlsx", "csv"):
        fmt = "html"
    try:
        report = make_period_report(db.session, args, current_user, output=fmt)
    except ValidationFailed as exc:
        db.rollback()
        return render_template("reports/period.html", values=values, dims=dims, errors=exc.errors,
                               report=None), 422
    name = f"period-{report.period.start.isoformat()}-{report.period.end.isoformat()}"
    if fmt == "csv":
        return Response(write_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        import io

        buf = io.BytesIO()
        write_xlsx(report, buf, made_by=current_user.full_name, made_at=utcnow())
        return Response(buf.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return render_template("reports/period.html", values=values, dims=dims, errors={}, report=report,
                           about=about_rows(report, current_user.full_name, utcnow()), charts=period_charts(report))


def period_charts(report) -> dict:
    tables = {t.key: t for t in report.tables}
    out = {}
    monthly = tables.get("monthly")
    if monthly:
        out["monthly"] = Markup(column_chart(  # noqa: S704 - escaped
            monthly.title, monthly.columns[:-1], [(label, values[:-1]) for label, values in monthly.rows]))
    cross = next((t for key, t in tables.items() if key.startswith("newly_detained_by_")), None)
    if cross:
        out["stacked"] = Markup(stacked_chart(  # noqa: S704 - escaped
            cross.title, [(label, values[:-1], values[-1]) for label, values in cross.rows[:-1]], cross.columns[:-1]))
    return out
