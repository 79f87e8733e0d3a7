"""Operators' commands for the Secretary-General's statistics."""

from __future__ import annotations

import click

from caseflow.auth.commands import user_by_email
from caseflow.commands import CommandGroup, in_transaction
from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.reports.facts import backfill
from caseflow.reports.operations import make_period_report
from caseflow.reports.workbook import write_csv, write_xlsx

report_cli = CommandGroup("report", help="Statistics for the Secretary-General's reports.")


@report_cli.command("period")
@click.option("--from", "date_from", required=True, help="first day (YYYY-MM-DD)")
@click.option("--to", "date_to", required=True, help="last day, inclusive (YYYY-MM-DD)")
@click.option("--as-of", "as_of", help="the records as they stood then (ISO 8601, UTC; default: now)")
@click.option("--by", default="sex,age_band", show_default=True, help="one or two dimensions")
@click.option("--as", "as_email", required=True, help="the auditor, reviewer or partner making it")
@click.option("--lang", default="en", type=click.Choice(["en", "fr"]), show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="FILE.xlsx, or FILE.csv for statisticians")
@in_transaction
def report_period(date_from, date_to, as_of, by, as_email, lang, output):
    """Write the period report (recorded like one made on the page)."""
    from flask_babel import force_locale

    user = user_by_email(as_email)
    fmt = "csv" if output.lower().endswith(".csv") else "xlsx"
    args = {"from": date_from, "to": date_to, "by": by} | ({"as_of": as_of} if as_of else {})
    with force_locale(lang):
        report = make_period_report(db.session, args, user, output=fmt)
        if fmt == "csv":
            with open(output, "w", encoding="utf-8", newline="") as fh:
                fh.write(write_csv(report))
        else:
            write_xlsx(report, output, made_by=user.full_name, made_at=utcnow())
    click.echo(f"wrote {output}: {report.children} children counted, as of {report.period.as_of.isoformat()}, "
               f"digest {report.digest}")


@report_cli.command("backfill-facts")
@in_transaction
def report_backfill_facts():
    """File the statistical facts of cases registered before they were kept (once, after migration
    0012); each gets a `facts_recorded` event. Safe to run twice."""

    click.echo(f"facts filed for {backfill(db.session)} cases")
