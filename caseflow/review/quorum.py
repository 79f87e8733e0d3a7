"""The joint review's quorum and its collective decision, from the workflow's ``quorum`` rule.

Quorum (design choice; published sources fix none): at least ``min_members`` votes from at least
``min_institutions`` organisations, every kind in ``require_kinds`` present.

Voices (``majority_by``): with ``institution`` (the default) each institution has **one voice**, the
outcome most of its voting members chose; a tie inside an institution is an abstention. With
``member`` every vote is a voice.

The decision: an outcome backed by more than half of the voices. Otherwise the **least restrictive**
of the outcomes with the most voices, in the order ``least_restrictive_first`` (CRC art. 37(b): the
presumption of release). Outcomes in ``never_by_tie`` (juvenile justice, "not a child") are never
reached that way: when only they lead, the decision is ``when_split`` (to defer). Dissent is kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _

from caseflow.auth.roles import OrgKind


@dataclass(frozen=True)
class Position:
    """Where one institution stands in the round."""

    organisation_id: int
    kind: str
    outcome: str | None  # None: its members are split, so it abstains
    members: dict[str, int]  # its members' votes by outcome
    vote: object = None  # one of its votes: the name is read from it only when shown

    @property
    def name(self) -> str:
        org = getattr(self.vote, "organisation", None)
        return getattr(org, "name", str(self.organisation_id))


@dataclass(frozen=True)
class QuorumStatus:
    votes: int
    institutions: int
    kinds: frozenset[str]
    met: bool
    missing: str | None
    majority: str | None  # the outcome the round has reached, by majority or by the tie rule
    tally: dict[str, int]  # voices by outcome (institutions, or members)
    by_rule: bool = False  # reached by the least-restrictive rule, not by a majority of voices
    majority_by: str = "institution"
    positions: tuple[Position, ...] = ()
    member_tally: dict[str, int] | None = None


def _rank(rule: dict):
    order = rule.get("least_restrictive_first") or []

    def rank(outcome: str) -> int:
        for i, tier in enumerate(order):
            if outcome in tier:
                return i
        return len(order)

    return rank


def _positions(votes) -> tuple[Position, ...]:
    by_org: dict[int, list] = {}
    for v in votes:
        by_org.setdefault(v.organisation_id, []).append(v)
    out = []
    for org_id, org_votes in by_org.items():
        counts = Counter(v.outcome for v in org_votes)
        ranked = counts.most_common()
        outcome = ranked[0][0] if len(ranked) == 1 or ranked[0][1] > ranked[1][1] else None
        out.append(Position(org_id, org_votes[0].organisation_kind, outcome, dict(counts), org_votes[0]))
    return tuple(out)


def prevailing(rule: dict, voices: list[str]) -> tuple[str | None, bool]:
    """The outcome the voices reach, and whether the least-restrictive rule decided it."""
    tally = Counter(voices)
    if not tally:
        return None, False
    top = max(tally.values())
    leaders = [o for o, n in tally.items() if n == top]
    if len(leaders) == 1 and top * 2 > len(voices):
        return leaders[0], False
    never = set(rule.get("never_by_tie") or ())
    candidates = [o for o in leaders if o not in never]
    if candidates:
        return min(candidates, key=_rank(rule)), True
    return rule.get("when_split"), True


def quorum_status(rule: dict, votes) -> QuorumStatus:
    votes = list(votes)
    orgs = {v.organisation_id for v in votes}
    kinds = frozenset(v.organisation_kind for v in votes)
    missing = None
    if len(votes) < rule["min_members"]:
        missing = _("%(have)d of %(need)d members have voted.", have=len(votes), need=rule["min_members"])
    elif len(orgs) < rule["min_institutions"]:
        missing = _("Votes come from %(have)d institutions; %(need)d are needed.", have=len(orgs),
                    need=rule["min_institutions"])
    else:
        absent = [k for k in rule.get("require_kinds", []) if k not in kinds]
        if absent:
            missing = _("No vote yet from: %(kinds)s.", kinds=", ".join(str(OrgKind(k).label) for k in absent))
    majority_by = rule.get("majority_by", "institution")
    positions = _positions(votes)
    if majority_by == "institution":
        voices = [p.outcome for p in positions if p.outcome is not None]
    else:
        voices = [v.outcome for v in votes]
    outcome, by_rule = prevailing(rule, voices)
    return QuorumStatus(
        votes=len(votes), institutions=len(orgs), kinds=kinds, met=missing is None, missing=missing,
        majority=outcome, tally=dict(Counter(voices)), by_rule=by_rule, majority_by=majority_by,
        positions=positions, member_tally=dict(Counter(v.outcome for v in votes)),
    )
