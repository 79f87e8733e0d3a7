"""Who may do and see what is data: workflows/policy/policy.yaml, read at start-up. A mistake stops
the start naming the key; moving a permission is a change of the file, not of the code."""

import pytest
import yaml

from caseflow import create_app
from caseflow.config import PROJECT_ROOT
from caseflow.policy import PolicyError
from tests.conftest import app_config, apps_on, csrf_token, login

POLICY = PROJECT_ROOT / "workflows" / "policy" / "policy.yaml"


@pytest.fixture
def apps(database):
    """``apps(**config)``: an app on the test database; its connections closed after the test."""
    make = apps_on(database)
    yield make
    make.close()


def policy_file(tmp_path, change) -> str:
    raw = yaml.safe_load(POLICY.read_text())
    change(raw)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


@pytest.mark.parametrize("change, key", [
    (lambda raw: raw["scope"].update({"auditour": "all"}), "scope.auditour"),
    (lambda raw: raw["scope"].update({"partner": "everything"}), "scope.partner"),
    (lambda raw: raw["may"].update({"export_many": ["auditor", "nobody"]}), "may.export_many"),
    (lambda raw: raw.update({"mayy": {}}), "mayy"),
])
def test_a_mistake_in_the_policy_stops_start_up_naming_the_key(tmp_path, database, change, key):
    with pytest.raises(PolicyError) as err:
        create_app(app_config(database.url, POLICY_FILE=policy_file(tmp_path, change)))
    assert key in str(err.value)


def test_moving_a_permission_is_a_change_of_the_file(tmp_path, apps):
    """The shipped file lets only auditors open the export page; a file that adds reviewers lets them."""
    shipped = apps()
    client = shipped.test_client()
    login(client, "reviewer.un@caseflow.demo")
    assert client.get("/exports/").status_code == 403
    moved = apps(POLICY_FILE=policy_file(
        tmp_path, lambda raw: raw["may"]["export_many"].append("reviewer")))
    client = moved.test_client()
    login(client, "reviewer.un@caseflow.demo")
    page = client.get("/exports/")
    assert page.status_code == 200 and 'href="/exports/"' in page.get_data(as_text=True)  # and in the menu


def test_a_role_the_scope_does_not_name_sees_no_case(tmp_path, apps):
    without = apps(POLICY_FILE=policy_file(tmp_path, lambda raw: raw["scope"].pop("registrar")))
    from sqlalchemy import select

    from caseflow.auth.models import User
    from caseflow.cases.models import Case
    from caseflow.cases.scope import can_view, visible_to
    from caseflow.extensions import db

    with without.app_context():
        registrar = db.session.scalar(select(User).where(User.email == "registrar@caseflow.demo"))
        case = Case(registering_org_id=registrar.organisation_id)  # one the shipped file lets them see
        assert not can_view(registrar, case)
        assert db.session.scalar(select(Case.id).where(visible_to(registrar)).limit(1)) is None
    with apps().app_context():
        registrar = db.session.scalar(select(User).where(User.email == "registrar@caseflow.demo"))
        assert can_view(registrar, Case(registering_org_id=registrar.organisation_id))
    client = without.test_client()
    login(client, "registrar@caseflow.demo")
    assert csrf_token(client, "/cases/new")  # registering stays theirs: another line of the file
