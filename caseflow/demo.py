"""Demonstration data: the organisations of a joint review mechanism in Mali, one user per role
(reviewers from several institutions) and a few cases at different stages, all made through the
same operations as real work, so their audit chains are real. Loading twice adds nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from caseflow.auth.models import Organisation, User
from caseflow.auth.operations import create_organisation, create_user
from caseflow.db import utcnow

DEMO_PASSWORD = "caseflow-demo-2026"  # noqa: S105 - printed for the demo, refused in production

ORGANISATIONS = [
    ("Ministry of Justice", "government"),
    ("Ministry of Defence", "government"),
    ("Ministry for the Promotion of Women, Children and the Family", "government"),
    ("UN mission child-protection unit", "un"),
    ("UNICEF", "un"),
    ("Enfance Solidaire Mali", "partner_ngo"),
    ("Association Avenir des Enfants", "partner_ngo"),
    ("Independent age assessors' panel", "assessor"),
]

USERS = [
    ("admin@caseflow.demo", "Awa Traoré", "admin", "UN mission child-protection unit", "en"),
    ("registrar@caseflow.demo", "Moussa Keita", "registrar", "UN mission child-protection unit", "fr"),
    ("reviewer.justice@caseflow.demo", "Fatoumata Diarra", "reviewer", "Ministry of Justice", "fr"),
    ("reviewer.family@caseflow.demo", "Aminata Coulibaly", "reviewer",
     "Ministry for the Promotion of Women, Children and the Family", "fr"),
    ("reviewer.defence@caseflow.demo", "Col. Ibrahim Sangaré", "reviewer", "Ministry of Defence", "fr"),
    ("reviewer.un@caseflow.demo", "Claire Martin", "reviewer", "UN mission child-protection unit", "en"),
    ("reviewer.unicef@caseflow.demo", "Kofi Mensah", "reviewer", "UNICEF", "en"),
    ("assessor@caseflow.demo", "Dr Mariam Touré", "assessor", "Independent age assessors' panel", "fr"),
    ("partner@caseflow.demo", "Seydou Camara", "partner", "Enfance Solidaire Mali", "fr"),
    ("partner2@caseflow.demo", "Oumou Sidibé", "partner", "Association Avenir des Enfants", "fr"),
    ("auditor@caseflow.demo", "Helen Park", "auditor", "UNICEF", "en"),
]


def load_demo(session, *, with_cases: bool = True) -> tuple[bool, list[User]]:
    if session.scalar(select(Organisation).where(Organisation.name == ORGANISATIONS[0][0])):
        return False, _demo_users(session)
    orgs = load_people(session)
    if with_cases:
        _demo_cases(session, orgs)
    return True, _demo_users(session)


def load_people(session) -> dict[str, Organisation]:
    """The organisations and one user per role; the tests stand on these too."""
    orgs = {name: create_organisation(session, name, kind) for name, kind in ORGANISATIONS}
    for email, name, role, org, locale in USERS:
        create_user(session, email=email, full_name=name, role=role, organisation=orgs[org],
                    password=DEMO_PASSWORD, locale=locale)
    return orgs


def _demo_users(session) -> list[User]:
    emails = [u[0] for u in USERS]
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
    return [users[e] for e in emails if e in users]


def _by_email(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def _intake(hours_ago: int, **extra) -> dict:
    base = {
        "sex": "male", "claimed_age": 15, "nationality": "Malian", "languages": "Bambara, French",
        "region": "Mopti", "cercle": "Bandiagara", "commune": "Bandiagara",
        "encounter_type": "captured", "encounter_at": (utcnow() - timedelta(hours=hours_ago)).isoformat(),
        "encounter_place": "Checkpoint north of Bandiagara", "apprehending_unit": "FAMa 33rd regiment",
        "detaining_authority": "Gendarmerie nationale", "facility_type": "military_facility",
        "separated_from_adults": "false", "charges": "Association with an armed group",
        "charge_category": "association",
        "alleged_group": "Unidentified armed group", "association_roles": "porter, cook",
    }
    base.update(extra)
    return base


def _demo_cases(session, orgs) -> None:
    from caseflow.cases.operations import register_case
    from caseflow.workflow.engine import fire

    reg = _by_email(session, "registrar@caseflow.demo")
    wf = "detained_child"
    # 1. just registered, registration incomplete
    register_case(session, {"sex": "female", "claimed_age": 14, "given_name": "Awa", "family_name": "D.",
                            "region": "Gao"}, reg, workflow=wf)
    # 2. under review, two votes cast
    c2 = register_case(session, _intake(20, given_name="Ousmane", family_name="K."), reg, workflow=wf)
    fire(session, c2, "submit_for_review", reg, {})
    for email in ("reviewer.justice@caseflow.demo", "reviewer.un@caseflow.demo"):
        fire(session, c2, "cast_vote", _by_email(session, email),
             {"outcome": "release", "offence_category": "association_only",
              "reasons": "Association only; the child must be handed over without delay."})
    # 3. released, handover pending (late)
    c3 = register_case(session, _intake(70, sex="female", claimed_age=16, given_name="Mariam",
                                        family_name="S.", girl_mother="true"), reg, workflow=wf)
    _release(session, c3, reg, orgs["Enfance Solidaire Mali"].id)
    # 4. handed over and in reintegration
    c4 = register_case(session, _intake(30, given_name="Boubacar", family_name="T.", region="Tombouctou"),
                       reg, workflow=wf)
    _release(session, c4, reg, orgs["Enfance Solidaire Mali"].id)
    partner = _by_email(session, "partner@caseflow.demo")
    fire(session, c4, "record_handover", partner, {
        "handing_officer": "Capt. Diallo", "handing_unit": "Gendarmerie nationale",
        "receiving_person": "Seydou Camara", "handed_over_at": (utcnow() - timedelta(hours=4)).isoformat(),
        "place": "Mopti transit centre", "child_condition": "Tired, no visible injuries",
        "medical_check": "true", "document_reference": "PV-2026-114",
    })
    fire(session, c4, "start_reintegration", partner, {
        "service_type": "family_tracing", "provider": "Enfance Solidaire Mali",
        "referred_on": utcnow().date().isoformat(),
    })


def _release(session, case, registrar, receiving_org_id) -> None:
    from caseflow.workflow.engine import fire

    fire(session, case, "submit_for_review", registrar, {})
    for email in ("reviewer.justice@caseflow.demo", "reviewer.family@caseflow.demo", "reviewer.un@caseflow.demo"):
        fire(session, case, "cast_vote", _by_email(session, email),
             {"outcome": "release", "offence_category": "support_tasks",
              "reasons": "Support tasks only; release and hand over to civilian child protection."})
    fire(session, case, "decide_release", _by_email(session, "reviewer.un@caseflow.demo"),
         {"reasons": "Unanimous: release and handover.", "offence_category": "support_tasks",
          "receiving_org_id": receiving_org_id})
