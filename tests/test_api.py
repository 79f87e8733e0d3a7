"""The JSON API: tokens, the whole lifecycle, If-Match, problem+json, CSRF for cookie callers."""

from sqlalchemy import select

from caseflow import clock as app_clock
from caseflow.auth.models import User
from caseflow.auth.operations import create_token, revoke_token, set_active
from caseflow.cases.models import Case
from tests.conftest import complete_intake
from tests.helpers import ASSESSOR_ORG, PARTNER_ORG, org_id


def test_the_openapi_document_validates(client):
    from openapi_spec_validator import validate

    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    validate(spec)
    for path in ("/api/v1/cases", "/api/v1/cases/{code}", "/api/v1/cases/{code}/transitions/{trigger}",
                 "/api/v1/cases/{code}/votes", "/api/v1/cases/{code}/history", "/api/v1/exports/cases.xlsx",
                 "/api/v1/workflows/{name}", "/api/v1/audit/verify"):
        assert path in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_no_token_is_401_problem_json(client):
    r = client.get("/api/v1/cases")
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    assert set(r.get_json()) >= {"type", "title", "status", "detail"}
    r = client.get("/api/v1/cases", headers={"Authorization": "Bearer cf_nonsense"})
    assert r.status_code == 401


def test_unknown_paths_and_methods_answer_problem_json(client, token):
    r = client.get("/api/v1/nothing-here", headers=token("auditor"))
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    r = client.delete("/api/v1/cases", headers=token("auditor"))
    assert r.status_code == 405 and r.mimetype == "application/problem+json"


def test_a_whole_lifecycle_with_tokens(client, session, token):
    reg = token("registrar")
    r = client.post("/api/v1/cases", json=complete_intake(given_name="Api"), headers=reg)
    assert r.status_code == 201 and r.headers["Location"].startswith("/api/v1/cases/CF-")
    body = r.get_json()
    assert "given_name" not in body and body["state"] == "registered" and r.headers["ETag"] == '"1"'
    code = body["code"]

    def go(trigger, who, payload=None, etag=None):
        current = client.get(f"/api/v1/cases/{code}", headers=token(who))
        headers = {**token(who), "If-Match": etag or current.headers["ETag"]}
        return client.post(f"/api/v1/cases/{code}/transitions/{trigger}", json=payload or {}, headers=headers)

    assert go("submit_for_review", "registrar").get_json()["state"] == "under_review"
    for who in ("reviewer.justice", "reviewer.family", "reviewer.un"):
        r = client.post(f"/api/v1/cases/{code}/votes", headers=token(who),
                        json={"outcome": "release", "offence_category": "association_only", "reasons": "Release"})
        assert r.status_code == 200, r.get_json()
    r = go("decide_release", "reviewer.un", {"reasons": "Release", "offence_category": "association_only",
                                             "receiving_org_id": org_id(session, PARTNER_ORG)})
    assert r.get_json()["state"] == "handover_pending"
    r = go("record_handover", "partner", {"handing_officer": "Capt", "handing_unit": "Gend", "receiving_person": "S",
                                          "handed_over_at": r.get_json()["created_at"], "place": "Mopti",
                                          "child_condition": "Well", "medical_check": True})
    assert r.status_code == 200 and r.get_json()["state"] == "handed_over"
    r = go("start_reintegration", "partner", {"service_type": "education", "provider": "School",
                                              "referred_on": "2026-01-02"})
    assert r.get_json()["state"] == "in_reintegration"
    r = go("close", "partner", {"reason": "reintegrated"})
    assert r.get_json()["state"] == "closed"
    history = client.get(f"/api/v1/cases/{code}/history", headers=token("auditor")).get_json()
    assert history["verified"] and [e["seq"] for e in history["events"]] == list(range(1, 10))
    assert all(len(e["hash"]) == 64 for e in history["events"])


