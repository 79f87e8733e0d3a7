"""Small drivers that take a case along the workflow through the real engine."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.auth.models import Organisation
from caseflow.db import utcnow
from caseflow.workflow.engine import fire

REVIEWERS = ("reviewer.justice", "reviewer.family", "reviewer.un")
PARTNER_ORG = "Enfance Solidaire Mali"
ASSESSOR_ORG = "Independent age assessors' panel"


def org_id(session, name: str) -> int:
    return session.scalar(select(Organisation.id).where(Organisation.name == name))


def event_count(session, chain: str | None = None) -> int:
    stmt = select(func.count()).select_from(AuditEvent)
    if chain:
        stmt = stmt.where(AuditEvent.chain == chain)
    return session.scalar(stmt)


def vote(session, case, users, outcome="release", who=REVIEWERS, category="support_tasks"):
    for name in who:
        fire(session, case, "cast_vote", users[name],
             {"outcome": outcome, "offence_category": category, "reasons": f"{name} votes {outcome}"})


def submit(session, case, users):
    fire(session, case, "submit_for_review", users["registrar"], {})


def release(session, case, users, receiving=PARTNER_ORG):
    vote(session, case, users, "release")
    fire(session, case, "decide_release", users["reviewer.un"],
         {"reasons": "Release and hand over", "offence_category": "support_tasks",
          "receiving_org_id": org_id(session, receiving)})


def request_assessment(session, case, users, who="registrar"):
    fire(session, case, "request_assessment", users[who],
         {"reason_for_doubt": "Documents disagree with the claimed age and the child looks older.",
          "assessor_org_id": org_id(session, ASSESSOR_ORG)})


def assessment_result(min_age=16, max_age=19, consent="given", explained_on=None, **extra) -> dict:
    data = {"consent": consent, "consent_by": "the child, with an uncle", "guardian_present": True,
            "independence_declared": True, "explained_on": (explained_on or clock.today()).isoformat()}
    if consent == "given":
        data.update({"methods": ["documents", "interview"], "min_age": min_age, "max_age": max_age})
    data.update(extra)
    return data


def divert(session, case, users, receiving=PARTNER_ORG):
    """The mechanism votes diversion and decides it, with both consents, to ``receiving``."""
    vote(session, case, users, "diversion")
    fire(session, case, "decide_diversion", users["reviewer.un"], {
        "reasons": "Restorative measure", "offence_category": "other_offence",
        "receiving_org_id": org_id(session, receiving), "child_consent": True, "guardian_consent": True,
        "consent_notes": "Both agreed"})


def handover(session, case, users, hours_after_encounter: int | None = None):
    at = (case.encounter_at + timedelta(hours=hours_after_encounter)) if hours_after_encounter is not None \
        else utcnow() - timedelta(minutes=5)
    fire(session, case, "record_handover", users["partner"], {
        "handing_officer": "Capt. Diallo", "handing_unit": "Gendarmerie", "receiving_person": "S. Camara",
        "handed_over_at": at.isoformat(), "place": "Transit centre", "child_condition": "Well",
        "medical_check": True,
    })


def transfer_to_justice(session, case, users, hours_after_encounter: int | None = None):
    """The registrar records the child's transfer from the force to the juvenile justice system."""
    at = (case.encounter_at + timedelta(hours=hours_after_encounter)) if hours_after_encounter is not None \
        else utcnow() - timedelta(minutes=5)
    fire(session, case, "record_justice_transfer", users["registrar"], {
        "transferred_at": at.isoformat(), "handing_officer": "Capt. Diallo", "handing_unit": "Gendarmerie",
        "receiving_authority": "Tribunal pour enfants de Bamako", "facility_type": "juvenile_detention_centre",
        "facility_reference": "CJ-12"})


def referral(service="family_tracing") -> dict:
    return {"service_type": service, "provider": "Enfance Solidaire Mali", "referred_on": clock.today().isoformat()}


def opened(session, ev) -> dict:
    """An event's identifying part, opened with its case's key (as the auditor's export does)."""
    import json

    from caseflow.sealing.identity import open_event_part

    return json.loads(open_event_part(session, json.dumps(ev.identifying), ev.case_id, ev.chain, ev.seq, {}))
