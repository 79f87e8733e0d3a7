"""Reintegration's evolve steps: the referrals and follow-up visits an event writes (live and in
replay) — and the part of the record compared with its history (each referral's status, the number
of visits), read from replayed rows and from ``referrals`` and ``follow_ups``."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from caseflow.reintegration.models import FollowUp, Referral
from caseflow.workflow import registry
from caseflow.workflow.fold import Happened, Projection, Rows, fields_of, same


def referral(rows: Rows, referral_id) -> Referral | None:
    """One of the case's referrals by id (None: not one of its own)."""
    return next((r for r in rows.of(Referral) if r.id == referral_id), None)


@registry.evolves("add_referral")
def _referral(rows: Rows, ev: Happened):
    ref = rows.add(Referral(id=ev.details.get("referral_id"), case=rows.subject, case_id=rows.subject.id,
                            created_by_id=ev.actor_id, updated_at=ev.at, **fields_of(Referral, ev.payload)))
    ref.status = ref.status or "referred"  # an event of before the status was asked for
    rows.flush()
    ev.settle(lambda: {"referral_id": ref.id})


@registry.evolves("update_referral")
def _referral_update(rows: Rows, ev: Happened):
    ref = referral(rows, ev.payload.get("referral_id"))
    if ref is None:
        return
    ref.status = ev.payload.get("status")
    if ev.payload.get("notes"):
        ref.notes = ev.payload["notes"]
    ref.updated_at = ev.at


@registry.evolves("add_follow_up")
def _follow_up(rows: Rows, ev: Happened):
    rows.add(FollowUp(case=rows.subject, case_id=rows.subject.id, recorded_by_id=ev.actor_id, recorded_at=ev.at,
                      **fields_of(FollowUp, ev.payload)))
    rows.flush()


def referral_rows(session, ids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = defaultdict(dict)
    for case_id, ref_id, status in session.execute(select(Referral.case_id, Referral.id, Referral.status)
                                                   .where(Referral.case_id.in_(ids))):
        out[case_id][ref_id] = status
    return out


def follow_up_rows(session, ids: list[int]) -> dict[int, int]:
    return dict(session.execute(select(FollowUp.case_id, func.count()).where(FollowUp.case_id.in_(ids))
                                .group_by(FollowUp.case_id)).all())


registry.projection(Projection("referrals", 50, dict, referral_rows, same("referrals"),
                               lambda rows: {r.id: r.status for r in rows.of(Referral)}))
registry.projection(Projection("follow_ups", 60, int, follow_up_rows, same("follow-up visits"),
                               lambda rows: len(rows.of(FollowUp))))