def test_if_match_stale_missing_and_invalid(client, token, session, users, make_case):
    case = make_case()
    session.commit()
    reg = token("registrar")
    url = f"/api/v1/cases/{case.code}"
    assert client.patch(url, json={"region": "Gao"}, headers=reg).status_code == 428
    assert client.patch(url, json={"region": "Gao"}, headers={**reg, "If-Match": '"0"'}).status_code == 412
    r = client.patch(url, json={"region": "Gao"}, headers={**reg, "If-Match": '"1"'})
    assert r.status_code == 200 and r.get_json()["region"] == "Gao" and r.headers["ETag"] == '"2"'
    r = client.patch(url, json={"sex": "robot"}, headers={**reg, "If-Match": '"2"'})
    assert r.status_code == 422 and "sex" in r.get_json()["errors"]
    r = client.patch(url, data="not json", headers={**reg, "If-Match": '"2"'}, content_type="application/json")
    assert r.status_code == 422


def test_transition_answers(client, token, session, make_case):
    case = make_case(detaining_authority=None)
    session.commit()
    url = f"/api/v1/cases/{case.code}/transitions"
    reg = {**token("registrar"), "If-Match": '"1"'}
    r = client.post(f"{url}/submit_for_review", json={}, headers=reg)
    assert r.status_code == 422 and r.get_json()["type"] == "/problems/guard-refused"
    r = client.post(f"{url}/close", json={"reason": "other"}, headers={**token("partner"), "If-Match": '"1"'})
    assert r.status_code in (403, 404)  # a partner does not even see an unreleased case
    r = client.post(f"{url}/reopen", json={"reason": "nothing to reopen"}, headers=reg)
    assert r.status_code == 409 and "available" in r.get_json()
    r = client.post(f"{url}/no_such_trigger", json={}, headers=reg)
    assert r.status_code == 404


def test_the_actions_open_now_come_when_asked(client, token, session, make_case):
    """A case's answer carries the actions open to the caller (each transition's guards evaluated)
    only with ?include=actions; a transition's answer has the new state and version either way, and
    an unknown include is refused before anything is fired."""
    case = make_case()
    session.commit()
    url, reg = f"/api/v1/cases/{case.code}", token("registrar")
    assert "available_transitions" not in client.get(url, headers=reg).get_json()
    offered = {a["trigger"]: a for a in client.get(f"{url}?include=actions", headers=reg).get_json()
               ["available_transitions"]}
    assert offered["submit_for_review"]["allowed"] is True
    r = client.post(f"{url}/transitions/submit_for_review?include=everything", json={},
                    headers={**reg, "If-Match": '"1"'})
    assert r.status_code == 422 and "include" in r.get_json()["errors"]
    session.expire_all()
    assert client.get(url, headers=reg).get_json()["state"] == "registered"  # nothing was fired
    r = client.post(f"{url}/transitions/submit_for_review", json={}, headers={**reg, "If-Match": '"1"'})
    body = r.get_json()
    assert r.status_code == 200 and body["state"] == "under_review" and body["version"] == 2
    assert "available_transitions" not in body and r.headers["ETag"] == '"2"'
    r = client.post(f"{url}/transitions/recuse?include=actions", json={"reason": "I know the family of the child."},
                    headers={**token("reviewer.justice"), "If-Match": '"2"'})
    assert r.status_code == 200 and any(a["trigger"] == "withdraw_recusal" and a["allowed"]
                                        for a in r.get_json()["available_transitions"])
    fr = client.get(f"{url}?include=all", headers={**reg, "Accept-Language": "fr"}).get_json()
    assert "Valeur inconnue" in fr["detail"]
    # not signed in: 401 first, whatever the include; a long unknown value is not echoed whole
    assert client.get(f"{url}?include=everything").status_code == 401
    assert client.post(f"{url}/transitions/submit_for_review?include=x", json={}).status_code == 401
    long = client.get(f"{url}?include={'0' * 500},a,b,c,d,e,f", headers={**reg, "Accept-Language": "en"})
    detail = long.get_json()["detail"]
    assert "0" * 40 in detail and "0" * 41 not in detail and ", e" not in detail and ", d" in detail


