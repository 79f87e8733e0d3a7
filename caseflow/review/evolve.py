"""The joint review's part of a case's record as its events make it: the rounds, their votes and
decisions — and the same read from the rows (``review_rounds``, ``review_votes``); and what the
statistics count of them (each decision and when it was taken)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from caseflow.review.models import ReviewRound, Vote
from caseflow.review.outcomes import VOTE_OUTCOMES
from caseflow.workflow import registry
from caseflow.workflow.fold import Projection, Record


@dataclass
class Round:
    number: int
    decision: str | None = None
    closed: bool = False
    votes: dict = field(default_factory=dict)  # voter id -> outcome

    def key(self) -> tuple:
        return (self.number, self.decision, self.closed, self.votes)


def open_round(x: Record) -> Round | None:
    return next((r for r in reversed(x.part("rounds")) if not r.closed), None)


@registry.evolves("open_review_round")
def _open(x: Record, ev, payload, details, _effect):
    rounds = x.part("rounds")
    if open_round(x) is None:
        rounds.append(Round(number=(rounds[-1].number if rounds else 0) + 1))


@registry.evolves("supersede_review_round")
def _supersede(x: Record, ev, payload, details, _effect):
    rnd = open_round(x)
    if rnd is not None:
        rnd.closed = True


@registry.evolves("new_round_on_new_facts")
def _new_facts(x: Record, ev, payload, details, effect):
    """An edit or a correction of a fact the review weighs superseded the open round (the event says so)."""
    if details.get("superseded_round") is not None:
        _supersede(x, ev, payload, details, effect)
        _open(x, ev, payload, details, effect)


@registry.evolves("record_vote")
def _vote(x: Record, ev, payload, details, _effect):
    rnd = open_round(x)
    if rnd is not None:
        rnd.votes[ev.actor_id] = payload.get("outcome")


@registry.evolves("record_recusal")
def _recuse(x: Record, ev, payload, details, _effect):
    rnd = open_round(x)
    if rnd is not None:
        rnd.votes.pop(ev.actor_id, None)


@registry.evolves(*(f"decide_{outcome}" for outcome in VOTE_OUTCOMES))
def _decide(x: Record, ev, payload, details, effect):
    rnd = open_round(x)
    if rnd is not None:
        rnd.decision, rnd.closed = effect.removeprefix("decide_"), True


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


registry.projection(Projection("rounds", 20, list, rows, differences))


@registry.facts("decisions")
def facts(session, case) -> dict:
    rows = session.execute(
        select(ReviewRound.decision, ReviewRound.closed_at)
        .where(ReviewRound.case_id == case.id, ReviewRound.decision.is_not(None))
        .order_by(ReviewRound.closed_at, ReviewRound.number))
    return {"decisions": [[outcome, at] for outcome, at in rows]}
