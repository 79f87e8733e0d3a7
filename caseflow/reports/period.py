"""The period report: what the Secretary-General's reports and a country task force count, for any
from–to range, disaggregated, as the records stood at an "as of" time, with small counts protected.

Definitions (the README's "Statistics" section says the same in words):

- a child's **detention** starts at ``custody_start`` (or the encounter, when custody was not dated)
  and ends at the first of: ``custody_end``, the handover, the case's closure;
- **newly detained**: detention started in the period; **released**: it ended in the period;
  **still detained at period end**: it started by then and had not ended;
- **handed over**: the handover's time is in the period; **within the time limit**: not late by the
  workflow's limit, measured to the second when it was recorded;
- **decisions**, **age assessments** (requested, appealed, concluded and the concluded age band):
  dated in the period;
- **length of detention**: start to end for those released in the period, start to period end for
  those still held; **encounter to decision**: for the joint-review decisions (defer aside) taken in
  the period. Median and 90th percentile by linear interpolation, in days.

Everything is read from ``case_facts`` rows valid at the "as of" time (see ``reports.models``): a
report for the first quarter made in July equals the one made on 1 April. No name is ever read.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import orjson
from flask_babel import lazy_gettext as _l
from sqlalchemy import Text, cast, or_, select

from caseflow import vocab
from caseflow.assessment.age import age_band
from caseflow.audit.digest import digest_at
from caseflow.audit.hashing import format_ts
from caseflow.reports.disclosure import Protected, perturb, protected_count, record_key
from caseflow.reports.later import later_changes
from caseflow.reports.models import CaseFacts
from caseflow.reports.remit import and_scope, remit_organisation
from caseflow.review.outcomes import VOTE_OUTCOMES

UNKNOWN = "unknown"

SEXES = {"male": _l("Boys"), "female": _l("Girls"), UNKNOWN: _l("Sex unknown")}
AGE_BANDS = {"under_15": _l("Under 15"), "15_17": _l("15–17"), "18_plus": _l("18 and over"),
             UNKNOWN: _l("Age unknown")}
NOT_RECORDED = _l("Not recorded")


@dataclass(frozen=True)
class Dimension:
    key: str
    label: object
    #: fact → code; ``labels`` names the codes of a closed list (free text is its own label)
    value: callable
    labels: dict | None = None

    def label_of(self, code: str) -> str:
        if code == UNKNOWN:
            return str(self.labels.get(UNKNOWN, NOT_RECORDED)) if self.labels else str(NOT_RECORDED)
        if self.labels is not None:
            return str(self.labels.get(code, code))
        return code


def _text(key):
    return lambda f: (f.get(key) or "").strip() or UNKNOWN


DIMENSIONS = {d.key: d for d in (
    Dimension("sex", _l("Sex"), lambda f: f.get("sex") if f.get("sex") in ("male", "female") else UNKNOWN, SEXES),
    Dimension("age_band", _l("Age at the encounter"), lambda f: age_band(f.get("age")), AGE_BANDS),
    Dimension("region", _l("Region"), _text("region")),
    Dimension("authority", _l("Detaining authority"), _text("authority")),
    Dimension("facility", _l("Facility type"), lambda f: f.get("facility") or UNKNOWN, vocab.FACILITY_TYPES),
    Dimension("charge", _l("Charge category"), lambda f: f.get("charge") or UNKNOWN, vocab.CHARGE_CATEGORIES),
    Dimension("nationality", _l("Nationality"), _text("nationality")),
)}

BANDS_ASSESSED = {"under_15": _l("Assessed under 15"), "15_17": _l("Assessed 15–17"),
                  "18_plus": _l("Assessed 18 or over"), "refused": _l("Assessment refused: treated as a child")}

#: the counted figures, in the order of every table
FIGURES = {
    "newly_detained": _l("Newly detained"),
    "released": _l("Released from detention"),
    "still_detained": _l("Still detained at period end"),
    "handovers": _l("Handed over to civilian child protection"),
    "handovers_in_time": _l("… of whom within the time limit"),
    **{f"decided_{code}": label for code, label in VOTE_OUTCOMES.items()},
    "assessment_requested": _l("Age assessments requested"),
    "assessment_appealed": _l("Appeals against an age assessment"),
    "assessment_concluded": _l("Age assessments concluded"),
    **{f"assessed_{code}": label for code, label in BANDS_ASSESSED.items()},
}
DECISION_PREFIX = _l("Decision")

DURATIONS = {
    "detention_released": _l("Length of detention, released in the period (days)"),
    "detention_held": _l("Length of detention so far, still held at period end (days)"),
    "encounter_to_decision": _l("Encounter to joint-review decision (days)"),
}
#: the monthly chart's series
MONTHLY = ("newly_detained", "released", "handovers")


def figure_label(key: str) -> str:
    if key.startswith("decided_"):
        return f"{DECISION_PREFIX}: {FIGURES[key]}"
    return str(FIGURES[key])


@dataclass
class Period:
    start: date
    end: date  # inclusive
    as_of: datetime
    by: tuple[str, ...] = ("sex", "age_band")

    @property
    def lower(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def upper(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)


def _days(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)) / timedelta(days=1)


@dataclass
class CaseCounts:
    """What one child adds to the figures, before grouping."""

    figures: list = field(default_factory=list)  # figure keys, once per count
    durations: list = field(default_factory=list)  # (duration key, days)
    months: list = field(default_factory=list)  # (series, "YYYY-MM")


def count_case(f: dict, lo: str, hi: str) -> CaseCounts:
    """``lo``/``hi``: the period's bounds as the facts write times (``format_ts``: fixed width, so the
    text compares as the time does; nothing is parsed unless a length is measured)."""
    out = CaseCounts()
    fig, dur, mon = out.figures, out.durations, out.months
    started = f.get("custody_start") or f.get("encounter_at")
    handover = f.get("handover") or {}
    handed = handover.get("at")
    ends = [t for t in (f.get("custody_end"), handed, f.get("closed_at")) if t]
    ended = min(ends) if ends else None
    if started:
        if lo <= started < hi:
            fig.append("newly_detained")
            mon.append(("newly_detained", started[:7]))
        if ended and lo <= ended < hi and ended >= started:
            fig.append("released")
            mon.append(("released", ended[:7]))
            dur.append(("detention_released", _days(ended, started)))
        if started < hi and (ended is None or ended >= hi):
            fig.append("still_detained")
            dur.append(("detention_held", _days(hi, started)))
    if handed and lo <= handed < hi:
        fig.append("handovers")
        mon.append(("handovers", handed[:7]))
        if not handover.get("late"):
            fig.append("handovers_in_time")
    decisions = f.get("decisions")
    if decisions:
        encounter = f.get("encounter_at")
        for outcome, at in decisions:
            if at and lo <= at < hi and f"decided_{outcome}" in FIGURES:
                fig.append(f"decided_{outcome}")
                if outcome != "defer" and encounter and at >= encounter:
                    dur.append(("encounter_to_decision", _days(at, encounter)))
    for a in f.get("assessments") or ():
        requested, concluded = a.get("requested_at"), a.get("concluded_at")
        if requested and lo <= requested < hi:
            fig.append("assessment_appealed" if a.get("appeal") else "assessment_requested")
        if concluded and lo <= concluded < hi:
            fig.append("assessment_concluded")
            band = "refused" if a.get("consent") == "refused" else age_band(a.get("min_age"))
            if band in BANDS_ASSESSED:
                fig.append(f"assessed_{band}")
    return out


# --- grouping ------------------------------------------------------------------------------------

@dataclass
class Tally:
    """Counts by (every dimension's code, figure); durations by the first ``by`` dimension. Beside
    each count, its cell key (the sum of the counted children's record keys, see ``disclosure``)."""

    cells: Counter = field(default_factory=Counter)
    keys: Counter = field(default_factory=Counter)
    durations: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    duration_keys: dict = field(default_factory=lambda: defaultdict(Counter))
    months: Counter = field(default_factory=Counter)
    month_keys: Counter = field(default_factory=Counter)
    children: int = 0
    children_key: int = 0
    #: per dimension, every code a case in the remit has, counted in the period or not: a table's
    #: columns do not appear or vanish with one child
    universe: list = field(default_factory=list)


#: the fact each dimension reads (its value is coded once per distinct combination, not per child)
DIMENSION_FACTS = ("sex", "age", "region", "authority", "facility", "charge", "nationality")


def tally(rows, p: Period, secret: bytes = b"") -> Tally:
    """``rows``: (case id, facts) of every case in the remit as of the report's time."""

    lo, hi = format_ts(p.lower), format_ts(p.upper)
    first = list(DIMENSIONS).index(p.by[0]) if p.by else None
    t = Tally()
    raw_cells: Counter = Counter()
    raw_keys: Counter = Counter()
    raw_durations: dict = defaultdict(list)
    raw_duration_keys: Counter = Counter()
    raws: set = set()
    coded: dict[tuple, tuple] = {}
    for case_id, f in rows:
        raw = tuple(map(f.get, DIMENSION_FACTS))
        raws.add(raw)
        c = count_case(f, lo, hi)
        if not c.figures and not c.durations:
            continue
        key = record_key(secret, case_id)
        t.children += 1
        t.children_key += key
        for figure in c.figures:
            raw_cells[(raw, figure)] += 1
            raw_keys[(raw, figure)] += key
        for name, days in c.durations:
            raw_durations[(name, raw)].append(days)
            raw_duration_keys[(name, raw)] += key
        for month in c.months:
            t.months[month] += 1
            t.month_keys[month] += key

    def code(raw: tuple) -> tuple:
        if raw not in coded:
            facts = dict(zip(DIMENSION_FACTS, raw, strict=True))
            coded[raw] = tuple(d.value(facts) for d in DIMENSIONS.values())
        return coded[raw]

    for (raw, figure), n in raw_cells.items():
        t.cells[(code(raw), figure)] += n
        t.keys[(code(raw), figure)] += raw_keys[(raw, figure)]
    for (name, raw), values in raw_durations.items():
        key = raw_duration_keys[(name, raw)]
        t.durations[name][None].extend(values)
        t.duration_keys[name][None] += key
        if first is not None:
            t.durations[name][code(raw)[first]].extend(values)
            t.duration_keys[name][code(raw)[first]] += key
    t.universe = [{code(raw)[i] for raw in raws} for i in range(len(DIMENSIONS))]
    return t


@dataclass
class Table:
    key: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list]]  # label, shown cells (a perturbed int, "<5", or a formatted figure)
    note: str = ""


