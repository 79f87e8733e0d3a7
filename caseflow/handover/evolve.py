"""The handover's evolve steps: the handover an event writes, as it was measured (live and in
replay) — and the part of the record compared with its history (when each took place), read from
replayed rows and from ``handovers``; and what the statistics count of it (when, the time since the
encounter, late or not)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from caseflow.audit.hashing import format_ts
from caseflow.handover.models import Handover
from caseflow.workflow import registry
from caseflow.workflow.fold import Happened, Projection, Rows, fields_of, same


def latest(rows: Rows) -> Handover | None:
    handovers = rows.of(Handover)
    return handovers[-1] if handovers else None


@registry.evolves("record_handover", touches=("handover", "case"))
def _handover(rows: Rows, ev: Happened):
    """The handover as it was measured when recorded; the custody ends with it (the first one)."""
    case, d = rows.subject, ev.details
    h = rows.add(Handover(case=case, case_id=case.id, receiving_org_id=case.receiving_org_id,
                          recorded_by_id=ev.actor_id, recorded_at=ev.at, **fields_of(Handover, ev.payload)))
    h.elapsed_seconds, h.hours_since_encounter, h.late = (d.get("elapsed_seconds"), d.get("hours_since_encounter"),
                                                          bool(d.get("late")))
    case.custody_end = case.custody_end or ev.payload.get("handed_over_at")


@registry.evolves("remeasure_handover", touches=("handover",))
def _remeasure(rows: Rows, ev: Happened):
    changed, h = ev.details.get("handover"), latest(rows)
    if changed and h is not None:
        h.elapsed_seconds, h.late = changed["elapsed_seconds"][1], changed["late"][1]
        h.hours_since_encounter = None if h.elapsed_seconds is None else h.elapsed_seconds // 3600


def _at(value) -> str | None:
    return value if isinstance(value, str) or value is None else format_ts(value)


def rows(session, ids: list[int]) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for case_id, at in session.execute(select(Handover.case_id, Handover.handed_over_at)
                                       .where(Handover.case_id.in_(ids)).order_by(Handover.id)):
        out[case_id].append(format_ts(at))
    return out


registry.projection(Projection("handovers", 40, list, rows, same("handovers"),
                               lambda rows: [_at(h.handed_over_at) for h in rows.of(Handover)]))


@registry.facts("handover")
def facts(session, case) -> dict:
    h = Handover.latest(session, case.id)
    return {"handover": None if h is None else
            {"at": h.handed_over_at, "elapsed_seconds": h.elapsed_seconds, "late": bool(h.late)}}
