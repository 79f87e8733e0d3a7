"""Reintegration's part of a case's record as its events make it (each referral's status, the
follow-up visits) — and the same read from ``referrals`` and ``follow_ups``."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from caseflow.reintegration.models import FollowUp, Referral
from caseflow.workflow import registry
from caseflow.workflow.fold import Projection, Record, same


@registry.evolves("add_referral")
def _referral(x: Record, ev, payload, details, _effect):
    x.part("referrals")[details.get("referral_id")] = payload.get("status") or "referred"


@registry.evolves("update_referral")
def _referral_update(x: Record, ev, payload, details, _effect):
    x.part("referrals")[payload.get("referral_id")] = payload.get("status")


@registry.evolves("add_follow_up")
def _follow_up(x: Record, ev, payload, details, _effect):
    x.parts["follow_ups"] = x.part("follow_ups") + 1


def referral_rows(session, ids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = defaultdict(dict)
    for case_id, ref_id, status in session.execute(select(Referral.case_id, Referral.id, Referral.status)
                                                   .where(Referral.case_id.in_(ids))):
        out[case_id][ref_id] = status
    return out


def follow_up_rows(session, ids: list[int]) -> dict[int, int]:
    return dict(session.execute(select(FollowUp.case_id, func.count()).where(FollowUp.case_id.in_(ids))
                                .group_by(FollowUp.case_id)).all())


registry.projection(Projection("referrals", 50, dict, referral_rows, same("referrals")))
registry.projection(Projection("follow_ups", 60, int, follow_up_rows, same("follow-up visits")))
