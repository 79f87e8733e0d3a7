"""The load benchmark's own parts: the cases it builds are ones Caseflow acts on, and its bare
endpoints do the work they are compared on (a bare side that only answered 500 once made every
SQLite transition ratio meaningless)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.bare import create_app as bare_app
from bench.common import bench_database
from bench.http import build
from caseflow.audit.models import AuditEvent, ChainHead
from caseflow.audit.verify import stream_events, unsigned_heads, verify_events
from caseflow.cases.models import Case
from tests import conftest


@pytest.fixture
def bare(built, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", built[0])
    app = bare_app()
    yield app.test_client()
    app.extensions["bench.engine"].dispose()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    database = conftest.TestDatabase(tmp_path_factory, "bench")
    data = build(database.url, 12)
    yield database.url, data
    database.drop()


def chain(url: str, code: str) -> tuple[int, list[tuple[int, str, str]]]:
    with bench_database(url) as db:
        version = db.session.scalar(select(Case.version).where(Case.code == code))
        events = db.session.execute(select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash)
                                    .where(AuditEvent.chain == code).order_by(AuditEvent.seq)).all()
        head = db.session.execute(select(ChainHead.seq, ChainHead.hash).where(ChainHead.chain == code)).one()
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
        return version, [tuple(e) for e in events]


def test_built_cases_carry_a_verifying_chain_with_signed_heads(built):
    url, data = built
    with bench_database(url) as db:
        report = verify_events(stream_events(db.session))
        heads = db.session.execute(select(ChainHead.chain, ChainHead.seq, ChainHead.hash, ChainHead.sig)).all()
        assert report.ok, report.breaks
        assert report.chains >= 12
        assert unsigned_heads(heads) == []


@pytest.mark.parametrize("path", ["transition", "orm/transition"])
def test_each_bare_transition_writes_what_it_is_compared_on(built, bare, path):
    url, data = built
    client = bare
    code = data["registered"][1 if path == "transition" else 2]
    version, before = chain(url, code)

    for _ in range(2):
        answer = client.post(f"/{path}/{code}", json={"outcome": "release"})
        assert answer.status_code == 200, answer.get_data(as_text=True)

    assert answer.get_json() == {"code": code, "version": version + 2}
    after_version, after = chain(url, code)
    assert after_version == version + 2
    assert after[: len(before)] == before
    added = after[len(before):]
    assert [e[0] for e in added] == [before[-1][0] + 1, before[-1][0] + 2]
    assert added[0][1] == before[-1][2] and added[1][1] == added[0][2]  # each links to the one before
    assert client.post(f"/{path}/NO-SUCH-CASE", json={}).status_code == 404


def test_bare_reads_answer_the_scenarios(built, bare):
    url, data = built
    client = bare
    listed = client.get("/cases?state=under_review").get_json()["items"]
    assert listed and {row["state"] for row in listed} == {"under_review"}
    assert client.get("/cases?overdue=1").status_code == 200
    page = client.get(f"/case/{data['reviewing'][0]}").get_json()
    assert page["case"]["code"] == data["reviewing"][0] and page["clocks"]


def test_caseflow_acts_on_the_built_cases_as_the_benchmark_asks(built):
    from caseflow import create_app
    from tests.conftest import app_config

    url, data = built
    app = create_app(app_config(url))
    client = app.test_client()
    token = data["tokens"]
    submitted = client.post(f"/api/v1/cases/{data['registered'][0]}/transitions/submit_for_review", json={},
                            headers={"Authorization": f"Bearer {token['registrar']}", "If-Match": '"1"'})
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    voted = client.post(f"/api/v1/cases/{data['reviewing'][0]}/votes", headers={
        "Authorization": f"Bearer {token['reviewer.justice']}"},
        json={"outcome": "release", "offence_category": "support_tasks", "reasons": "Release and hand over"})
    assert voted.status_code in (200, 201), voted.get_data(as_text=True)
    app.extensions["caseflow.db"]["engine"].dispose()