def _dim_index(key: str) -> int:
    return list(DIMENSIONS).index(key)


def figures_by(t: Tally, dim_key: str | None, k: int) -> Table:
    """Every figure (rows) by one dimension's values (columns), with a total; each count perturbed
    by its cell key. The columns: every value of the dimension in the remit (not only the period's)."""
    totals, total_keys = Counter(), Counter()
    by_value: dict[str, Counter] = defaultdict(Counter)
    keys_by_value: dict[str, Counter] = defaultdict(Counter)
    i = _dim_index(dim_key) if dim_key else None
    for (key, figure), n in t.cells.items():
        totals[figure] += n
        total_keys[figure] += t.keys[(key, figure)]
        if i is not None:
            by_value[key[i]][figure] += n
            keys_by_value[key[i]][figure] += t.keys[(key, figure)]
    dim = DIMENSIONS[dim_key] if dim_key else None
    values = sorted(set(by_value) | t.universe[i] | _closed(dim), key=lambda v: _order(dim, v)) if dim else []
    rows = [[perturb(by_value[v][fig], keys_by_value[v][fig], k) for v in values]
            + [perturb(totals[fig], total_keys[fig], k)] for fig in FIGURES]
    cols = [dim.label_of(v) for v in values] + [str(_l("Total"))]
    title = str(_l("Figures by %(dimension)s", dimension=str(dim.label).lower())) if dim else str(_l("Figures"))
    return Table(f"by_{dim_key}" if dim_key else "summary", title, str(_l("Figure")), cols,
                 [(figure_label(fig), row) for fig, row in zip(FIGURES, rows, strict=True)])


