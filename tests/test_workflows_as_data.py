"""Workflows are data: no YAML name in the Python code, what a state requires read from the file, a
third workflow written only here (YAML, no Python) taken through by API, effects in any order,
settings declared by the rules that read them, a country's settings as an overlay, and cases kept on
the version of their workflow until `flask workflows migrate` moves them."""

import ast
import re
import shutil
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from caseflow import create_app
from caseflow.audit.verify import verify_database
from caseflow.auth.models import User
from caseflow.auth.operations import create_token
from caseflow.config import PROJECT_ROOT
from caseflow.extensions import db
from caseflow.workflow.definition import WorkflowError
from tests.conftest import app_config, complete_intake, make_app
from tests.helpers import PARTNER_ORG, org_id

WORKFLOWS = PROJECT_ROOT / "workflows"
#: the modules of the rules packages, which register guards and effects for a workflow's names
RULES_MODULES = {"rules.py", "evolve.py", "outcomes.py"}


def yaml_names() -> dict[str, str]:
    names = {}
    for f in WORKFLOWS.glob("*.yaml"):
        raw = yaml.safe_load(f.read_text())
        names.update({s: "state" for s in raw["states"]})
        names.update({t["trigger"]: "trigger" for t in raw["transitions"]})
        names[raw["name"]] = "workflow"
    return names


def test_no_yaml_name_is_written_in_python_outside_the_rules_packages():
    names = yaml_names()
    quoted = re.compile(r"'(" + "|".join(map(re.escape, names)) + r")'")  # in SQL text: state = 'closed'
    found = []
    files = [p for p in (PROJECT_ROOT / "caseflow").rglob("*.py") if p.name not in RULES_MODULES]
    files += [p for p in (PROJECT_ROOT / "migrations" / "versions").glob("*.py") if p.name >= "0015"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    node.value in names or quoted.search(node.value)):
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.value[:60]!r}")
    assert not found, found


# --- an application on a folder of workflow files of the test's own -----------------------------

@pytest.fixture
def start(database, tmp_path):
    """``start(files, overlay=None)``: an app on the project's workflows plus ``files`` (name -> YAML
    text; a name under past/ is an earlier version), its writes rolled back at the end."""
    made, folders = [], iter(range(1000))

    def make(files: dict[str, str] | None = None, *, overlay: str | None = None, folder: Path | None = None,
             connection=None):
        if folder is None:
            folder = tmp_path / f"workflows{next(folders)}"
            (folder / "past").mkdir(parents=True)
            for f in WORKFLOWS.glob("*.yaml"):
                shutil.copy(f, folder)
        for name, text in (files or {}).items():
            (folder / name).write_text(textwrap.dedent(text))
        extra = {"WORKFLOWS_DIR": str(folder)}
        if overlay:
            (tmp_path / "overlay.yaml").write_text(textwrap.dedent(overlay))
            extra["SETTINGS_OVERLAY"] = str(tmp_path / "overlay.yaml")
        # a second app on a connection already writing: the people are there, nothing to write first
        app = create_app(app_config(database.url, **extra)) if connection is not None else make_app(database, **extra)
        engine = app.extensions["caseflow.db"]["engine"]
        if connection is None:
            connection = engine.connect()
            made.append((connection, connection.begin()))
        db.bind_sessions_to(app, connection, join_transaction_mode="create_savepoint")
        app.connection = connection
        engines.append(engine)
        return app

    engines: list = []
    yield make
    for conn, outer in made:
        outer.rollback()
        conn.close()
    for engine in engines:
        engine.dispose()


