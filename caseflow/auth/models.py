"""Organisations, users and their server-side login sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.roles import OrgKind, Role
from caseflow.db import Base, UTCDateTime, utcnow

LOCALES = ("en", "fr")


def _enum_check(column: str, values) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (_enum_check("kind", [k.value for k in OrgKind]),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_enum(self) -> OrgKind:
        return OrgKind(self.kind)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        _enum_check("role", [r.value for r in Role]),
        _enum_check("locale", LOCALES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the TOTP secret, sealed with the master key (``protection.keys``); None: not enrolled
    totp_secret: Mapped[str | None] = mapped_column(String(200))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last time step a code was accepted for: a code is good once
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    # flask-login protocol; the login id is the server-side session token, not the user id,
    # so that logging out (revoking the token) kills a replayed cookie.
    session_token = None  # set per request by the login loader; not a column

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RecoveryCode(Base):
    """One of ten single-use codes for when the authenticator is lost: the first group in clear
    (to find it), the whole code as an argon2 hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lookup: Mapped[str] = mapped_column(String(8))
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginSession(Base):
    """One row per login; the cookie holds the token, the database only its digest."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @classmethod
    def by_token(cls, session, token: str) -> LoginSession | None:
        return session.scalar(select(cls).where(cls.token_hash == token_digest(token)))


class ApiToken(Base):
    """A personal API token: shown once, stored as a SHA-256 digest, with an expiry."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


class FailedSignIn(Base):
    """A failed sign-in for an account that does not exist: a plain log row, outside the hash
    chains, so that a flood of them never queues on the system chain. The address tried is kept
    only as a keyed digest (the same for the same address, unreadable without the secret key)."""

    __tablename__ = "failed_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    account_digest: Mapped[str] = mapped_column(String(64))
    client_addr: Mapped[str | None] = mapped_column(String(64))