def _order(dim: Dimension | None, value: str):
    if dim is not None and dim.labels is not None and value in dim.labels:
        return (0, list(dim.labels).index(value), "")
    return (1 if value != UNKNOWN else 2, 0, value)


def cross_table(t: Tally, figure: str, rows_dim: str, cols_dim: str, k: int) -> Table:
    """One figure by two dimensions at once, with row and column totals; each count perturbed."""
    ri, ci = _dim_index(rows_dim), _dim_index(cols_dim)
    counts: Counter = Counter()
    keys: Counter = Counter()
    for (key, fig), n in t.cells.items():
        if fig == figure:
            counts[(key[ri], key[ci])] += n
            keys[(key[ri], key[ci])] += t.keys[(key, fig)]
    rd, cd = DIMENSIONS[rows_dim], DIMENSIONS[cols_dim]
    rvals = sorted({r for r, _c in counts} | t.universe[ri] | _closed(rd), key=lambda v: _order(rd, v))
    cvals = sorted({c for _r, c in counts} | t.universe[ci] | _closed(cd), key=lambda v: _order(cd, v))

    def shown(cells: list[tuple]) -> object:
        return perturb(sum(counts[c] for c in cells), sum(keys[c] for c in cells), k)

    grid = [[shown([(r, c)]) for c in cvals] + [shown([(r, c) for c in cvals])] for r in rvals]
    grid.append([shown([(r, c) for r in rvals]) for c in cvals] + [shown(list(counts))])
    labels = [rd.label_of(r) for r in rvals] + [str(_l("Total"))]
    return Table(f"{figure}_by_{rows_dim}_{cols_dim}",
                 f"{figure_label(figure)} — {str(rd.label).lower()} × {str(cd.label).lower()}",
                 str(rd.label), [cd.label_of(c) for c in cvals] + [str(_l("Total"))],
                 list(zip(labels, grid, strict=True)))