def bearer(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        _token, plain = create_token(db.session, user, "tests", 1)
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


TRACING = """
    # a third workflow, written only in this test: a family's request to trace a child
    name: tracing_request
    version: 1
    label: {en: Tracing request, fr: Demande de recherche}
    initial: received
    final_states: [closed]
    record:
      intake: [sex, region]
      required: [requested_by]
    fields:
      requested_by: {type: text, max_length: 120, label: {en: Requested by, fr: Demandé par}}
      relation:
        type: choice
        label: {en: Relation to the child, fr: Lien avec l'enfant}
        choices:
          mother: {en: Mother, fr: Mère}
          father: {en: Father, fr: Père}
    settings:
      case_code_prefix: TR
      tracing_days: 30
    states:
      received: {en: Received, fr: Reçue, waits_for: [registrar]}
      tracing: {en: Tracing, fr: Recherche en cours}
      closed: {en: Closed, fr: Clôturée, requires: [closed_reason]}
    transitions:
      - trigger: edit_request
        source: [received, tracing]
        dest: null
        roles: [registrar]
        guards: [intake_edit_allowed]
        schema: intake
        effects: [apply_intake_changes]
        label: {en: Edit the request, fr: Modifier la demande}
      - trigger: start_tracing
        source: received
        dest: tracing
        roles: [registrar]
        guards: [intake_complete]
        schema: comment
        label: {en: Start tracing, fr: Commencer la recherche}
      - trigger: close
        source: [received, tracing]
        dest: closed
        roles: [registrar]
        guards: [closure_allowed]
        schema: closure
        effects: [close_case]
        options:
          closure_reasons:
            other: {roles: [registrar]}
        label: {en: Close the request, fr: Clôturer la demande}
    clocks:
      tracing:
        label: {en: Tracing due, fr: Recherche attendue}
        anchor: state_entered
        limit: tracing_days
        unit: days
        states: [tracing]
"""


def test_a_third_workflow_written_only_in_the_test_runs_by_api(start):
    app = start({"tracing_request.yaml": TRACING})
    client = app.test_client()
    reg = bearer(app, "registrar@caseflow.demo")
    doc = client.get("/api/v1/workflows/tracing_request", headers=reg).get_json()
    assert doc["initial"] == "received" and doc["version"] == 1

    r = client.post("/api/v1/cases", json={"workflow": "tracing_request", "sex": "female", "region": "Gao",
                                           "relation": "mother"}, headers=reg)
    assert r.status_code == 201, r.get_json()
    code = r.get_json()["code"]
    assert code.startswith("TR-") and r.get_json()["state"] == "received"
    r = client.post(f"/api/v1/cases/{code}/transitions/start_tracing", json={}, headers={**reg, "If-Match": '"1"'})
    assert r.status_code == 422 and "Demandé par" in r.get_json()["detail"]  # its own field, in French
    r = client.patch(f"/api/v1/cases/{code}", json={"requested_by": "Her mother, A. Maïga"},
                     headers={**reg, "If-Match": '"1"'})
    assert r.status_code == 200, r.get_json()
    r = client.post(f"/api/v1/cases/{code}/transitions/start_tracing", json={}, headers={**reg, "If-Match": '"2"'})
    assert r.status_code == 200 and r.get_json()["state"] == "tracing"
    assert [c["name"] for c in r.get_json()["clocks"]] == ["tracing"]
    r = client.post(f"/api/v1/cases/{code}/transitions/close", json={"reason": "other", "notes": "Found"},
                    headers={**reg, "If-Match": '"3"'})
    assert r.status_code == 200 and r.get_json()["state"] == "closed"
    r = client.post("/api/v1/cases", json={"workflow": "no_such_flow", "sex": "female"}, headers=reg)
    assert r.status_code == 422 and "workflow" in r.get_json()["errors"]
    r = client.post("/api/v1/cases", json={"workflow": "tracing_request", "detaining_authority": "X"}, headers=reg)
    assert r.status_code == 422 and "detaining_authority" in r.get_json()["errors"]
    with app.app_context():
        assert verify_database(db.session).ok


def test_a_state_without_what_it_requires_is_refused_and_nothing_is_written(start):
    broken = TRACING.replace("effects: [close_case]", "effects: []").replace("tracing_request", "tracing_broken") \
        .replace("case_code_prefix: TR", "case_code_prefix: TB")
    app = start({"tracing_broken.yaml": broken})
    client = app.test_client()
    reg = bearer(app, "registrar@caseflow.demo")
    code = client.post("/api/v1/cases", json={"workflow": "tracing_broken", "sex": "male"}, headers=reg) \
        .get_json()["code"]
    r = client.post(f"/api/v1/cases/{code}/transitions/close", json={"reason": "other"},
                    headers={**reg, "If-Match": '"1"'})
    assert r.status_code == 422 and "Motif de clôture" in r.get_json()["detail"]  # the registrar reads French
    after = client.get(f"/api/v1/cases/{code}", headers=reg).get_json()
    assert after["state"] == "received" and after["version"] == 1


def test_audit_verify_reports_a_state_without_what_it_requires(start):
    app = start({"tracing_request.yaml": TRACING})
    client = app.test_client()
    reg = bearer(app, "registrar@caseflow.demo")
    code = client.post("/api/v1/cases", json={"workflow": "tracing_request", "sex": "male"}, headers=reg) \
        .get_json()["code"]
    client.post(f"/api/v1/cases/{code}/transitions/close", json={"reason": "other"},
                headers={**reg, "If-Match": '"1"'})
    with app.app_context():
        from sqlalchemy import text

        db.session.execute(text("UPDATE cases SET closed_reason = NULL WHERE code = :c"), {"c": code})
        report = verify_database(db.session, code)
        assert any("without closed_reason" in b.problem for b in report.breaks)


def test_effects_may_come_in_any_order(start, clock):
    raw = yaml.safe_load((WORKFLOWS / "detained_child.yaml").read_text())
    for t in raw["transitions"]:
        if t["trigger"] in ("decide_release", "decide_not_a_child"):
            t["effects"] = list(reversed(t["effects"]))
    app = start({"detained_child.yaml": yaml.safe_dump(raw, allow_unicode=True)})
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        from caseflow.cases.operations import register_case
        from tests.helpers import release, submit

        users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
        case = register_case(db.session, complete_intake(), users["registrar"], workflow="detained_child")
        submit(db.session, case, users)
        release(db.session, case, users)
        assert case.state == "handover_pending" and case.receiving_org_id == org_id(db.session, PARTNER_ORG)
        assert verify_database(db.session, case.code).ok


@pytest.mark.parametrize("mutate, message", [
    (lambda raw: raw["settings"].pop("minimum_age_criminal_responsibility"),
     "guard 'juvenile_justice_allowed' needs 'settings.minimum_age_criminal_responsibility'"),
    (lambda raw: raw.pop("quorum"), "needs 'quorum'"),
    (lambda raw: raw["settings"].pop("handover_time_limit_hours"), "handover_time_limit_hours"),
    (lambda raw: raw["states"]["closed"].update(requires=["no_such_field"]), "states.closed.requires"),
    (lambda raw: raw["states"]["closed"].update(colour="red"), "states.closed"),
    (lambda raw: raw["record"].update(required=["not_asked"]), "record.required"),
])
def test_what_a_rule_reads_is_declared_by_the_rule(start, tmp_path, mutate, message):
    raw = yaml.safe_load((WORKFLOWS / "detained_child.yaml").read_text())
    mutate(raw)
    raw["record"]["intake"] = raw["record"].get("intake") or ["sex"] if "not_asked" in str(raw["record"]) else []
    with pytest.raises(WorkflowError, match=re.escape(message)):
        start({"detained_child.yaml": yaml.safe_dump(raw, allow_unicode=True)})


def test_a_country_is_a_settings_overlay(start):
    app = start(overlay=(WORKFLOWS / "countries" / "nigeria.yaml").read_text())  # the one shipped
    wfs = app.extensions["caseflow.workflows"]
    assert wfs["detained_child"].settings["handover_time_limit_hours"] == 168
    assert wfs["detained_child"].settings["case_code_prefix"] == "NG"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        from caseflow.cases.operations import register_case

        registrar = db.session.scalar(select(User).where(User.email == "registrar@caseflow.demo"))
        case = register_case(db.session, complete_intake(), registrar, workflow="detained_child")
        clock = next(k for k in case.clocks if k.stopped_at is None)
        assert case.code.startswith("NG-") and clock.due_at - clock.started_at == timedelta(days=7)
    assert wfs["recruit_screening"].settings["handover_time_limit_hours"] == 72  # another workflow untouched
    with pytest.raises(WorkflowError, match="handover_time_limt_hours"):
        start(overlay="country: {en: X, fr: X}\nworkflows:\n  detained_child: {handover_time_limt_hours: 168}\n")
    with pytest.raises(WorkflowError, match="no workflow file has this name"):
        start(overlay="country: {en: X, fr: X}\nworkflows:\n  nowhere: {a: 1}\n")


FLOW_V1 = """
    name: versioned_flow
    version: 1
    label: {en: Versioned, fr: Versionné}
    initial: opened
    states:
      opened: {en: Opened, fr: Ouvert}
      checking: {en: Checking, fr: Vérification}
      done: {en: Done, fr: Fait}
    settings: {case_code_prefix: VF}
    record: {intake: [region]}
    transitions:
      - {trigger: check, source: opened, dest: checking, roles: [registrar], schema: comment,
         label: {en: Check, fr: Vérifier}}
      - {trigger: finish, source: checking, dest: done, roles: [registrar], schema: comment,
         label: {en: Finish, fr: Terminer}}
"""
FLOW_V2 = """
    name: versioned_flow
    version: 2
    label: {en: Versioned, fr: Versionné}
    initial: opened
    states:
      opened: {en: Opened, fr: Ouvert}
      verifying: {en: Verifying, fr: Vérification}
      done: {en: Done, fr: Fait}
    settings: {case_code_prefix: VF}
    record: {intake: [region]}
    migrate_from:
      1: {checking: verifying}
    transitions:
      - {trigger: verify, source: opened, dest: verifying, roles: [registrar], schema: comment,
         label: {en: Verify, fr: Vérifier}}
      - {trigger: conclude, source: verifying, dest: done, roles: [registrar], schema: comment,
         label: {en: Conclude, fr: Conclure}}
"""


FLOW_CASE = {"workflow": "versioned_flow", "region": "Kidal"}


def test_cases_stay_on_their_version_until_migrated(start, tmp_path):
    from caseflow.cases.commands import workflows_migrate

    v1 = start({"versioned_flow.yaml": FLOW_V1})
    reg1 = bearer(v1, "registrar@caseflow.demo")
    c1 = v1.test_client()
    first = c1.post("/api/v1/cases", json=FLOW_CASE, headers=reg1).get_json()["code"]
    second = c1.post("/api/v1/cases", json=FLOW_CASE, headers=reg1).get_json()["code"]
    assert c1.post(f"/api/v1/cases/{first}/transitions/check", json={},
                   headers={**reg1, "If-Match": '"1"'}).status_code == 200

    folder = Path(v1.config["WORKFLOWS_DIR"])
    shutil.move(folder / "versioned_flow.yaml", folder / "past" / "versioned_flow.yaml")
    v2 = start({"versioned_flow.yaml": FLOW_V2}, folder=folder, connection=v1.connection)
    c2, reg2 = v2.test_client(), bearer(v2, "registrar@caseflow.demo")
    # the running case still runs on v1: its triggers, not v2's
    r = c2.post(f"/api/v1/cases/{second}/transitions/verify", json={}, headers={**reg2, "If-Match": '"1"'})
    assert r.status_code == 404
    new = c2.post("/api/v1/cases", json=FLOW_CASE, headers=reg2).get_json()["code"]
    assert c2.post(f"/api/v1/cases/{new}/transitions/verify", json={},
                   headers={**reg2, "If-Match": '"1"'}).status_code == 200

    result = v2.test_cli_runner().invoke(workflows_migrate, ["versioned_flow"])
    assert result.exit_code == 0, result.output
    assert f"{first}: v1 checking -> v2 verifying" in result.output and "2 cases moved" in result.output
    body = c2.get(f"/api/v1/cases/{first}", headers=reg2).get_json()
    assert body["state"] == "verifying" and body["version"] == 3
    assert c2.post(f"/api/v1/cases/{first}/transitions/conclude", json={},
                   headers={**reg2, "If-Match": '"3"'}).get_json()["state"] == "done"
    history = c2.get(f"/api/v1/cases/{first}/history", headers=reg2).get_json()
    assert "workflow_migrated" in [e["action"] for e in history["events"]]
    with v2.app_context():
        report = verify_database(db.session)
        assert report.ok, [b.describe() for b in report.breaks][:3]
    again = v2.test_cli_runner().invoke(workflows_migrate, ["versioned_flow"])
    assert "0 cases moved" in again.output


def test_the_readme_pictures_are_the_workflows_in_force(app, tmp_path):
    from caseflow.cases.commands import workflows_draw

    result = app.test_cli_runner().invoke(workflows_draw, [str(tmp_path)])
    assert result.exit_code == 0, result.output
    drawn = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert drawn == sorted(f"{name}.svg" for name in app.extensions["caseflow.workflows"])
    for name in drawn:  # `flask workflows draw docs/workflows` after changing a workflow file
        assert (tmp_path / name).read_text() == (PROJECT_ROOT / "docs" / "workflows" / name).read_text(), name
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert all(f"docs/workflows/{name}" in readme for name in drawn)
