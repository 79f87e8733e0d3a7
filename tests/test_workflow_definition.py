"""Workflows are data: the YAML is validated at start-up, with the file and key in the message."""

import shutil
from pathlib import Path

import pytest
import yaml

from caseflow import create_app
from caseflow.config import PROJECT_ROOT
from caseflow.workflow.definition import WorkflowError
from tests.conftest import app_config

DEFAULT = PROJECT_ROOT / "workflows" / "detained_child.yaml"


def write_workflow(folder: Path, mutate=None, name="detained_child") -> Path:
    raw = yaml.safe_load(DEFAULT.read_text())
    raw["name"] = name
    if mutate:
        mutate(raw)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


def start(folder: Path, database):
    return create_app(app_config(database.url, WORKFLOWS_DIR=str(folder)))


def set_in(path, value):
    def mutate(raw):
        node = raw
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


@pytest.mark.parametrize("mutate, key", [
    (set_in(["initial"], "nowhere"), "initial"),
    (set_in(["transitions", 1, "dest"], "limbo"), "transitions[1] (submit_for_review).dest"),
    (set_in(["transitions", 1, "source"], ["registered", "purgatory"]), "transitions[1] (submit_for_review).source"),
    (set_in(["transitions", 1, "guards"], ["intake_complete", "moon_is_full"]),
     "transitions[1] (submit_for_review).guards"),
    (set_in(["transitions", 1, "schema"], "no_such_schema"), "transitions[1] (submit_for_review).schema"),
    (set_in(["transitions", 1, "roles"], ["registrar", "janitor"]), "transitions[1] (submit_for_review).roles"),
    (set_in(["transitions", 1, "effects"], ["teleport"]), "transitions[1] (submit_for_review).effects"),
    (set_in(["transitions", 1, "label"], {"en": "Submit"}), "transitions[1] (submit_for_review).label"),
    (set_in(["states", "registered"], {"en": "Registered"}), "states.registered"),
    (set_in(["clocks", "handover", "anchor"], "sunrise"), "clocks.handover.anchor"),
    (set_in(["clocks", "handover", "limit"], "no_setting"), "clocks.handover.limit"),
    (set_in(["settings", "handover_time_limit_hours"], "two days"), "settings.handover_time_limit_hours"),
    (set_in(["quorum", "min_members"], 0), "quorum.min_members"),
])
def test_a_mistake_stops_start_up_naming_file_and_key(tmp_path, database, mutate, key):
    path = write_workflow(tmp_path, mutate)
    with pytest.raises(WorkflowError) as err:
        start(tmp_path, database)
    assert str(path) in str(err.value)
    assert key in str(err.value)


def test_a_trigger_defined_twice_from_one_state_is_refused(tmp_path, database):
    def dup(raw):
        raw["transitions"].append(dict(raw["transitions"][1]))
    write_workflow(tmp_path, dup)
    with pytest.raises(WorkflowError, match="already defined from state 'registered'"):
        start(tmp_path, database)


def test_invalid_yaml_is_reported(tmp_path, database):
    (tmp_path / "broken.yaml").write_text("name: [unclosed")
    with pytest.raises(WorkflowError, match="broken.yaml: not valid YAML"):
        start(tmp_path, database)


def test_a_second_workflow_needs_no_python(tmp_path, database):
    shutil.copy(DEFAULT, tmp_path / "detained_child.yaml")

    def nigeria(raw):
        raw["label"] = {"en": "Nigeria handover protocol (2022)", "fr": "Protocole de remise du Nigeria (2022)"}
        raw["settings"]["handover_time_limit_hours"] = 168
        raw["settings"]["case_code_prefix"] = "NG"
        raw["default"] = False  # one default only
    write_workflow(tmp_path, nigeria, name="nigeria_protocol")
    app = start(tmp_path, database)
    wfs = app.extensions["caseflow.workflows"]
    assert set(wfs) == {"detained_child", "nigeria_protocol"}
    assert wfs["nigeria_protocol"].settings["handover_time_limit_hours"] == 168
    assert wfs["nigeria_protocol"].machine is not wfs["detained_child"].machine


def test_the_machine_is_built_once_per_workflow_and_holds_no_case(app):
    wf = app.extensions["caseflow.workflows"]["detained_child"]
    assert wf.machine.models == []
    assert set(wf.machine.events) == set(wf.triggers())
    assert not any(t.trigger in wf.states for t in wf.transitions)


@pytest.mark.parametrize("age", [13, 12, 0])
def test_a_minimum_age_of_criminal_responsibility_below_14_stops_start_up(tmp_path, database, age):
    path = write_workflow(tmp_path, set_in(["settings", "minimum_age_criminal_responsibility"], age))
    with pytest.raises(WorkflowError) as err:
        start(tmp_path, database)
    assert str(path) in str(err.value) and "settings.minimum_age_criminal_responsibility" in str(err.value)
    assert "at least 14" in str(err.value) and "General Comment No. 24" in str(err.value)


def test_a_country_overlay_cannot_lower_it_either(tmp_path, database):
    write_workflow(tmp_path, set_in(["settings", "minimum_age_criminal_responsibility"], 15))
    (tmp_path / "countries").mkdir()
    overlay = tmp_path / "countries" / "somewhere.yaml"
    overlay.write_text("country: {en: Somewhere, fr: Quelque part}\n"
                       "workflows:\n  detained_child:\n    minimum_age_criminal_responsibility: 12\n")
    with pytest.raises(WorkflowError) as err:
        create_app(app_config(database.url, WORKFLOWS_DIR=str(tmp_path), SETTINGS_OVERLAY=str(overlay)))
    assert str(overlay) in str(err.value) and "at least 14" in str(err.value)
    overlay.write_text(overlay.read_text().replace(": 12", ": 14"))
    create_app(app_config(database.url, WORKFLOWS_DIR=str(tmp_path), SETTINGS_OVERLAY=str(overlay)))


def test_the_shipped_files_meet_the_published_schema():
    """An officer's editor checks a file with workflows/workflow.schema.json: the shipped ones pass."""
    import json

    from jsonschema import Draft202012Validator

    schema = json.loads((PROJECT_ROOT / "workflows" / "workflow.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    folder = PROJECT_ROOT / "workflows"
    for path in sorted(folder.glob("*.yaml")) + sorted((folder / "past").glob("*.yaml")):
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], f"{path.name}: {errors[:3]}"


@pytest.mark.parametrize("mutate, where", [
    (set_in(["colour"], "blue"), "(top)"),                                  # a key no reader knows
    (set_in(["transitions", 0, "gaurds"], ["quorum_met"]), "transitions[0]"),  # a misspelt key
    (set_in(["clocks", "handover", "grace"], 2), "clocks.handover"),
])
def test_what_only_the_schema_knows_stops_start_up(tmp_path, database, mutate, where):
    write_workflow(tmp_path, mutate)
    with pytest.raises(WorkflowError, match="workflow.schema.json") as err:
        start(tmp_path, database)
    assert where in str(err.value)
