"""The joint review's quorum and majority, from the workflow's quorum rule.

Design choice (published sources fix none): at least ``min_members`` votes from at least
``min_institutions`` organisations, every kind in ``require_kinds`` present (default: government
and UN); the decision is the outcome of more than half of the round's votes. Dissent is kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass(frozen=True)
class QuorumStatus:
    votes: int
    institutions: int
    kinds: frozenset[str]
    met: bool
    missing: str | None
    majority: str | None
    tally: dict[str, int]


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
            from caseflow.auth.roles import OrgKind

            missing = _("No vote yet from: %(kinds)s.", kinds=", ".join(str(OrgKind(k).label) for k in absent))
    tally = Counter(v.outcome for v in votes)
    majority = None
    if tally:
        outcome, count = tally.most_common(1)[0]
        if count * 2 > len(votes):
            majority = outcome
    return QuorumStatus(len(votes), len(orgs), kinds, missing is None, missing, majority, dict(tally))
