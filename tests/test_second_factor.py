"""The second factor (TOTP, with recovery codes): required at sign-in for the roles configured — by
default every role a workflow lets see identities — enrolled at the first sign-in, each code good
once, computed here with the application's clock moved by the test; a wrong or missing code refuses
the sign-in; an administrator's reset ends the person's sessions; every step recorded."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import RecoveryCode, User
from caseflow.extensions import db
from tests.conftest import PASSWORD, csrf_token, make_app

SECOND_FACTOR_ROLES = ("registrar", "assessor", "partner", "auditor")  # the default: who sees identities


@pytest.fixture
def app2(database):
    """The app as configured by default (``SECOND_FACTOR_ROLES`` unset), its writes rolled back."""
    app = make_app(database, SECOND_FACTOR_ROLES=None)
    engine = app.extensions["caseflow.db"]["engine"]
    conn = engine.connect()
    outer = conn.begin()
    db.bind_sessions_to(app, conn, join_transaction_mode="create_savepoint")
    yield app
    outer.rollback()
    conn.close()
    engine.dispose()


@pytest.fixture
def frozen(clock):
    clock.freeze(datetime(2026, 11, 29, 10, 0, 5, tzinfo=UTC))
    return clock


def sign_in(client, email):
    return client.post("/login", data={"csrf_token": csrf_token(client), "email": email, "password": PASSWORD})


def send_code(client, path, code):
    return client.post(path, data={"csrf_token": csrf_token(client, path), "code": code})


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def actions(app, email):
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == email))
        return [a for a in db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == uid)
                                               .order_by(AuditEvent.id))]


def enrol(client, email, frozen):
    r = sign_in(client, email)
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page  # the QR code, drawn on the server
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    assert send_code(client, "/login/enrol", "000000").status_code == 422 and not signed_in(client)
    r = send_code(client, "/login/enrol", pyotp.TOTP(secret).at(frozen.now()))
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/recovery-codes")
    codes = re.findall(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>",
                       client.get("/login/recovery-codes").get_data(as_text=True))
    assert len(set(codes)) == 10
    assert "<code>" not in client.get("/login/recovery-codes", follow_redirects=True).get_data(as_text=True)
    assert signed_in(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    frozen.advance(timedelta(seconds=30))  # the enrolment's code is spent: the next one comes 30 s later
    return secret, codes


@pytest.mark.parametrize("role_user", ["registrar", "assessor", "partner", "auditor"])
def test_each_role_that_sees_identities_needs_its_second_factor(app2, frozen, role_user):
    email = f"{role_user}@caseflow.demo"
    client = app2.test_client()
    secret, _codes = enrol(client, email, frozen)

    r = sign_in(client, email)
    assert r.headers["Location"].endswith("/login/code") and not signed_in(client)
    assert client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code")}).status_code == 422
    assert send_code(client, "/login/code", "123456").status_code == 422 and not signed_in(client)
    code = pyotp.TOTP(secret).at(frozen.now())
    assert send_code(client, "/login/code", code).status_code == 302 and signed_in(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})

    sign_in(client, email)  # the same code again, in the same 30 seconds: spent
    assert send_code(client, "/login/code", code).status_code == 422 and not signed_in(client)
    frozen.advance(timedelta(seconds=30))
    assert send_code(client, "/login/code", pyotp.TOTP(secret).at(frozen.now())).status_code == 302
    assert signed_in(client)
    done = actions(app2, email)
    assert "second_factor_enrolled" in done and done.count("second_factor_failed") >= 3
    with app2.app_context():
        logins = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login",
                                                             AuditEvent.actor_name.is_not(None))
                                    .order_by(AuditEvent.id.desc()).limit(1)).all()
        assert logins[0].details == {"second_factor": "totp"}


def test_a_code_from_another_time_or_a_waiting_too_long_is_refused(app2, frozen):
    client = app2.test_client()
    secret, _codes = enrol(client, "registrar@caseflow.demo", frozen)
    sign_in(client, "registrar@caseflow.demo")
    stale = pyotp.TOTP(secret).at(frozen.now() - timedelta(minutes=2))
    assert send_code(client, "/login/code", stale).status_code == 422
    frozen.advance(timedelta(minutes=6))  # the password step is five minutes old at most
    assert client.get("/login/code").headers["Location"].endswith("/login")
    r = client.post("/login/code", data={"csrf_token": csrf_token(client), "code": pyotp.TOTP(secret).at(frozen.now())})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login") and not signed_in(client)


def test_a_recovery_code_works_once(app2, frozen):
    client = app2.test_client()
    _secret, codes = enrol(client, "partner@caseflow.demo", frozen)
    sign_in(client, "partner@caseflow.demo")
    assert send_code(client, "/login/code", codes[3].upper()).status_code == 302 and signed_in(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    sign_in(client, "partner@caseflow.demo")
    assert send_code(client, "/login/code", codes[3]).status_code == 422 and not signed_in(client)
    assert "recovery_code_used" in actions(app2, "partner@caseflow.demo")
    with app2.app_context():
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert stored and not any(c in h for c in codes for h in stored)  # hashes only


def test_roles_that_never_see_identities_sign_in_with_a_password(app2):
    for who in ("reviewer.un@caseflow.demo", "admin@caseflow.demo"):
        client = app2.test_client()
        r = sign_in(client, who)
        assert r.status_code == 302 and r.headers["Location"].endswith("/dashboard") and signed_in(client)


def test_an_admins_reset_ends_the_sessions_and_asks_for_a_new_enrolment(app2, frozen):
    auditor, admin = app2.test_client(), app2.test_client()
    enrol(auditor, "auditor@caseflow.demo", frozen)
    secret = None
    sign_in(auditor, "auditor@caseflow.demo")
    with app2.app_context():
        from caseflow.auth.second_factor import secret_of

        user = db.session.scalar(select(User).where(User.email == "auditor@caseflow.demo"))
        secret = secret_of(user)
        assert user.totp_secret.startswith("s1.") and secret not in user.totp_secret  # sealed, not in clear
        uid = user.id
    send_code(auditor, "/login/code", pyotp.TOTP(secret).at(frozen.now()))
    assert signed_in(auditor)
    sign_in(admin, "admin@caseflow.demo")
    r = admin.post(f"/admin/users/{uid}/second-factor", data={"csrf_token": csrf_token(admin, "/admin/")})
    assert r.status_code == 302
    assert not signed_in(auditor)  # its session ended
    r = sign_in(auditor, "auditor@caseflow.demo")
    assert r.headers["Location"].endswith("/login/enrol")
    with app2.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "second_factor_reset")).one()
        assert event.details == {"user": "auditor@caseflow.demo"} and event.actor_name
        assert db.session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == uid)) is None


def test_the_demo_users_sign_in_with_the_printed_key(app2, frozen):
    from caseflow.demo import DEMO_TOTP_SECRET, enrol_demo_users

    with app2.app_context():
        enrol_demo_users(db.session)
        db.session.commit()
    client = app2.test_client()
    assert sign_in(client, "registrar@caseflow.demo").headers["Location"].endswith("/login/code")
    assert send_code(client, "/login/code", pyotp.TOTP(DEMO_TOTP_SECRET).at(frozen.now())).status_code == 302
    assert signed_in(client)
