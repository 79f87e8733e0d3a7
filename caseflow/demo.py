"""Demonstration data: the organisations of a joint review mechanism in Mali, one user per role
(reviewers from several institutions) and a few cases at different stages, all made through the
same operations as real work, so their audit chains are real. Loading twice adds nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from caseflow.auth.models import Organisation, User
from caseflow.auth.operations import create_organisation, create_user
from caseflow.auth.second_factor import required, seal_secret
from caseflow.cases.operations import register_case
from caseflow.db import utcnow
from caseflow.workflow.engine import fire, workflows
from caseflow.workflow.registry import MAKERS

DEMO_PASSWORD = "caseflow-demo-2026"  # noqa: S105 - printed for the demo, refused in production
#: every demo user's TOTP key (base32), printed by `flask demo load`; `flask demo code` gives the code
DEMO_TOTP_SECRET = "CASEFLOWDEMOTOTPSECRETFORALLUSER"  # noqa: S105 - demo only, refused in production

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
    enrol_demo_users(session)
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


def enrol_demo_users(session) -> None:
    """The demo users who need a second factor have one already: the printed demo key."""

    session.flush()
    for user in _demo_users(session):
        if required(user):
            user.totp_secret = seal_secret(user, DEMO_TOTP_SECRET)
            user.totp_enrolled_at = utcnow()


def _demo_users(session) -> list[User]:
    emails = [u[0] for u in USERS]
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
    return [users[e] for e in emails if e in users]


def _by_email(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def _value(value, session, now):
    """A scenario's value: "=now-20h", "=today" and "=org:NAME" are worked out when loading."""
    if isinstance(value, dict):
        return {k: _value(v, session, now) for k, v in value.items()}
    if not isinstance(value, str) or not value.startswith("="):
        return value
    if value == "=today":
        return now.date().isoformat()
    if value.startswith("=today") and value.endswith("d"):  # "=today-3d", "=today+10d"
        return (now + timedelta(days=int(value[6:-1]))).date().isoformat()
    if value.startswith("=now-") and value.endswith("h"):
        return (now - timedelta(hours=int(value[5:-1]))).isoformat()
    if value.startswith("=org:"):
        return session.scalar(select(Organisation.id).where(Organisation.name == value[5:]))
    raise ValueError(f"demo scenario: unknown value {value!r}")


def _steps(steps) -> list[dict]:
    """Steps, with shared lists of steps (YAML anchors) flattened in place."""
    out = []
    for step in steps or []:
        out += _steps(step) if isinstance(step, list) else [step]
    return out


def _demo_cases(session, orgs) -> None:
    """Every workflow's demonstration cases (``workflows/demo/<workflow>.yaml``), for the workflows
    in force."""
    import yaml
    from flask import current_app

    now = utcnow()
    folder = Path(current_app.config["WORKFLOWS_DIR"]) / "demo"
    for path in sorted(folder.glob("*.yaml")):
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        if scenario.get("workflow") not in workflows():
            continue
        for made in scenario.get("setup") or []:  # records the cases refer to (a campaign)
            MAKERS[made["make"]](session, _value(made["with"], session, now), _by_email(session, made["by"]))
        for spec in scenario.get("cases") or []:
            case = register_case(session, _value(spec["fields"], session, now), _by_email(session, spec["by"]),
                                 workflow=scenario["workflow"])
            for step in _steps(spec.get("steps")):
                fire(session, case, step["do"], _by_email(session, step["by"]),
                     _value(step.get("with") or {}, session, now))
