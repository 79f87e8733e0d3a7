"""What identifies a child, kept apart and sealed: one data key per case (wrapped by the master key),
the identity sealed with it, and a blind index of its words for searching by name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, UTCDateTime, utcnow


class CaseKey(Base):
    """A case's data key, sealed with the master key. Erasure destroys it (``wrapped`` becomes NULL):
    everything sealed with it — the identity, the identifying part of its audit events — is then
    unreadable for good, while every hash over it still verifies."""

    __tablename__ = "case_keys"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    wrapped: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseIdentity(Base):
    """The identifying fields of a case (names, date of birth, a workflow's identifying fields),
    sealed with the case's data key; deleted at erasure."""

    __tablename__ = "case_identities"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)


class IdentityToken(Base):
    """A blind index: a keyed hash (HMAC) of each word of a name, and of the date of birth, so that a
    search by name finds cases without any name being stored in clear; deleted at erasure."""

    __tablename__ = "identity_tokens"
    __table_args__ = (Index("ix_identity_tokens_token", "token", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64))