def test_list_filters_and_pages(client, token, session, make_case):
    for _ in range(3):
        make_case(region="Kidal")
    session.commit()
    r = client.get("/api/v1/cases?region=Kidal&per_page=2", headers=token("auditor"))
    body = r.get_json()
    assert body["total"] == 3 and len(body["items"]) == 2 and body["links"]["next"]
    assert client.get("/api/v1/cases?per_page=101", headers=token("auditor")).status_code == 422
    r = client.get("/api/v1/cases?page=first", headers=token("auditor"))
    assert r.status_code == 422 and "page" in r.get_json()["errors"]


def test_a_list_page_is_what_its_schema_would_write(client, token, session, make_case):
    """The list writes its items without marshmallow's field-by-field dump (for speed): the answer
    must still be, key for key and value for value, what CasePageOut dumps for the same cases —
    times with their zone, a child with no age or region as null."""
    from caseflow.api.schemas import CasePageOut
    from caseflow.cases.queries import case_page

    make_case(region="Ménaka", claimed_age=None, encounter_at=None)
    make_case(region="Ménaka", sex="female")
    session.commit()
    body = client.get("/api/v1/cases?region=M%C3%A9naka&per_page=50", headers=token("auditor")).get_json()
    auditor = session.scalar(select(User).where(User.email == "auditor@caseflow.demo"))
    page = case_page(session, auditor, region="Ménaka", per_page=50)
    expected = CasePageOut().dump({"items": page.items, "total": page.total, "total_is_capped": page.more,
                                   "page": 1, "per_page": 50, "links": body["links"]})
    assert body == expected
    assert [i["code"] for i in body["items"]] == [c.code for c in page.items] and len(body["items"]) == 2
    assert any(i["age_at_encounter"] is None or i["encounter_at"] is None for i in body["items"])
    assert all(i["created_at"].endswith("+00:00") for i in body["items"])


def test_cookie_callers_need_csrf_for_writes(client, auth, session, make_case):
    case = make_case()
    session.commit()
    auth.login("registrar")
    url = f"/api/v1/cases/{case.code}"
    assert client.get(url).status_code == 200  # reading with the session cookie
    r = client.patch(url, json={"region": "Gao"}, headers={"If-Match": '"1"'})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    r = client.patch(url, json={"region": "Gao"}, headers={"If-Match": '"1"', "X-CSRFToken": auth.token()})
    assert r.status_code == 200


def test_token_calls_set_no_cookie_and_revoked_or_disabled_stop(client, session, users, token):
    headers = token("auditor")
    r = client.get("/api/v1/cases", headers=headers)
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    from caseflow.auth.models import ApiToken

    t = session.scalars(select(ApiToken).where(ApiToken.user_id == users["auditor"].id)).first()
    revoke_token(session, t, users["auditor"])
    session.commit()
    assert client.get("/api/v1/cases", headers=headers).status_code == 401
    headers = token("registrar")
    set_active(session, users["registrar"], False)
    session.commit()
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_export_verify_and_workflow_endpoints(client, token, session, make_case):
    make_case()
    session.commit()
    r = client.get("/api/v1/exports/cases.xlsx", headers=token("auditor"))
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert client.get("/api/v1/exports/cases.xlsx", headers=token("registrar")).status_code == 403
    v = client.get("/api/v1/audit/verify", headers=token("auditor")).get_json()
    assert v["ok"] and v["events"] > 0
    assert client.get("/api/v1/audit/verify", headers=token("reviewer.un")).status_code == 403
    wf = client.get("/api/v1/workflows/detained_child", headers=token("partner")).get_json()
    assert wf["initial"] == "registered" and any(t["trigger"] == "decide_release" for t in wf["transitions"])


