"""A period report as an Excel workbook (one sheet per table, native charts, an About sheet) and as CSV.

Written with XlsxWriter through ``SafeWorkbook``, like every workbook Caseflow writes: text cells are
always strings, never formulas; its charts are native Excel charts (``add_chart``), which LibreOffice
opens too. A withheld count is the text ``<5``, never a number.
"""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l

from caseflow.reports.disclosure import Protected
from caseflow.reports.period import PeriodReport
from caseflow.spreadsheet import SafeWorkbook

RULE = _l("Counts are perturbed by the cell-key method: each is the true count changed by at most 2, the same "
          "change every time the same children are counted, in every table and report. Counts from 0 to %(k1)d, "
          "and any count the change takes below %(k)d, are shown as “<%(k)d”; totals are perturbed on their own, "
          "so cells do not add up exactly. Lengths of time are withheld where fewer than %(k)d children are "
          "measured.")
NO_RULE = _l("Disclosure control is off for this report: it must not be shared.")


def cell(value):
    if isinstance(value, Protected):
        return str(value)
    return value


def about_rows(report: PeriodReport, made_by: str, made_at) -> list[tuple[str, str]]:
    p = report.period
    k = report.min_cell
    return [
        (str(_l("Report")), str(_l("Period report"))),
        (str(_l("From")), p.start.isoformat()),
        (str(_l("To (inclusive)")), p.end.isoformat()),
        (str(_l("As of")), p.as_of.isoformat()),
        (str(_l("Audit digest at that time")), report.digest),
        (str(_l("Disaggregated by")), ", ".join(p.by) or "—"),
        (str(_l("Children counted")), cell(report.children_shown)),
        (str(_l("Disclosure control")), str(RULE % {"k": k, "k1": k - 1}) if k > 1 else str(NO_RULE)),
        (str(_l("Later changes")), str(_l("%(n)d changes recorded after the “as of” time would change these "
                                          "figures: see the sheet “Later changes”.", n=report.later_changes_total))),
        (str(_l("Made by")), made_by),
        (str(_l("Made at")), made_at.isoformat()),
        (str(_l("Definitions")), str(_l("Detention runs from the start of custody (or the encounter) to the "
                                        "first of: end of custody, handover, closure. Figures are computed "
                                        "from the records as they stood at the “as of” time."))),
    ]


def write_xlsx(report: PeriodReport, target, *, made_by: str, made_at) -> None:
    book = SafeWorkbook(target)
    about = book.sheet(str(_l("About")), [str(_l("Item")), str(_l("Value"))], [28, 110])
    for row in about_rows(report, made_by, made_at):
        about.append(row)
    placed = {}
    for n, table in enumerate(report.tables, start=1):
        sheet = book.sheet(f"{n:02d} {table.title}"[:31], [table.row_header, *table.columns],
                           [44] + [14] * len(table.columns))
        for label, values in table.rows:
            sheet.append([label, *(cell(v) for v in values)])
        if table.note:
            sheet.append([table.note])
        placed[table.key] = (sheet, table)
    later = book.sheet(str(_l("Later changes")), [str(_l("Case")), str(_l("Recorded at")), str(_l("Change")),
                                                 str(_l("Facts changed"))], [16, 20, 40, 60])
    for c in report.later_changes:
        later.append([c["case"], c["recorded_at"], c["action"], ", ".join(c["facts"])])
    _charts(book, placed)
    book.save()


def _charts(book: SafeWorkbook, placed: dict) -> None:
    if "monthly" in placed:
        sheet, table = placed["monthly"]
        chart = book.wb.add_chart({"type": "column"})
        months = len(table.columns) - 1
        for i, (label, _values) in enumerate(table.rows, start=1):
            chart.add_series({"name": label, "categories": [sheet.ws.name, 0, 1, 0, months],
                              "values": [sheet.ws.name, i, 1, i, months]})
        chart.set_title({"name": table.title})
        sheet.ws.insert_chart(len(table.rows) + 3, 1, chart, {"x_scale": 1.6, "y_scale": 1.2})
    cross = next((key for key in placed if key.startswith("newly_detained_by_")), None)
    if cross:
        sheet, table = placed[cross]
        chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
        rows, cols = len(table.rows) - 1, len(table.columns) - 1
        for c in range(1, cols + 1):
            chart.add_series({"name": [sheet.ws.name, 0, c], "categories": [sheet.ws.name, 1, 0, rows, 0],
                              "values": [sheet.ws.name, 1, c, rows, c]})
        chart.set_title({"name": table.title})
        sheet.ws.insert_chart(rows + 4, 1, chart, {"x_scale": 1.6, "y_scale": 1.2})


def write_csv(report: PeriodReport) -> str:
    """Long form, one figure per line: table, row, column, value (``<5`` where withheld)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    p = report.period
    w.writerow(["table", "row", "column", "value", "from", "to", "as_of", "digest"])
    for table in report.tables:
        for label, values in table.rows:
            for column, value in zip(table.columns, values, strict=True):
                w.writerow([_safe(table.key), _safe(label.strip()), _safe(column), "" if value is None else cell(value),
                            p.start.isoformat(), p.end.isoformat(), p.as_of.isoformat(), report.digest])
    return out.getvalue()


def _safe(text: str) -> str:
    """A label as CSV text a spreadsheet will not run: a leading =, +, - or @ gets a quote mark."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
