"""The physical handover of a child to a civilian child-protection actor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import Organisation
from caseflow.db import Base, UTCDateTime


def format_elapsed(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes = seconds // 60
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Handover(Base):
    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    handing_officer: Mapped[str] = mapped_column(String(200))
    handing_unit: Mapped[str] = mapped_column(String(200))
    receiving_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    receiving_person: Mapped[str] = mapped_column(String(200))
    handed_over_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    child_condition: Mapped[str] = mapped_column(Text)
    medical_check: Mapped[bool] = mapped_column(Boolean)
    medical_notes: Mapped[str | None] = mapped_column(Text)
    document_reference: Mapped[str | None] = mapped_column(String(100))
    hours_since_encounter: Mapped[int | None] = mapped_column(Integer)  # whole hours, for tables
    elapsed_seconds: Mapped[int | None] = mapped_column(Integer)  # what "late" is measured on
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    receiving_org: Mapped[Organisation] = relationship()

    @property
    def elapsed_text(self) -> str:
        """Hours and minutes since the encounter, e.g. "48 h 59 min"."""
        return format_elapsed(self.elapsed_seconds)

    @classmethod
    def latest(cls, session, case_id: int) -> Handover | None:
        return session.scalar(select(cls).where(cls.case_id == case_id).order_by(cls.id.desc()).limit(1))
