"""The second factor: a TOTP code (RFC 6238, pyotp) from an authenticator app, or one of ten
single-use recovery codes. Required at sign-in for the roles the configuration names (by default every
role a workflow lets see who a child is). Every enrolment, use, failure, recovery and reset is
recorded; an administrator's reset ends the person's sessions.

The secret is sealed with the master key; a code is accepted once (its time step is kept) and within
one step either side of the application's clock (``caseflow.clock``, which the tests move)."""

from __future__ import annotations

import secrets
from io import BytesIO

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from caseflow import clock
from caseflow.audit.log import record
from caseflow.auth.models import RecoveryCode, User
from caseflow.auth.operations import revoke_sessions
from caseflow.auth.passwords import hash_password, verify_password
from caseflow.db import is_sqlite, utcnow
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.sealing.keys import keyring

#: the Flask session key of a sign-in whose password was right and whose second factor is awaited
PENDING = "second_factor_pending"
#: how long the second step may take
PENDING_SECONDS = 300

STEP = 30
RECOVERY_CODES = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed from paper


def required(user: User) -> bool:
    return user.role in current_app.config["SECOND_FACTOR_ROLES"]


def enrolled(user: User) -> bool:
    return user.totp_secret is not None


def new_secret() -> str:
    return pyotp.random_base32()


def seal_secret(user: User, secret: str) -> str:
    return keyring().seal(secret.encode(), f"totp:{user.id}")


def secret_of(user: User) -> str:
    return keyring().open(user.totp_secret, f"totp:{user.id}").decode()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Caseflow")


def qr_svg(uri: str) -> str:
    """The enrolment QR code, as SVG drawn on the server (no script, nothing from elsewhere)."""
    out = BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2).save(out)
    return out.getvalue().decode()


def _step_of(secret: str, code: str) -> int | None:
    """The time step (now, or one either side) this code belongs to, or None."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp, now = pyotp.TOTP(secret), clock.now()
    step = int(now.timestamp()) // STEP
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(candidate * STEP), code):
            return candidate
    return None


def code_now(secret: str) -> str:
    """The code of this moment (the demo's `flask demo code`, and the tests)."""
    return pyotp.TOTP(secret).at(clock.now())


def _new_recovery_codes(session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODES):
        groups = ["".join(secrets.choice(ALPHABET) for _c in range(4)) for _g in range(3)]
        code = "-".join(groups)
        session.add(RecoveryCode(user_id=user.id, lookup=groups[0], code_hash=hash_password(code), created_at=utcnow()))
        codes.append(code)
    return codes


def enrol(session, user: User, secret: str, code: str) -> list[str]:
    """Keep the secret once a code from it is shown to work; gives the ten recovery codes (shown
    once, kept only as hashes)."""
    step = _step_of(secret, code)
    if step is None:
        record(session, "second_factor_failed", actor=user, details={"stage": "enrolment"})
        raise ValidationFailed(_("That code is not right: check the time on your phone and try again."),
                               errors={"code": [_("That code is not right.")]})
    user.totp_secret = seal_secret(user, secret)
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(session, user)
    record(session, "second_factor_enrolled", actor=user, details={"method": "totp", "recovery_codes": len(codes)})
    return codes


def check(session, user: User, code: str) -> str | None:
    """``totp`` or ``recovery_code`` when the code is good (and now spent), else None; each
    outcome recorded. The person's row is locked first: the same code sent twice at once is
    accepted once."""

    def locked(stmt, table):
        return stmt if is_sqlite(session) else stmt.with_for_update(of=table)  # not the joined organisation

    user = session.scalar(locked(select(User).where(User.id == user.id), User)
                          .execution_options(populate_existing=True))
    typed = (code or "").strip().lower()
    if "-" in typed:
        lookup = typed.split("-", 1)[0]
        for rc in session.scalars(locked(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                                   RecoveryCode.lookup == lookup,
                                                                   RecoveryCode.used_at.is_(None)), RecoveryCode)):
            if verify_password(rc.code_hash, typed):
                rc.used_at = utcnow()
                left = session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                                   RecoveryCode.used_at.is_(None),
                                                                   RecoveryCode.id != rc.id).limit(1))
                record(session, "recovery_code_used", actor=user, details={"any_left": left is not None})
                return "recovery_code"
    elif enrolled(user):
        step = _step_of(secret_of(user), typed)
        if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step = step
            return "totp"
    record(session, "second_factor_failed", actor=user, details={"stage": "sign-in"})
    return None


def reset(session, user: User, actor) -> None:
    """An administrator's reset (a lost phone): the secret and the recovery codes go, the person's
    sessions end, and they enrol again at their next sign-in."""

    if actor is not None and actor.id == user.id:
        raise Forbidden(_("Nobody may reset their own second factor: another administrator must."))
    user.totp_secret = user.totp_enrolled_at = user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    revoke_sessions(session, user)
    record(session, "second_factor_reset", actor=actor, details={"user": user.email})
