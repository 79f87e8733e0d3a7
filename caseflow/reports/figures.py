"""A workflow's own figures, as its file declares them (``figures``): per value of one of its fields
(a screening campaign), how many cases ever entered each figure's states. Read from the audit
events (what a case went through, not only where it is now), within the user's remit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.cases.scope import visible_to


@dataclass
class FigureTable:
    workflow: object
    groups: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # group -> figure -> cases
    totals: dict[str, int] = field(default_factory=dict)


def workflow_figures(session, wf, user) -> FigureTable:
    cases = {cid: (fields or {}).get(wf.figures_by) if wf.figures_by else None
             for cid, fields in session.execute(select(Case.id, Case.workflow_fields)
                                                .where(Case.workflow == wf.name, visible_to(user)))}
    entered: dict[int, set[str]] = defaultdict(set)
    if cases:
        ids = list(cases)
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            for cid, state in session.execute(select(AuditEvent.case_id, AuditEvent.to_state).distinct()
                                              .where(AuditEvent.case_id.in_(chunk))):
                entered[cid].add(state)
    table = FigureTable(wf, [])
    for cid, group in cases.items():
        key = str(group) if group is not None else ""
        row = table.counts.setdefault(key, {name: 0 for name in wf.figures})
        for name, fig in wf.figures.items():
            if entered[cid] & set(fig.entered):
                row[name] += 1
    table.groups = sorted(table.counts)
    table.totals = {name: sum(row[name] for row in table.counts.values()) for name in wf.figures}
    return table