def _closed(dim: Dimension | None) -> set[str]:
    """The codes of a closed list, shown even when nobody is in them (sex, age band)."""
    return set(dim.labels) if dim is not None and dim.key in ("sex", "age_band") else set()


def durations_table(t: Tally, p: Period, k: int) -> Table:
    first = DIMENSIONS[p.by[0]] if p.by else None
    cols = [str(_l("Children")), str(_l("Median")), str(_l("90th percentile")), str(_l("Longest"))]
    rows = []
    for name, label in DURATIONS.items():
        groups = t.durations.get(name, {})
        keys = [None] + (sorted((g for g in groups if g is not None), key=lambda v: _order(first, v)) if first else [])
        for g in keys:
            values = groups.get(g, [])
            row_label = str(label) if g is None else f"   {first.label_of(g)}"
            rows.append((row_label, describe(values, t.duration_keys[name][g], k)))
    return Table("durations", str(_l("Lengths of time")), str(_l("Measure")), cols, rows,
                 note=str(_l("Withheld where fewer than %(k)d children are measured.", k=k)) if k > 1 else "")


def describe(values: list[float], cell_key: int, k: int) -> list:
    """How many (perturbed as any count), the median, the 90th percentile and the longest; the
    measures are withheld where fewer than k children are measured."""
    n = len(values)
    shown = perturb(n, cell_key, k)
    if n == 0 or isinstance(shown, Protected):
        return [shown, None, None, None]
    ordered = sorted(values)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[-1] if n > 1 else ordered[0]
    return [shown, round(statistics.median(ordered), 1), round(p90, 1), round(ordered[-1], 1)]


