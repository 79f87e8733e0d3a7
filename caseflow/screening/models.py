"""A screening campaign: a place, a unit and a date range; the recruits screened in it are cases of a
screening workflow that name it (their ``campaign`` field)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, UTCDateTime, utcnow


class Campaign(Base):
    __tablename__ = "screening_campaigns"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    region: Mapped[str] = mapped_column(String(80))
    place: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    @classmethod
    def by_code(cls, session, code: str) -> Campaign | None:
        return session.scalar(select(cls).where(cls.code == code))

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    @property
    def title(self) -> str:
        return f"{self.code} — {self.unit}, {self.place} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"
