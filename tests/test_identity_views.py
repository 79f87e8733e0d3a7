"""Need to know for identity: which roles may see who a child is, and why, is the workflow file's;
every path that shows an identity appends an event that names its purpose (a reveal, the edit form
that pre-fills it, a search by name, an import's duplicate check); reviewers and admins never see it."""

from datetime import date

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.cases.operations import reveal_identity
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.imports.operations import file_digest, preview
from tests.helpers import opened, release, request_assessment, submit
from tests.test_imports import workbook


def events(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.mark.parametrize("who, purpose, allowed", [
    ("registrar", "duplicate_check", True), ("registrar", "edit_record", True), ("registrar", "audit", False),
    ("auditor", "audit", True), ("auditor", "family_tracing", False),
    ("partner", "identify_at_handover", True), ("partner", "family_tracing", True),
    ("assessor", "age_assessment", True), ("assessor", "audit", False),
])
def test_each_role_reveals_only_for_its_own_purposes(session, users, make_case, who, purpose, allowed):
    case = make_case(given_name="Mariam", date_of_birth=date(2011, 5, 4).isoformat())
    submit(session, case, users)
    request_assessment(session, case, users)  # the assessor's organisation now has the case
    if who == "partner":
        case = make_case(given_name="Mariam")
        submit(session, case, users)
        release(session, case, users)
    if not allowed:
        with pytest.raises(ValidationFailed) as err:
            reveal_identity(session, case, users[who], purpose)
        assert "purpose" in err.value.errors
        return
    shown = reveal_identity(session, case, users[who], purpose)
    assert shown["given_name"] == "Mariam"
    [event] = [e for e in events(session, "identity_viewed") if e.case_id == case.id]
    assert event.details["purpose"] == purpose and event.actor_id == users[who].id


@pytest.mark.parametrize("who", ["reviewer.un", "reviewer.defence", "admin"])
def test_reviewers_and_admins_never_see_who_the_child_is(session, users, make_case, client, auth, who):
    case = make_case(given_name="Boubacar")
    submit(session, case, users)
    session.commit()
    with pytest.raises(Forbidden):
        reveal_identity(session, case, users[who], "audit")
    if who.startswith("reviewer"):
        auth.login(who)
        page = client.get(f"/cases/{case.code}").get_data(as_text=True)
        assert "Boubacar" not in page and 'action="/cases/' + case.code + '/identity"' not in page
        r = client.post(f"/cases/{case.code}/identity", data={"csrf_token": auth.token(f"/cases/{case.code}"),
                                                              "purpose": "audit"})
        assert r.status_code == 403 and "Boubacar" not in r.get_data(as_text=True)


def test_the_edit_form_that_shows_the_identity_records_the_view(client, auth, session, make_case):
    case = make_case(given_name="Fanta", family_name="Keita")
    session.commit()
    auth.login("registrar")
    page = client.get(f"/cases/{case.code}/act/edit_intake").get_data(as_text=True)
    assert 'value="Fanta"' in page
    [event] = [e for e in events(session, "identity_viewed") if e.case_id == case.id]
    assert event.details == {"fields": ["given_name", "family_name"], "purpose": "edit_record"}


def test_an_imports_duplicate_check_is_a_recorded_search(session, users, make_case, tmp_path):
    make_case(given_name="Child1", family_name="Doe", date_of_birth="2012-02-29")
    path = workbook(tmp_path, [["Child1", "Doe", "Male", "2012-02-29", None, "Mopti", "2026-01-02 08:00",
                                "Gendarmerie", "Prison", "REF-77"]])
    result = preview(session, path, "list.xlsx", file_digest(path), users["registrar"])
    assert any("like case" in d for d in result.rows[0].duplicates)
    [search] = events(session, "identity_searched")
    assert search.details["purpose"] == "duplicate_check" and search.details["found"] == 1
    assert "Child1" not in str(search.details) and opened(session, search)["values"]["query"]["names"] == [
        ["Child1", "Doe", "2012-02-29"]]
