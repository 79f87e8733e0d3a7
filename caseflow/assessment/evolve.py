"""The age assessment's evolve steps: the request and its conclusion an event writes (live and in
replay) — and the part of the record compared with its history (status, appeal, range), read from
replayed rows and from ``age_assessments``; and what the statistics count of them (when each was
requested and concluded, appeal, consent, the minimum age)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from caseflow.assessment.age import settle_age
from caseflow.assessment.models import AgeAssessment
from caseflow.workflow import registry
from caseflow.workflow.fold import Happened, Projection, Rows, same


def _open_request(rows: Rows) -> AgeAssessment | None:
    return next((a for a in reversed(rows.of(AgeAssessment)) if a.status == "requested"), None)


@registry.evolves("request_assessment", touches=("assessments",))
def _request(rows: Rows, ev: Happened):
    p = ev.payload
    # an appeal says so in its details (its grounds are sealed); events from before: its payload
    appeal = bool(ev.details.get("appeal")) or "grounds" in p
    rows.add(AgeAssessment(case=rows.subject, case_id=rows.subject.id, status="requested", requested_at=ev.at,
                           requested_by_id=ev.actor_id, assessor_org_id=p.get("assessor_org_id"), is_appeal=appeal,
                           reason_for_doubt=p.get("reason_for_doubt") or p.get("grounds"),
                           appeal_grounds=p.get("grounds")))


@registry.evolves("conclude_assessment", touches=("assessments", "case"))
def _conclude(rows: Rows, ev: Happened):
    """The open request concluded as the assessor found; the age used follows (noted in the event)."""
    a, p, case = _open_request(rows), ev.payload, rows.subject
    if a is None:
        return
    a.status, a.assessor_id, a.concluded_at = "concluded", ev.actor_id, ev.at
    for key in ("consent", "consent_by", "guardian_present", "independence_declared", "min_age", "max_age",
                "findings", "explained_on"):
        if key in p:
            setattr(a, key, p[key])
    a.methods = ",".join(p.get("methods") or [])
    a.assessed_on = p.get("concluded_on") or (ev.at.date() if ev.at else None)
    a.appeal_deadline = ev.details.get("appeal_deadline")

    def age() -> dict:
        settled = settle_age(case, rows.of(AgeAssessment))
        return {"effective_age_at_encounter": settled.years, "age_basis": settled.basis}

    ev.settle(age)
    case.age_at_encounter = ev.details.get("effective_age_at_encounter", case.age_at_encounter)


def rows(session, ids: list[int]) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for a in session.execute(select(AgeAssessment.case_id, AgeAssessment.status, AgeAssessment.is_appeal,
                                    AgeAssessment.min_age, AgeAssessment.max_age)
                             .where(AgeAssessment.case_id.in_(ids)).order_by(AgeAssessment.id)):
        out[a.case_id].append([a.status, bool(a.is_appeal), a.min_age, a.max_age])
    return out


registry.projection(Projection("assessments", 30, list, rows, same("assessments"),
                               lambda rows: [[a.status, bool(a.is_appeal), a.min_age, a.max_age]
                                             for a in rows.of(AgeAssessment)]))


@registry.facts("assessments")
def facts(session, case) -> dict:
    rows = session.scalars(select(AgeAssessment).where(AgeAssessment.case_id == case.id).order_by(AgeAssessment.id))
    return {"assessments": [
        {"requested_at": a.requested_at, "appeal": bool(a.is_appeal), "concluded_at": a.concluded_at,
         "consent": a.consent, "min_age": a.min_age} for a in rows]}
