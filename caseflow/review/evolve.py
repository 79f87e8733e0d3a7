"""The joint review's evolve steps: the rounds, votes, recusals and decisions an event writes, and
what a decision changes of the case (live and in replay) — and the part of the record compared with
its history (the rounds, their votes and decisions), read from replayed rows and from
``review_rounds`` and ``review_votes``; and what the statistics count of them (each decision and
when it was taken)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from caseflow.review.models import Recusal, ReviewRound, Vote
from caseflow.workflow import registry
from caseflow.workflow.fold import Happened, Projection, Rows, fields_of


@dataclass
class Round:
    number: int
    decision: str | None = None
    closed: bool = False
    votes: dict = field(default_factory=dict)  # voter id -> outcome

    def key(self) -> tuple:
        return (self.number, self.decision, self.closed, self.votes)


def open_round(rows: Rows) -> ReviewRound | None:
    """The open round (the latest not closed)."""
    return next((r for r in reversed(rows.of(ReviewRound)) if r.closed_at is None), None)


def own_vote(rnd: ReviewRound, voter_id) -> Vote | None:
    return next((v for v in rnd.votes if v.voter_id == voter_id), None)


@registry.evolves("open_review_round")
def _open(rows: Rows, ev: Happened):
    """A round opens, the next number, unless one is open."""
    if open_round(rows) is None:
        rounds = rows.of(ReviewRound)
        rows.add(ReviewRound(case=rows.subject, case_id=rows.subject.id, opened_at=ev.at,
                             number=(rounds[-1].number if rounds else 0) + 1))


@registry.evolves("supersede_review_round")
def _supersede(rows: Rows, ev: Happened):
    rnd = open_round(rows)
    if rnd is not None:
        rnd.closed_at = rnd.superseded_at = ev.at
        rows.flush()


@registry.evolves("new_round_on_new_facts")
def _new_facts(rows: Rows, ev: Happened):
    """An edit or a correction of a fact the review weighs superseded the open round (the event says so)."""
    if ev.details.get("superseded_round") is not None:
        _supersede(rows, ev)
        _open(rows, ev)


@registry.evolves("record_vote")
def _vote(rows: Rows, ev: Happened):
    rnd, p = open_round(rows), ev.payload
    if rnd is None:
        return
    vote = own_vote(rnd, ev.actor_id)
    if vote is None:
        actor = ev.actor
        vote = Vote(round=rnd, round_id=rnd.id, voter_id=ev.actor_id,
                    organisation_id=getattr(actor, "organisation_id", None),
                    organisation_kind=actor.organisation.kind if actor is not None else None)
        rows.add_child(vote)  # in rnd.votes too (round=)
    for key, value in fields_of(Vote, p).items():
        setattr(vote, key, value)
    vote.cast_at = ev.at


@registry.evolves("record_recusal")
def _recuse(rows: Rows, ev: Happened):
    """The member's vote, if any, withdrawn; the recusal kept, with its reason."""
    rnd = open_round(rows)
    if rnd is None:
        return
    own = own_vote(rnd, ev.actor_id)
    if own is not None:
        rnd.votes.remove(own)
        rows.delete(own)
    rows.add_child(Recusal(round=rnd, round_id=rnd.id, reviewer_id=ev.actor_id, recused_at=ev.at,  # in rnd.recusals
                           organisation_id=getattr(ev.actor, "organisation_id", None), reason=ev.payload.get("reason")))


@registry.evolves("withdraw_recusal")
def _withdraw(rows: Rows, ev: Happened):
    held = ReviewRound.standing_recusals(rows.of(ReviewRound)).get(ev.actor_id)
    if held is not None:
        held.withdrawn_at, held.withdrawal_reason = ev.at, ev.payload.get("reason")


def decided(rows: Rows, ev: Happened):
    """``decide_<outcome>``: the open round closed with its decision; a deferral's date is the review
    clock's due date, and any other decision clears it."""
    rnd, p = open_round(rows), ev.payload
    if rnd is None:
        return
    rnd.decision, rnd.decided_by_id, rnd.closed_at = ev.effect.removeprefix("decide_"), ev.actor_id, ev.at
    rnd.decision_reasons, rnd.offence_category = p.get("reasons"), p.get("offence_category")
    rnd.next_review_date, rnd.offence_date = p.get("next_review_date"), p.get("offence_date")
    rows.subject.next_review_date = p.get("next_review_date")
    rows.flush()


@registry.evolves("set_receiving_org", touches=("case",))
def _receiver(rows: Rows, ev: Happened):
    rows.subject.receiving_org_id = ev.payload.get("receiving_org_id")


@registry.evolves("close_case_not_a_child", touches=("case",))
def _close_adult(rows: Rows, ev: Happened):
    rows.subject.closed_reason, rows.subject.closed_at = "determined_adult", ev.at


@registry.evolves("reopen_case", touches=("case",))
def _reopen(rows: Rows, ev: Happened):
    case = rows.subject
    case.closed_reason = case.closed_at = case.next_review_date = None


def rows(session, ids: list[int]) -> dict[int, list[Round]]:
    votes: dict = defaultdict(dict)
    for round_id, voter, outcome in session.execute(
            select(Vote.round_id, Vote.voter_id, Vote.outcome).join(ReviewRound, ReviewRound.id == Vote.round_id)
            .where(ReviewRound.case_id.in_(ids))):
        votes[round_id][voter] = outcome
    out: dict[int, list[Round]] = defaultdict(list)
    for r in session.execute(select(ReviewRound.id, ReviewRound.case_id, ReviewRound.number, ReviewRound.decision,
                                    ReviewRound.closed_at).where(ReviewRound.case_id.in_(ids))
                             .order_by(ReviewRound.number)):
        out[r.case_id].append(Round(r.number, r.decision, r.closed_at is not None, votes.get(r.id, {})))
    return out


def _votes(votes: dict) -> str:
    return ", ".join(f"{k}:{v}" for k, v in sorted(votes.items(), key=lambda kv: str(kv[0]))) or "none"


def differences(want: list[Round], have: list[Round]) -> list[tuple[str, str, str]]:
    out = []
    for w, h in zip(want, have, strict=False):
        if w.key()[:3] != h.key()[:3]:
            out.append((f"review round {w.number}", f"decision {w.decision}", f"decision {h.decision}"))
        elif w.votes != h.votes:
            out.append((f"votes of round {w.number}", _votes(w.votes), _votes(h.votes)))
    if len(want) != len(have):
        out.append(("review rounds", str(len(want)), str(len(have))))
    return out


registry.projection(Projection("rounds", 20, list, rows, differences,
                               lambda rows: [Round(r.number, r.decision, r.closed_at is not None,
                                                   {v.voter_id: v.outcome for v in r.votes})
                                             for r in rows.of(ReviewRound)]))


@registry.facts("decisions")
def facts(session, case) -> dict:
    rows = session.execute(
        select(ReviewRound.decision, ReviewRound.closed_at)
        .where(ReviewRound.case_id == case.id, ReviewRound.decision.is_not(None))
        .order_by(ReviewRound.closed_at, ReviewRound.number))
    return {"decisions": [[outcome, at] for outcome, at in rows]}
