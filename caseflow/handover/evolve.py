"""The handovers' part of a case's record as its events make it (when each took place) — and the
same read from ``handovers``; and what the statistics count of it (when, the time since the
encounter, late or not)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from caseflow.audit.hashing import format_ts
from caseflow.handover.models import Handover
from caseflow.workflow import registry
from caseflow.workflow.fold import Projection, Record, same


@registry.evolves("record_handover")
def _handover(x: Record, ev, payload, details, _effect):
    at = payload.get("handed_over_at")
    x.part("handovers").append(at if isinstance(at, str) or at is None else format_ts(at))


def rows(session, ids: list[int]) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for case_id, at in session.execute(select(Handover.case_id, Handover.handed_over_at)
                                       .where(Handover.case_id.in_(ids)).order_by(Handover.id)):
        out[case_id].append(format_ts(at))
    return out


registry.projection(Projection("handovers", 40, list, rows, same("handovers")))


@registry.facts("handover")
def facts(session, case) -> dict:
    h = Handover.latest(session, case.id)
    return {"handover": None if h is None else
            {"at": h.handed_over_at, "elapsed_seconds": h.elapsed_seconds, "late": bool(h.late)}}
