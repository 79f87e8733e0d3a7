"""Administration: users and organisations, every change audited; only admins; no child data."""

from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import Organisation, User


def actions(session):
    return [a for a in session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))]


def test_admin_creates_disables_changes_role_and_resets_password(client, auth, session):
    auth.login("admin")
    token = auth.token("/admin/")
    org = session.scalar(select(Organisation).where(Organisation.name == "UNICEF"))
    r = client.post("/admin/users", data={"csrf_token": token, "email": "new.auditor@example.org",
                                          "full_name": "New Auditor", "role": "auditor", "organisation_id": org.id,
                                          "password": "long-enough-password", "locale": "fr"})
    assert r.status_code == 302
    user = session.scalar(select(User).where(User.email == "new.auditor@example.org"))
    assert user.role == "auditor" and user.locale == "fr"
    client.post(f"/admin/users/{user.id}/role", data={"csrf_token": token, "role": "reviewer"})
    client.post(f"/admin/users/{user.id}/active", data={"csrf_token": token, "active": "0"})
    client.post(f"/admin/users/{user.id}/password", data={"csrf_token": token, "password": "another-long-password"})
    session.expire_all()
    user = session.get(User, user.id)
    assert user.role == "reviewer" and user.active is False
    assert {"user_created", "user_role_changed", "user_disabled", "user_password_set"} <= set(actions(session))


def test_bad_input_keeps_the_form_and_says_why(client, auth):
    auth.login("admin")
    token = auth.token("/admin/")
    r = client.post("/admin/users", data={"csrf_token": token, "email": "not-an-email", "full_name": "X",
                                          "role": "auditor", "organisation_id": "", "password": "short"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="not-an-email"' in page
    r = client.post("/admin/organisations", data={"csrf_token": token, "name": "UNICEF", "kind": "un"})
    assert r.status_code == 422


def test_organisations_can_be_created_and_disabled(client, auth, session):
    auth.login("admin")
    token = auth.token("/admin/")
    client.post("/admin/organisations", data={"csrf_token": token, "name": "Save the Children Mali",
                                              "kind": "partner_ngo"})
    org = session.scalar(select(Organisation).where(Organisation.name == "Save the Children Mali"))
    assert org.kind == "partner_ngo"
    client.post(f"/admin/organisations/{org.id}/active", data={"csrf_token": token, "active": "0"})
    session.expire_all()
    assert session.get(Organisation, org.id).active is False
    assert "organisation_disabled" in actions(session)


def test_only_admins_and_no_self_disabling(client, auth, users):
    auth.login("registrar")
    assert client.get("/admin/").status_code == 403
    auth.logout()
    auth.login("admin")
    r = client.post(f"/admin/users/{users['admin'].id}/active",
                    data={"csrf_token": auth.token("/admin/"), "active": "0"})
    assert r.status_code == 422


def test_admin_sees_no_child_data(client, auth, make_case):
    case = make_case()
    auth.login("admin")
    assert client.get(f"/cases/{case.code}").status_code == 404
    assert case.code not in client.get("/cases/").get_data(as_text=True)


def test_every_admin_button_names_its_user_or_organisation(client, auth, session):
    import re

    from sqlalchemy import select

    from caseflow.auth.models import Organisation, User

    auth.login("admin")
    page = client.get("/admin/").get_data(as_text=True)
    buttons = re.findall(r"<button type=\"submit\">([^<]*)(<span class=\"sr-only\"> — ([^<]*)</span>)?</button>", page)
    named = [b for b in buttons if b[1]]
    assert named and all(b[1] for b in buttons if b[0] in ("Disable", "Enable", "Reset", "Change"))
    import html

    names = {html.unescape(b[2]) for b in named}
    assert {u.full_name for u in session.scalars(select(User))} <= names
    assert {o.name for o in session.scalars(select(Organisation))} <= names


def test_an_admin_cannot_change_their_own_role(client, auth, session, users):
    auth.login("admin")
    token = auth.token("/admin/")
    r = client.post(f"/admin/users/{users['admin'].id}/role", data={"csrf_token": token, "role": "auditor"})
    assert r.status_code == 403 and "own role" in r.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, users["admin"].id).role == "admin"
    assert "user_role_changed" not in actions(session)
