"""Every API endpoint × every role (and anonymous, a disabled user, a revoked token): the right
status, and never another organisation's data."""

import pytest
from sqlalchemy import select

from caseflow.auth.models import User
from caseflow.auth.operations import create_token, revoke_token, set_active
from tests.helpers import release, submit

MARKER = "Tessalit-marker"  # a value only the case in question has
WHO = ["anonymous", "disabled", "revoked", "admin", "registrar", "reviewer.un", "assessor", "partner", "partner2",
       "auditor"]
NO_AUTH = {"anonymous": 401, "disabled": 401, "revoked": 401}
SEES = {"registrar", "reviewer.un", "partner", "auditor"}  # the released case's remit

ENDPOINTS = {
    "list": ("GET", "/api/v1/cases", None),
    "get": ("GET", "/api/v1/cases/{code}", None),
    "patch": ("PATCH", "/api/v1/cases/{code}", {"cercle": "Tessalit"}),
    "handover": ("POST", "/api/v1/cases/{code}/transitions/record_handover", {}),
    "vote": ("POST", "/api/v1/cases/{code}/votes", {"outcome": "release", "offence_category": "support_tasks",
                                                   "reasons": "x"}),
    "history": ("GET", "/api/v1/cases/{code}/history", None),
    "export": ("GET", "/api/v1/exports/cases.xlsx", None),
    "workflow": ("GET", "/api/v1/workflows/detained_child", None),
    "verify": ("GET", "/api/v1/audit/verify", None),
}


def expected(endpoint: str, who: str) -> set[int]:
    if who in NO_AUTH:
        return {401}
    case_scoped = endpoint in ("get", "patch", "handover", "vote", "history")
    if case_scoped and who not in SEES:
        return {404}
    return {
        "list": {200}, "get": {200}, "history": {200}, "workflow": {200},
        "patch": {200} if who in ("registrar", "partner") else {403},
        "handover": {422} if who == "partner" else {403},  # empty payload: the partner gets field errors
        "vote": {409} if who == "reviewer.un" else {403},  # no vote once released
        "export": {200} if who == "auditor" else {403},
        "verify": {200} if who == "auditor" else {403},
    }[endpoint]


@pytest.fixture
def world(session, users, make_case):
    case = make_case(region=MARKER)
    submit(session, case, users)
    release(session, case, users)
    tokens = {}
    for who in WHO:
        if who == "anonymous":
            continue
        user = users["auditor" if who in ("disabled", "revoked") else who]
        if who == "disabled":
            from caseflow.auth.models import Organisation
            from caseflow.auth.operations import create_user

            org = session.scalar(select(Organisation).where(Organisation.name == "UNICEF"))
            user = create_user(session, email="gone@example.org", full_name="Gone", role="auditor",
                               organisation=org, password="long-enough-password")
        token, plain = create_token(session, user, who, 5)
        tokens[who] = plain
        if who == "revoked":
            revoke_token(session, token, user)
    set_active(session, session.scalar(select(User).where(User.email == "gone@example.org")), False)
    session.commit()
    return case, tokens


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_endpoint_by_every_caller(client, world, endpoint):
    case, tokens = world
    method, path, body = ENDPOINTS[endpoint]
    url = path.format(code=case.code)
    for who in WHO:
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
        if method in ("PATCH", "POST"):
            current = client.get(f"/api/v1/cases/{case.code}", headers=headers)
            headers["If-Match"] = current.headers.get("ETag", '"1"')
        r = client.open(url, method=method, json=body, headers=headers)
        assert r.status_code in expected(endpoint, who), f"{who} {method} {url}: {r.status_code} {r.get_data()[:200]}"
        if r.status_code >= 400:
            assert r.mimetype == "application/problem+json"
            assert MARKER not in r.get_data(as_text=True)  # refusals carry no data of the case
        if endpoint == "list" and r.status_code == 200:
            assert (MARKER in r.get_data(as_text=True) or case.code in r.get_data(as_text=True)) == (who in SEES)
