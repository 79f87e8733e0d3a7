"""The API's contract, as a client built from its OpenAPI document reads it (RFC 9110, RFC 9457):
405s say what is allowed, refusals carry only documented fields, a boolean is a boolean, a header
that cannot be read is a 400 naming it, and who may act is asked before any precondition."""

import pytest

from tests.conftest import complete_intake
from tests.helpers import submit

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def concrete(path: str) -> str:
    for name, value in {"{code}": "CF-2026-99999", "{trigger}": "cast_vote", "{name}": "detained_child",
                        "{job_id}": "0" * 32, "{size}": "1"}.items():
        path = path.replace(name, value)
    return path


def test_every_405_says_which_methods_are_allowed(client, token, spec):
    checked = 0
    for path, ops in spec["paths"].items():
        documented = {m for m in ops if m in HTTP_METHODS}
        for method in sorted(set(HTTP_METHODS) - documented)[:1]:
            r = client.open(concrete(path), method=method.upper(), headers=token("auditor"))
            assert r.status_code == 405, (method, path, r.status_code)
            allowed = {m.strip().lower() for m in r.headers["Allow"].split(",")}
            assert documented <= allowed, (path, r.headers["Allow"])
            assert r.mimetype == "application/problem+json"
            checked += 1
    assert checked >= 30


def test_every_error_is_documented_as_problem_json_and_a_401_is_one(client, spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in HTTP_METHODS:
                continue
            assert "default" not in op["responses"], (method, path)  # no generic application/json error
            assert list(op["responses"]["401"]["content"]) == ["application/problem+json"], (method, path)
            for status, answer in op["responses"].items():
                if status[0] in "45":
                    assert list(answer.get("content", {})) == ["application/problem+json"], (method, path, status)
    r = client.get("/api/v1/organisations")
    assert r.status_code == 401 and r.mimetype == "application/problem+json"


def documented_problem_fields(spec) -> set[str]:
    return set(spec["components"]["schemas"]["ProblemOut"]["properties"])


def test_409_and_412_bodies_hold_only_documented_fields(client, token, session, users, make_case, spec):
    case = make_case()
    submit(session, case, users)
    session.commit()
    url = f"/api/v1/cases/{case.code}"
    r = client.post(f"{url}/transitions/submit_for_review", json={}, headers={**token("registrar"), "If-Match": "*"})
    assert r.status_code == 409, r.get_json()
    assert {"state", "version", "available"} <= set(r.get_json()) <= documented_problem_fields(spec)
    r = client.patch(url, json={"region": "Kidal"}, headers={**token("registrar"), "If-Match": '"1"'})
    assert r.status_code == 412
    assert {"version", "change", "changed_by"} <= set(r.get_json()) <= documented_problem_fields(spec)


@pytest.mark.parametrize("value", [0, 1, 0.0, "maybe", [], {}])
def test_a_boolean_takes_true_or_false_only(client, token, value):
    r = client.post("/api/v1/cases", json=complete_intake(consent_reporting=value), headers=token("registrar"))
    assert r.status_code == 422 and "consent_reporting" in r.get_json()["errors"]


def test_true_and_false_are_booleans(client, token):
    for value in (True, False):
        r = client.post("/api/v1/cases", json=complete_intake(consent_reporting=value), headers=token("registrar"))
        assert r.status_code == 201, r.get_json()


@pytest.mark.parametrize("header", ['";Rbpr"', "3", "W/\"3\"", '"3', '"٣"', '"99999999999999999999"', '"-1"', '"3.0"'])
def test_a_malformed_if_match_is_a_400_naming_the_header(client, token, make_case, session, header):
    case = make_case()
    session.commit()
    r = client.patch(f"/api/v1/cases/{case.code}", json={"region": "Gao"},
                     headers={**token("registrar"), "If-Match": header})
    if header == "3":  # an unquoted version is still read as the version (lenient), and it is stale
        assert r.status_code == 412
        return
    assert r.status_code == 400, (header, r.status_code)
    body = r.get_json()
    assert r.mimetype == "application/problem+json" and "If-Match" in body["errors"]


@pytest.mark.parametrize("header", [None, '";Rbpr"', '"0"', '"1"', "*"])
def test_who_may_act_is_asked_before_any_precondition(client, token, make_case, session, users, header):
    case = make_case()
    submit(session, case, users)
    session.commit()
    headers = {**token("auditor"), **({"If-Match": header} if header else {})}
    r = client.post(f"/api/v1/cases/{case.code}/transitions/decide_release", json={}, headers=headers)
    assert r.status_code == 403, (header, r.status_code)
    r = client.post(f"/api/v1/cases/{case.code}/transitions/no_such_action", json={}, headers=headers)
    assert r.status_code == 404
