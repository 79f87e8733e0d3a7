"""A client written only from openapi.json: it reads each action's payload schema from the document
(one path per trigger), fills the fields from their types, formats and enums — trying the listed
values in turn where a rule refuses one — and takes a case from registration to closure."""

from datetime import timedelta

import pytest

from caseflow import clock

FILLER = "Written by a client that read only the API's document."


def resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def candidates(name, prop, orgs):
    """Values to try for one property, from its schema alone (and the organisations list)."""
    if name.endswith("_org_id"):
        return [o["id"] for o in orgs]
    if prop.get("enum"):
        return list(prop["enum"])
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "array":
        item = prop.get("items", {})
        return [[v] for v in item.get("enum", ["x"])]
    if kind == "boolean":
        return [True]
    if kind == "integer":
        low = prop.get("minimum", 0)
        return [max(low, 16)]
    if fmt == "date-time":
        return [(clock.now() - timedelta(minutes=5)).isoformat()]
    if fmt == "date":
        return [clock.today().isoformat()]
    limit = prop.get("maxLength", 200)
    return [FILLER[:limit]]


def bodies(spec, schema, orgs, also=()):
    """Bodies for a payload schema: every required field (and ``also``), the first candidates, then
    each other candidate of one field at a time."""
    schema = resolve(spec, schema)
    props = schema.get("properties", {})
    wanted = [n for n in props if n in set(schema.get("required", [])) | set(also)]
    options = {n: candidates(n, props[n], orgs) for n in wanted}
    base = {n: v[0] for n, v in options.items()}
    yield dict(base)
    for n, values in options.items():
        for v in values[1:]:
            yield {**base, n: v}


@pytest.mark.parametrize("workflow", ["detained_child"])
def test_a_client_from_the_document_alone_takes_a_case_to_closure(client, token, workflow):
    spec = client.get("/api/v1/openapi.json").get_json()
    as_ = {who: token(who) for who in ("registrar", "reviewer.justice", "reviewer.family", "reviewer.un", "partner",
                                       "partner2")}
    orgs = client.get("/api/v1/organisations", headers=as_["registrar"]).get_json()["items"]
    wf = client.get(f"/api/v1/workflows/{workflow}", headers=as_["registrar"]).get_json()

    register = spec["paths"]["/api/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body = next(bodies(spec, register, orgs, also=wf["required"]))
    body["encounter_at"] = (clock.now() - timedelta(hours=6)).isoformat()
    r = client.post("/api/v1/cases", json={**body, "workflow": workflow}, headers=as_["registrar"])
    assert r.status_code == 201, r.get_json()
    code = r.get_json()["code"]

    def act(who, trigger):
        """Fire ``trigger`` with bodies built from its documented schema until one is accepted."""
        op = spec["paths"][f"/api/v1/cases/{{code}}/transitions/{trigger}"]["post"]
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        tried = []
        for payload in (bodies(spec, schema, orgs) if schema else [{}]):
            seen = client.get(f"/api/v1/cases/{code}", headers=as_[who])
            assert seen.status_code == 200, (who, trigger, seen.get_json())
            etag = seen.headers["ETag"]
            r = client.post(f"/api/v1/cases/{code}/transitions/{trigger}", json=payload,
                            headers={**as_[who], "If-Match": etag})
            if r.status_code == 200:
                return r.get_json()
            assert r.status_code == 422, (trigger, r.status_code, r.get_json())
            tried.append(r.get_json()["detail"])
        raise AssertionError(f"{trigger}: no documented body was accepted: {tried[:3]}")

    assert act("registrar", "submit_for_review")["state"] == "under_review"
    for reviewer in ("reviewer.justice", "reviewer.family", "reviewer.un"):
        act(reviewer, "cast_vote")
    assert act("reviewer.un", "decide_release")["state"] == "handover_pending"
    partner = next(p for p in ("partner", "partner2")  # whichever partner the case was released to
                   if client.get(f"/api/v1/cases/{code}", headers=as_[p]).status_code == 200)
    assert act(partner, "record_handover")["state"] == "handed_over"
    assert act(partner, "start_reintegration")["state"] == "in_reintegration"
    assert act(partner, "close")["state"] == "closed"