def months_of(p: Period) -> list[str]:
    out, y, m = [], p.start.year, p.start.month
    while (y, m) <= (p.end.year, p.end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_table(t: Tally, p: Period, k: int) -> Table:
    months = months_of(p)
    rows = [[perturb(t.months[(s, m)], t.month_keys[(s, m)], k) for m in months]
            + [perturb(sum(t.months[(s, m)] for m in months), sum(t.month_keys[(s, m)] for m in months), k)]
            for s in MONTHLY]
    return Table("monthly", str(_l("By month")), str(_l("Figure")), months + [str(_l("Total"))],
                 [(figure_label(s), row) for s, row in zip(MONTHLY, rows, strict=True)])


# --- the report ----------------------------------------------------------------------------------

@dataclass
class PeriodReport:
    period: Period
    tables: list[Table]
    children: int
    min_cell: int
    digest: str
    later_changes: list[dict]
    later_changes_total: int
    scope: str
    #: the children counted, as shown (perturbed like every count)
    children_shown: object = None


def facts_as_of(session, at: datetime, user):
    """The facts of every case in the user's remit as they stood at ``at``."""
    stmt = select(CaseFacts.case_id, cast(CaseFacts.facts, Text)).where(
        CaseFacts.valid_from <= at, or_(CaseFacts.valid_to.is_(None), CaseFacts.valid_to > at))
    stmt = and_scope(stmt, user)
    # read as text and parsed by orjson: several times faster than the JSON type's standard library
    # at 100,000 rows (the facts hold no integer beyond 64 bits, which orjson would read as a float)
    rows = session.connection().execute(stmt.execution_options(yield_per=5000))
    return ((case_id, orjson.loads(text)) for case_id, text in rows)


def build(session, p: Period, user, *, min_cell: int) -> PeriodReport:
    from flask import current_app

    t = tally(facts_as_of(session, p.as_of, user), p, record_secret(current_app.config["SECRET_KEY"]))
    tables = [figures_by(t, None, min_cell), *(figures_by(t, d, min_cell) for d in DIMENSIONS)]
    if len(p.by) == 2:
        tables += [cross_table(t, fig, p.by[0], p.by[1], min_cell) for fig in
                   ("newly_detained", "released", "still_detained", "handovers")]
    tables += [durations_table(t, p, min_cell), monthly_table(t, p, min_cell)]
    changes, total = later_changes(session, p, user)
    org = remit_organisation(user)
    return PeriodReport(period=p, tables=tables, children=t.children, min_cell=min_cell,
                        children_shown=protected_count(t.children, t.children_key, min_cell),
                        digest=digest_at(session, p.as_of, from_heads=True, v2=False).token, later_changes=changes,
                        later_changes_total=total, scope="all" if org is None else f"organisation:{org}")


def record_secret(secret_key: str | bytes) -> bytes:
    """The secret the record keys are drawn with, derived from the app's secret key (a rotated
    SECRET_KEY draws new record keys: figures made before and after are then perturbed apart)."""
    import hashlib

    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hashlib.sha256(b"caseflow-cell-key-secret-v1:" + raw).digest()


def as_dict(report: PeriodReport) -> dict:
    """The report as JSON: withheld cells as their shown text (``<5``)."""
    p = report.period

    def shown(v):
        return v if v is None or isinstance(v, int | float) else str(v)

    return {
        "from": p.start.isoformat(), "to": p.end.isoformat(), "as_of": p.as_of.isoformat(), "by": list(p.by),
        "digest": report.digest, "min_cell": report.min_cell, "scope": report.scope,
        "children": shown(report.children_shown),
        "tables": [{"key": t.key, "title": t.title, "row_header": t.row_header, "columns": t.columns,
                    "rows": [{"label": label.strip(), "values": [shown(v) for v in values]}
                             for label, values in t.rows],
                    "note": t.note} for t in report.tables],
        "later_changes": [dict(c, recorded_at=c["recorded_at"].isoformat()) for c in report.later_changes],
        "later_changes_total": report.later_changes_total,
    }
