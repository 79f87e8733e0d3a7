"""The age assessments' part of a case's record as its events make it (status, appeal, range) —
and the same read from ``age_assessments``; and what the statistics count of them (when each was
requested and concluded, appeal, consent, the minimum age)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from caseflow.assessment.models import AgeAssessment
from caseflow.workflow import registry
from caseflow.workflow.fold import Projection, Record, same


@registry.evolves("request_assessment")
def _request(x: Record, ev, payload, details, _effect):
    # an appeal says so in its details (its grounds are sealed); events from before: its payload
    x.part("assessments").append(["requested", bool(details.get("appeal")) or "grounds" in payload, None, None])


@registry.evolves("conclude_assessment")
def _conclude(x: Record, ev, payload, details, _effect):
    open_ = next((a for a in reversed(x.part("assessments")) if a[0] == "requested"), None)
    if open_ is not None:
        open_[0], open_[2], open_[3] = "concluded", payload.get("min_age"), payload.get("max_age")


def rows(session, ids: list[int]) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for a in session.execute(select(AgeAssessment.case_id, AgeAssessment.status, AgeAssessment.is_appeal,
                                    AgeAssessment.min_age, AgeAssessment.max_age)
                             .where(AgeAssessment.case_id.in_(ids)).order_by(AgeAssessment.id)):
        out[a.case_id].append([a.status, bool(a.is_appeal), a.min_age, a.max_age])
    return out


registry.projection(Projection("assessments", 30, list, rows, same("assessments")))


@registry.facts("assessments")
def facts(session, case) -> dict:
    rows = session.scalars(select(AgeAssessment).where(AgeAssessment.case_id == case.id).order_by(AgeAssessment.id))
    return {"assessments": [
        {"requested_at": a.requested_at, "appeal": bool(a.is_appeal), "concluded_at": a.concluded_at,
         "consent": a.consent, "min_age": a.min_age} for a in rows]}
