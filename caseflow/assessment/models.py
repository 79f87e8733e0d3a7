"""An age assessment: requested on a written doubt, concluded by an independent assessor."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from caseflow.auth.models import Organisation, User
from caseflow.db import Base, UTCDateTime
from caseflow.sealing.sealed import Sealed, SealedFields, sealed_text


class AgeAssessment(SealedFields, Base):
    __tablename__ = "age_assessments"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'concluded')", name="status_allowed"),
        CheckConstraint("consent IS NULL OR consent IN ('given', 'refused')", name="consent_allowed"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="range_ordered"),
        CheckConstraint(
            "status <> 'concluded' OR (consent = 'refused') OR (min_age IS NOT NULL AND max_age IS NOT NULL)",
            name="concluded_has_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="requested")
    reason_for_doubt_sealed: Mapped[str] = sealed_text("reason_for_doubt", nullable=False)
    reason_for_doubt = Sealed("reason_for_doubt_sealed")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assessor_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_appeal: Mapped[bool] = mapped_column(Boolean, default=False)
    appeal_grounds_sealed: Mapped[str | None] = sealed_text("appeal_grounds")
    appeal_grounds = Sealed("appeal_grounds_sealed")

    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent: Mapped[str | None] = mapped_column(String(10))
    consent_by_sealed: Mapped[str | None] = sealed_text("consent_by")
    consent_by = Sealed("consent_by_sealed")
    guardian_present: Mapped[bool | None] = mapped_column(Boolean)
    methods: Mapped[str | None] = mapped_column(String(200))  # comma-separated, in the order used
    independence_declared: Mapped[bool | None] = mapped_column(Boolean)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    findings_sealed: Mapped[str | None] = sealed_text("findings")
    findings = Sealed("findings_sealed")
    assessed_on: Mapped[date | None] = mapped_column(Date)  # the day the range holds for
    explained_on: Mapped[date | None] = mapped_column(Date)
    appeal_deadline: Mapped[date | None] = mapped_column(Date)

    assessor_org: Mapped[Organisation] = relationship(foreign_keys=[assessor_org_id])
    assessor: Mapped[User | None] = relationship(foreign_keys=[assessor_id])

    case = relationship("Case", foreign_keys=[case_id])  # by name: a stage sits below the case record

    def sealing_case(self):
        """The case whose key seals this row's text."""
        return self.case

    @property
    def assessed_day(self) -> date | None:
        """The day the assessed range applies to (the assessor's date, else the day recorded)."""
        if self.assessed_on is not None:
            return self.assessed_on
        return self.concluded_at.date() if self.concluded_at else None

    @property
    def method_list(self) -> list[str]:
        return [m for m in (self.methods or "").split(",") if m]

    @classmethod
    def for_case(cls, case) -> list[AgeAssessment]:
        session = object_session(case)
        if session is None or case.id is None:
            return []
        return list(session.scalars(select(cls).where(cls.case_id == case.id).order_by(cls.id)))

    @classmethod
    def for_case_id(cls, session, case_id: int) -> list[AgeAssessment]:
        return list(session.scalars(select(cls).where(cls.case_id == case_id).order_by(cls.id)))

    @classmethod
    def latest_concluded(cls, session, case_id: int) -> AgeAssessment | None:
        return session.scalar(
            select(cls).where(cls.case_id == case_id, cls.status == "concluded").order_by(cls.id.desc()).limit(1)
        )

    @classmethod
    def open_request(cls, session, case_id: int) -> AgeAssessment | None:
        return session.scalar(
            select(cls).where(cls.case_id == case_id, cls.status == "requested").order_by(cls.id.desc()).limit(1)
        )
