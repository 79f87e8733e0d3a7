"""The erasures of identities, decided by two people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, UTCDateTime, utcnow


class Erasure(Base):
    """The erasure of a case's identity after its retention period: proposed (by the schedule or a
    person), approved by an auditor and by an administrator (two people), then done."""

    __tablename__ = "erasures"
    __table_args__ = (
        # one erasure under way per case, even when two schedules propose at once
        Index("ux_erasures_pending_case", "case_id", unique=True, postgresql_where=text("done_at IS NULL"),
              sqlite_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_since: Mapped[datetime] = mapped_column(UTCDateTime)
    auditor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    auditor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    admin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def slot_of(self, role: str) -> str:
        """Where a role's approval is kept (``<role>_id``, ``<role>_at``): the roles the policy lets
        approve erasures each have theirs."""
        if f"{role}_id" not in type(self).__table__.c:
            raise ValueError(f"erasures keep no approval of the role {role!r}: see the policy's approve_erasures")
        return role

    def approved_by(self, role: str) -> bool:
        return getattr(self, f"{self.slot_of(role)}_id") is not None
