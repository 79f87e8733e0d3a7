"""Login done right: argon2id, CSRF, server-side logout, throttling, disabled users, timeouts."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import LoginSession, User
from caseflow.auth.operations import set_active
from caseflow.auth.passwords import hash_password, verify_password
from caseflow.db import utcnow
from caseflow.extensions import db
from tests.conftest import csrf_token


def events(session, action):
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_passwords_are_hashed_with_argon2id(users):
    assert users["registrar"].password_hash.startswith("$argon2id$")
    h = hash_password("correct horse battery")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct horse battery")
    assert not verify_password(h, "correct horse batterx")
    assert not verify_password(None, "anything")


def test_login_and_dashboard(client, auth):
    r = auth.login("registrar")
    assert r.status_code == 302 and r.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Moussa Keita" in page


def test_login_records_an_event(client, auth, app):
    auth.login("registrar")
    with app.app_context():
        assert events(db.session, "login") >= 1


def test_wrong_password_is_refused_and_recorded(client, auth, app):
    r = auth.login("registrar", "not-the-password")
    assert r.status_code == 200
    assert "not right" in r.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # still anonymous
    with app.app_context():
        assert events(db.session, "login_failed") >= 1


def test_login_without_csrf_token_is_refused(client):
    r = client.post("/login", data={"email": "registrar@caseflow.demo", "password": "caseflow-demo-2026"})
    assert r.status_code == 400
    assert client.get("/dashboard").status_code == 302


def test_logout_requires_post_with_csrf(client, auth):
    auth.login("registrar")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200


def test_cookie_replayed_after_logout_is_rejected(client, auth, app):
    auth.login("registrar")
    cookie = client.get_cookie("caseflow_session")
    assert cookie is not None and client.get("/dashboard").status_code == 200
    auth.logout()
    assert client.get("/dashboard").status_code == 302
    replay = app.test_client()
    replay.set_cookie("caseflow_session", cookie.value)
    assert replay.get("/dashboard").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, auth):
    r = auth.login("registrar")
    header = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("caseflow_session=")][0]
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_disabled_user_cannot_log_in_and_open_sessions_end(client, auth, app):
    auth.login("partner")
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "partner@caseflow.demo"))
        set_active(db.session, user, False)
        db.commit()
    assert client.get("/dashboard").status_code == 302
    assert auth.login("partner").status_code == 200  # refused, form shown again
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize("column, minutes", [("last_seen_at", 31), ("created_at", 13 * 60)])
def test_idle_and_absolute_timeouts(client, auth, app, column, minutes):
    auth.login("auditor")
    with app.app_context():
        row = db.session.scalars(select(LoginSession).order_by(LoginSession.id.desc())).first()
        setattr(row, column, utcnow() - timedelta(minutes=minutes))
        if column == "created_at":
            row.last_seen_at = utcnow()
        db.commit()
    assert client.get("/dashboard").status_code == 302


def test_next_parameter_only_goes_to_this_site(client):
    token = csrf_token(client)
    r = client.post("/login", data={"csrf_token": token, "email": "auditor@caseflow.demo",
                                    "password": "caseflow-demo-2026", "next": "https://evil.example/"})
    assert r.headers["Location"].endswith("/dashboard")


@pytest.mark.parametrize("role, visible, hidden", [
    ("registrar", ['href="/cases/new"', 'href="/cases/"'], []),
    ("admin", [], ['href="/cases/new"', 'href="/cases/"']),
    ("reviewer.un", ['href="/cases/"'], ['href="/cases/new"']),
    ("auditor", ['href="/cases/"'], ['href="/cases/new"']),
])
def test_navigation_follows_the_role(client, auth, role, visible, hidden):
    auth.login(role)
    page = client.get("/dashboard").get_data(as_text=True)
    for text in visible:
        assert text in page
    for text in hidden:
        assert text not in page


def test_registration_page_is_refused_to_other_roles(client, auth):
    auth.login("reviewer.un")
    assert client.get("/cases/new").status_code == 403


class TestLanguagePrecedence:
    """Stored preference > the switch before signing in > Accept-Language > English; the switch used
    on the sign-in page becomes the stored preference."""

    def lang(self, client, path="/login", **headers):
        import re

        page = client.get(path, headers=headers).get_data(as_text=True)
        return re.search(r'<html lang="(\w+)"', page).group(1)

    def test_before_signing_in(self, client):
        assert self.lang(client) == "en"
        assert self.lang(client, **{"Accept-Language": "fr-ML,fr;q=0.9"}) == "fr"
        client.post("/language", data={"csrf_token": csrf_token(client, "/login"), "locale": "en", "next": "/login"})
        assert self.lang(client, **{"Accept-Language": "fr"}) == "en"  # the switch beats the browser

    def test_the_stored_preference_beats_the_browser(self, client, auth, session, users):
        users["auditor"].locale = "en"
        session.commit()
        auth.login("auditor")
        assert self.lang(client, "/dashboard", **{"Accept-Language": "fr"}) == "en"

    def test_the_switch_on_the_sign_in_page_is_kept(self, client, auth, session, users):
        users["auditor"].locale = "en"
        session.commit()
        client.post("/language", data={"csrf_token": csrf_token(client, "/login"), "locale": "fr", "next": "/login"})
        auth.login("auditor")
        assert self.lang(client, "/dashboard") == "fr"
        session.expire_all()
        assert session.get(User, users["auditor"].id).locale == "fr"
        changed = session.scalars(select(AuditEvent).where(AuditEvent.action == "user_language_changed")
                                  .order_by(AuditEvent.id.desc())).first()
        assert changed.details["locale"] == ["en", "fr"]
