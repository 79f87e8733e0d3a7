"""Reintegration referrals to services, and follow-up visits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import vocab
from caseflow.db import Base, UTCDateTime
from caseflow.sealing.sealed import Sealed, SealedFields, sealed_text


def _in(column, codes):
    allowed = ", ".join(f"'{c}'" for c in codes)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


class Referral(SealedFields, Base):
    __tablename__ = "referrals"
    __table_args__ = (_in("service_type", vocab.SERVICE_TYPES), _in("status", vocab.REFERRAL_STATUSES))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    service_type: Mapped[str] = mapped_column(String(20))
    provider_sealed: Mapped[str] = sealed_text("provider", nullable=False)
    provider = Sealed("provider_sealed")
    referred_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    notes_sealed: Mapped[str | None] = sealed_text("notes")
    notes = Sealed("notes_sealed")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    case = relationship("Case", foreign_keys=[case_id])  # by name: a stage sits below the case record

    def sealing_case(self):
        """The case whose key seals this row's text."""
        return self.case

    @classmethod
    def for_case(cls, session, case_id: int) -> list[Referral]:
        return list(session.scalars(select(cls).where(cls.case_id == case_id).order_by(cls.id)))


class FollowUp(SealedFields, Base):
    __tablename__ = "follow_ups"
    __table_args__ = (_in("visit_type", vocab.FOLLOW_UP_TYPES), _in("risk_level", vocab.RISK_LEVELS))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    visit_date: Mapped[date] = mapped_column(Date)
    visit_type: Mapped[str] = mapped_column(String(20))
    findings_sealed: Mapped[str] = sealed_text("findings", nullable=False)
    findings = Sealed("findings_sealed")
    risk_level: Mapped[str] = mapped_column(String(10))
    next_visit_date: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    case = relationship("Case", foreign_keys=[case_id])  # by name: a stage sits below the case record

    def sealing_case(self):
        """The case whose key seals this row's text."""
        return self.case

    @classmethod
    def for_case(cls, session, case_id: int) -> list[FollowUp]:
        return list(session.scalars(select(cls).where(cls.case_id == case_id).order_by(cls.visit_date, cls.id)))
