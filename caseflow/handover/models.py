"""The physical handover of a child to a civilian child-protection actor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import Organisation
from caseflow.db import Base, UTCDateTime
from caseflow.sealing.sealed import Sealed, SealedFields, sealed_text


def format_elapsed(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes = seconds // 60
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Handover(SealedFields, Base):
    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    handing_officer_sealed: Mapped[str] = sealed_text("handing_officer", nullable=False)
    handing_officer = Sealed("handing_officer_sealed")
    handing_unit_sealed: Mapped[str] = sealed_text("handing_unit", nullable=False)
    handing_unit = Sealed("handing_unit_sealed")
    receiving_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    receiving_person_sealed: Mapped[str] = sealed_text("receiving_person", nullable=False)
    receiving_person = Sealed("receiving_person_sealed")
    handed_over_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place_sealed: Mapped[str] = sealed_text("place", nullable=False)
    place = Sealed("place_sealed")
    child_condition_sealed: Mapped[str] = sealed_text("child_condition", nullable=False)
    child_condition = Sealed("child_condition_sealed")
    medical_check: Mapped[bool] = mapped_column(Boolean)
    medical_notes_sealed: Mapped[str | None] = sealed_text("medical_notes")
    medical_notes = Sealed("medical_notes_sealed")
    document_reference_sealed: Mapped[str | None] = sealed_text("document_reference")
    document_reference = Sealed("document_reference_sealed")
    hours_since_encounter: Mapped[int | None] = mapped_column(Integer)  # whole hours, for tables
    elapsed_seconds: Mapped[int | None] = mapped_column(Integer)  # what "late" is measured on
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    receiving_org: Mapped[Organisation] = relationship()

    case = relationship("Case", foreign_keys=[case_id])  # by name: a stage sits below the case record

    def sealing_case(self):
        """The case whose key seals this row's text."""
        return self.case

    @property
    def elapsed_text(self) -> str:
        """Hours and minutes since the encounter, e.g. "48 h 59 min"."""
        return format_elapsed(self.elapsed_seconds)

    @classmethod
    def latest(cls, session, case_id: int) -> Handover | None:
        return session.scalar(select(cls).where(cls.case_id == case_id).order_by(cls.id.desc()).limit(1))
