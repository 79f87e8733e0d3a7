"""Making a period report: who may, what is recorded. One path for the page, the API and the CLI."""

from __future__ import annotations

from flask import current_app

from caseflow.audit.hashing import plain
from caseflow.audit.log import record
from caseflow.reports.period import PeriodReport, build
from caseflow.reports.remit import remit_organisation
from caseflow.reports.schemas import load_period


def make_period_report(session, args, user, *, output: str) -> PeriodReport:
    """Check the asker, validate the period, compute it as of its time, and record that it was made
    (period, as of, dimensions, output, scope and the digest it rests on: never a figure)."""
    remit_organisation(user)
    period = load_period(args)
    report = build(session, period, user, min_cell=int(current_app.config["REPORT_MIN_CELL"]))
    record(session, "report_made", actor=user, details=plain({
        "report": "period", "from": period.start, "to": period.end, "as_of": period.as_of,
        "by": list(period.by), "output": output, "scope": report.scope, "digest": report.digest,
        "min_cell": report.min_cell}))
    return report
