"""Verbs on users and sessions. They add and flush; the request or CLI command commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from caseflow.audit.log import record
from caseflow.auth import touch
from caseflow.auth.models import LOCALES, ApiToken, FailedSignIn, LoginSession, Organisation, User, token_digest
from caseflow.auth.passwords import hash_password, needs_rehash, verify_password
from caseflow.auth.roles import OrgKind, Role
from caseflow.db import utcnow
from caseflow.errors import Forbidden, NotFound, ValidationFailed


@dataclass
class LoginResult:
    user: User | None
    token: str | None = None


def account_key(email: str) -> str:
    """A keyed digest of an e-mail address as typed: the rate limits' and the failure log's key, the
    same whether or not such an account exists."""
    import hashlib
    import hmac

    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, (email or "").strip().lower().encode(), hashlib.sha256).hexdigest()


def validate_password(password: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise ValidationFailed(errors={"password": [_("At least %(n)d characters.", n=minimum)]})
    if len(password) > 1024:
        raise ValidationFailed(errors={"password": [_("At most 1024 characters.")]})


def find_user(session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))


def authenticate(session, email: str, password: str, *, complete: bool = True) -> LoginResult:
    """Check a login and record the outcome. Unknown, disabled and wrong-password answers are the
    same and take the same time (a full argon2 verification against a dummy hash for an unknown
    account); repeated attempts are limited per address and per account by the rate limiter, for
    accounts that exist and those that do not alike."""
    from flask import request

    now = utcnow()
    user = find_user(session, email)
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is None:
        session.add(FailedSignIn(at=now, account_digest=account_key(email), client_addr=request.remote_addr))
        return LoginResult(None)
    if not ok or not user.active or not user.organisation.active:
        reason = "wrong password" if not ok else "account disabled"
        record(session, "login_failed", actor=user, details={"reason": reason})
        return LoginResult(None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not complete:  # the password is right; the second factor comes next
        return LoginResult(user)
    return LoginResult(user, open_login(session, user))


def open_login(session, user: User, second_factor: str | None = None) -> str:
    """A new server-side session for a sign-in that is complete (password, and the second factor
    where one is required); gives the token the cookie holds."""
    now = utcnow()
    token = LoginSession.new_token()
    session.add(LoginSession(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
    record(session, "login", actor=user, details={"second_factor": second_factor} if second_factor else None)
    session.flush()
    return token


def logout(session, user: User) -> None:
    if user.session_token:
        session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == token_digest(user.session_token))
            .values(revoked_at=utcnow())
        )
    record(session, "logout", actor=user)


def revoke_sessions(session, user: User) -> None:
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def get_organisation(session, name: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        raise NotFound(_("No organisation named %(name)s.", name=name))
    return org


def create_organisation(session, name: str, kind: str, actor=None) -> Organisation:
    if kind not in {k.value for k in OrgKind}:
        raise ValidationFailed(errors={"kind": [_("Unknown organisation kind.")]})
    if not (name or "").strip():
        raise ValidationFailed(errors={"name": [_("A name is required.")]})
    if session.scalar(select(Organisation).where(Organisation.name == name.strip())):
        raise ValidationFailed(errors={"name": [_("An organisation with this name exists.")]})
    org = Organisation(name=name.strip(), kind=kind)
    session.add(org)
    session.flush()
    record(session, "organisation_created", actor=actor, details={"organisation": org.name, "kind": kind})
    return org


def create_user(session, *, email: str, full_name: str, role: str, organisation: Organisation,
                password: str, locale: str = "en", actor=None) -> User:
    errors = {}
    email = (email or "").strip()
    if "@" not in email or len(email) > 254:
        errors["email"] = [_("A valid e-mail address is required.")]
    elif find_user(session, email) is not None:
        errors["email"] = [_("A user with this e-mail address exists.")]
    if not (full_name or "").strip():
        errors["full_name"] = [_("A name is required.")]
    if role not in {r.value for r in Role}:
        errors["role"] = [_("Unknown role.")]
    if locale not in LOCALES:
        errors["locale"] = [_("Unknown language.")]
    if errors:
        raise ValidationFailed(errors=errors)
    validate_password(password)
    user = User(email=email, full_name=full_name.strip(), role=role, organisation_id=organisation.id,
                locale=locale, password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    record(session, "user_created", actor=actor,
           details={"user": user.email, "role": role, "organisation": organisation.name})
    return user


def set_active(session, user: User, active: bool, actor=None) -> None:
    if user.active == active:
        return
    user.active = active
    if not active:
        revoke_sessions(session, user)
    record(session, "user_enabled" if active else "user_disabled", actor=actor, details={"user": user.email})


def set_role(session, user: User, role: str, actor=None) -> None:
    """Another person's role: nobody changes their own (an administrator who made themselves auditor
    would read identities), so two people are needed to give an account another role."""

    if actor is not None and actor.id == user.id:
        raise Forbidden(_("Nobody may change their own role: another administrator must."))
    if role not in {r.value for r in Role}:
        raise ValidationFailed(errors={"role": [_("Unknown role.")]})
    before = user.role
    if before == role:
        return
    user.role = role
    revoke_sessions(session, user)  # a new role starts with a new login
    record(session, "user_role_changed", actor=actor, details={"user": user.email, "role": [before, role]})


def set_password(session, user: User, password: str, actor=None) -> None:
    validate_password(password)
    user.password_hash = hash_password(password)
    revoke_sessions(session, user)
    record(session, "user_password_set", actor=actor, details={"user": user.email})


def set_locale(session, user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationFailed(errors={"locale": [_("Unknown language.")]})
    if user.locale != locale:
        record(session, "user_language_changed", actor=user, details={"locale": [user.locale, locale]})
        user.locale = locale


def set_organisation_active(session, org: Organisation, active: bool, actor=None) -> None:
    if org.active == active:
        return
    org.active = active
    if not active:
        for user in session.scalars(select(User).where(User.organisation_id == org.id)):
            revoke_sessions(session, user)
    record(session, "organisation_enabled" if active else "organisation_disabled", actor=actor,
           details={"organisation": org.name})


TOKEN_PREFIX = "cf_"  # noqa: S105 - a marker, not a secret


def create_token(session, user: User, name: str, days: int, actor=None) -> tuple[ApiToken, str]:
    """A new token for ``user``; the plain token is returned once and never stored."""
    import secrets

    errors = {}
    if not (name or "").strip() or len(name) > 100:
        errors["name"] = [_("A name of at most 100 characters is required.")]
    if not isinstance(days, int) or not 1 <= days <= 365:
        errors["days"] = [_("Between 1 and 365 days.")]
    if errors:
        raise ValidationFailed(errors=errors)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip(), token_hash=token_digest(plain), prefix=plain[:10],
                     created_at=utcnow(), expires_at=utcnow() + timedelta(days=days))
    session.add(token)
    session.flush()
    record(session, "api_token_created", actor=actor or user,
           details={"user": user.email, "token": token.prefix, "name": token.name, "expires_at": token.expires_at})
    return token, plain


def revoke_token(session, token: ApiToken, actor) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, "api_token_revoked", actor=actor, details={"user": token.user.email, "token": token.prefix})


def user_for_token(session, plain: str) -> User | None:
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(plain)))
    if token is None or not token.usable or not token.user.active or not token.user.organisation.active:
        return None
    now = utcnow()
    if touch.due(token.last_used_at, now):  # never inside this request's transaction
        touch.touch_after_request(ApiToken.last_used_at, token.id, now)
    return token.user
