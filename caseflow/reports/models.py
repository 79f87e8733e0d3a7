"""What the statistics count, kept as versions in time: one row per change of a case's facts.

Each row holds a case's statistical facts (no names) from the audit event that changed them
(``valid_from``, the event's time) until the next change (``valid_to``). A report "as of" a time
reads the rows valid then, so a figure made in July for the first quarter equals the one made on
1 April. The same changes are written into the events themselves (``details["facts"]``, hashed
into the chain): the table is their index, rebuilt from the events by folding those changes, and
``audit verify`` holds it against them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, UTCDateTime


class CaseFacts(Base):
    __tablename__ = "case_facts"
    __table_args__ = (
        Index("ix_case_facts_case_from", "case_id", "valid_from"),
        Index("ix_case_facts_current", "case_id", unique=True,
              postgresql_where=text("valid_to IS NULL"), sqlite_where=text("valid_to IS NULL")),
        Index("ix_case_facts_period", "valid_from", "valid_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: the partner the case was released to at the time (partners see their own organisation's figures)
    receiving_org_id: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id"))
    action: Mapped[str] = mapped_column(String(60))
    facts: Mapped[dict] = mapped_column(JSON)
