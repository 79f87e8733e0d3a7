"""A workflow's own figures, as its file declares them (``figures``): per value of one of its fields
(a screening campaign), how many cases ever entered each figure's states or took its actions; and
the same figures by sex and by age band. Read from the audit events (what a case went through, not
only where it is now), within the user's remit. Every count is perturbed by the cell-key method, as
the period statistics' are (``reports.disclosure``): a campaign's girls under 15 are never a number
that one more report could turn into a name."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from caseflow.assessment.age import age_band
from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.cases.scope import visible_to
from caseflow.reports.disclosure import perturb, record_key
from caseflow.reports.period import AGE_BANDS, SEXES, UNKNOWN, record_secret


@dataclass
class FigureTable:
    workflow: object
    groups: list[str]
    counts: dict[str, dict[str, object]] = field(default_factory=dict)  # group -> figure -> shown count
    totals: dict[str, object] = field(default_factory=dict)
    #: (heading, [(label, {figure: shown count})]): by sex, by age band
    breakdowns: list = field(default_factory=list)


class _Cells:
    """Counts and their cell keys, shown perturbed."""

    def __init__(self, k: int):
        self.k, self.n, self.key = k, Counter(), Counter()

    def add(self, cell, record: int) -> None:
        self.n[cell] += 1
        self.key[cell] += record

    def shown(self, cell):
        return perturb(self.n[cell], self.key[cell], self.k)


def workflow_figures(session, wf, user, k: int | None = None) -> FigureTable:
    k = int(current_app.config["REPORT_MIN_CELL"]) if k is None else k
    secret = record_secret(current_app.config["SECRET_KEY"])
    rows = session.execute(select(Case.id, Case.workflow_fields, Case.sex, Case.age_at_encounter)
                           .where(Case.workflow == wf.name, visible_to(user))).all()
    went: dict[int, set[str]] = defaultdict(set)
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for cid, state, action in session.execute(select(AuditEvent.case_id, AuditEvent.to_state, AuditEvent.action)
                                                  .distinct().where(AuditEvent.case_id.in_(chunk))):
            went[cid].update((f"state:{state}", f"action:{action}"))
    cells = _Cells(k)
    groups: set[str] = set()
    for cid, fields, sex, age in rows:
        group = (fields or {}).get(wf.figures_by) if wf.figures_by else None
        group = str(group) if group is not None else ""
        groups.add(group)
        record = record_key(secret, cid)
        band = age_band(age)
        for name, fig in wf.figures.items():
            if went[cid] & ({f"state:{s}" for s in fig.entered} | {f"action:{a}" for a in fig.done}):
                for cell in (("group", group), ("total", None), ("sex", sex or UNKNOWN), ("age", band)):
                    cells.add((*cell, name), record)
    table = FigureTable(wf, sorted(groups))
    table.counts = {g: {name: cells.shown(("group", g, name)) for name in wf.figures} for g in table.groups}
    table.totals = {name: cells.shown(("total", None, name)) for name in wf.figures}
    table.breakdowns = [
        ("sex", [(str(lbl), {name: cells.shown(("sex", code, name)) for name in wf.figures})
                 for code, lbl in SEXES.items()]),
        ("age_band", [(str(lbl), {name: cells.shown(("age", code, name)) for name in wf.figures})
                      for code, lbl in AGE_BANDS.items()]),
    ]
    return table