def test_tokens_page_shows_a_token_once(client, auth, session):
    auth.login("auditor")
    r = client.post("/account/tokens/", data={"csrf_token": auth.token("/account/tokens/"), "name": "script",
                                              "days": "30"})
    page = r.get_data(as_text=True)
    import re

    plain = re.search(r'id="new-token">(cf_[^<]+)<', page).group(1)
    assert client.get("/account/tokens/").get_data(as_text=True).count(plain) == 0
    other = client.application.test_client()
    assert other.get("/api/v1/cases", headers={"Authorization": f"Bearer {plain}"}).status_code == 200


def test_a_script_with_requests_and_a_token_takes_a_case_through(live_server, live_app):
    """Real HTTP, nothing but `requests` and a token, as a partner's system would."""
    import requests

    with live_app.app_context():
        from caseflow.auth.models import User
        from caseflow.db import write_intent
        from caseflow.extensions import db

        write_intent.set(True)
        tokens = {}
        for who in ("registrar", "assessor", "reviewer.justice", "reviewer.defence", "reviewer.un", "partner"):
            user = db.session.scalar(select(User).where(User.email == f"{who}@caseflow.demo"))
            tokens[who] = {"Authorization": f"Bearer {create_token(db.session, user, 'script', 1)[1]}"}
        assessors = org_id(db.session, ASSESSOR_ORG)
        partner_org = org_id(db.session, PARTNER_ORG)
        db.commit()
        write_intent.set(False)
    api = f"{live_server}/api/v1"
    r = requests.post(f"{api}/cases", json=complete_intake(), headers=tokens["registrar"], timeout=10)
    code = r.json()["code"]

    def step(trigger, who, payload):
        etag = requests.get(f"{api}/cases/{code}", headers=tokens[who], timeout=10).headers["ETag"]
        resp = requests.post(f"{api}/cases/{code}/transitions/{trigger}", json=payload,
                             headers={**tokens[who], "If-Match": etag}, timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.json()

    step("request_assessment", "registrar", {"reason_for_doubt": "Two documents give different birth years.",
                                             "assessor_org_id": assessors})
    step("record_assessment", "assessor", {"consent": "given", "consent_by": "child", "guardian_present": True,
                                           "methods": ["documents"], "independence_declared": True, "min_age": 15,
                                           "max_age": 17, "explained_on": app_clock.today().isoformat()})
    for who in ("reviewer.justice", "reviewer.defence", "reviewer.un"):
        requests.post(f"{api}/cases/{code}/votes", headers=tokens[who], timeout=10,
                      json={"outcome": "release", "offence_category": "support_tasks", "reasons": "Release"})
    state = step("decide_release", "reviewer.un", {"reasons": "Release", "offence_category": "support_tasks",
                                                   "receiving_org_id": partner_org})["state"]
    assert state == "handover_pending"
    with live_app.app_context():
        from caseflow.extensions import db

        assert db.session.scalar(select(Case.state).where(Case.code == code)) == "handover_pending"


def test_a_token_speaks_for_its_user_even_beside_a_session_cookie(client, auth, token, make_case, session, users):
    """A browser signed in as a reviewer that calls the API with the auditor's token is the auditor:
    the token's user, never the cookie's."""
    case = make_case()
    session.commit()
    auth.login("reviewer.un")  # the registered case is not in a reviewer's remit yet
    assert client.get(f"/api/v1/cases/{case.code}").status_code == 404
    r = client.get(f"/api/v1/cases/{case.code}", headers=token("auditor"))
    assert r.status_code == 200 and r.get_json()["code"] == case.code
    r = client.get(f"/api/v1/cases/{case.code}", headers={"Authorization": "Bearer cf_not-a-token"})
    assert r.status_code == 401  # a bad token is refused, not replaced by the cookie
