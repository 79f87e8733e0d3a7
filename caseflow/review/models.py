"""Joint review rounds and the votes cast in them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import vocab
from caseflow.auth.models import Organisation, User
from caseflow.db import Base, UTCDateTime
from caseflow.review.outcomes import VOTE_OUTCOMES
from caseflow.sealing.sealed import Sealed, SealedFields, sealed_text


def _in(column, codes):
    allowed = ", ".join(f"'{c}'" for c in codes)
    return CheckConstraint(f"{column} IS NULL OR {column} IN ({allowed})", name=f"{column}_allowed")


class ReviewRound(SealedFields, Base):
    __tablename__ = "review_rounds"
    __table_args__ = (
        UniqueConstraint("case_id", "number"),
        _in("decision", VOTE_OUTCOMES),
        _in("offence_category", vocab.OFFENCE_CATEGORIES),
        CheckConstraint("closed_at IS NULL OR decision IS NOT NULL OR superseded_at IS NOT NULL",
                        name="closed_has_decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_reasons_sealed: Mapped[str | None] = sealed_text("decision_reasons")
    decision_reasons = Sealed("decision_reasons_sealed")
    offence_category: Mapped[str | None] = mapped_column(String(20))
    next_review_date: Mapped[date | None] = mapped_column(Date)
    offence_date: Mapped[date | None] = mapped_column(Date)
    #: set when new facts (a concluded assessment or appeal) closed the round without a decision
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    votes: Mapped[list[Vote]] = relationship(back_populates="round", order_by="Vote.id")
    recusals: Mapped[list[Recusal]] = relationship(back_populates="round", order_by="Recusal.id")

    case = relationship("Case", foreign_keys=[case_id])  # by name: a stage sits below the case record

    def sealing_case(self):
        """The case whose key seals this row's text."""
        return self.case

    def recused_ids(self) -> set[int]:
        return {r.reviewer_id for r in self.recusals}

    @staticmethod
    def standing_recusals(rounds: list[ReviewRound]) -> dict[int, Recusal]:
        """Reviewer id -> the recusal that still holds: a recusal lasts for the case (the next round
        too) until it is withdrawn with a reason."""
        return {r.reviewer_id: r for rnd in rounds for r in rnd.recusals if r.withdrawn_at is None}

    @classmethod
    def current(cls, session, case_id: int) -> ReviewRound | None:
        return session.scalar(
            select(cls).where(cls.case_id == case_id, cls.closed_at.is_(None)).order_by(cls.number.desc()).limit(1)
        )

    @classmethod
    def for_case(cls, session, case_id: int) -> list[ReviewRound]:
        return list(session.scalars(select(cls).where(cls.case_id == case_id).order_by(cls.number)))


class Vote(SealedFields, Base):
    __tablename__ = "review_votes"
    __table_args__ = (
        UniqueConstraint("round_id", "voter_id"),
        _in("outcome", VOTE_OUTCOMES),
        _in("offence_category", vocab.OFFENCE_CATEGORIES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    organisation_kind: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    offence_category: Mapped[str] = mapped_column(String(20))
    reasons_sealed: Mapped[str] = sealed_text("reasons", nullable=False)
    reasons = Sealed("reasons_sealed")
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime)

    round: Mapped[ReviewRound] = relationship(back_populates="votes")
    voter: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()

    def sealing_case(self):
        """The case whose key seals this row's text: its round's."""
        return self.round.case



class Recusal(SealedFields, Base):
    """A member who declares a conflict of interest takes no part in the round."""

    __tablename__ = "review_recusals"
    __table_args__ = (  # one standing recusal per member and round (a withdrawn one may be followed by another)
        Index("uq_review_recusals_standing", "round_id", "reviewer_id", unique=True,
              sqlite_where=text("withdrawn_at IS NULL"), postgresql_where=text("withdrawn_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    reason_sealed: Mapped[str] = sealed_text("reason", nullable=False)
    reason = Sealed("reason_sealed")
    recused_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the member takes part again from then on, for the reason given
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason_sealed: Mapped[str | None] = sealed_text("withdrawal_reason")
    withdrawal_reason = Sealed("withdrawal_reason_sealed")

    round: Mapped[ReviewRound] = relationship(back_populates="recusals")
    reviewer: Mapped[User] = relationship()

    def sealing_case(self):
        """The case whose key seals this row's text: its round's."""
        return self.round.case


