"""Retention and erasure of identities, and the master key's rotation.

A workflow file says how long a case's identity is kept once the case has ended
(``settings.identity_retention_days``, counted from entering a final state). The schedule (or
``flask protection propose-erasures``) proposes the cases past it; an auditor and an administrator
approve — two people, two roles — and the erasure destroys the case's data key, removes its sealed
identity and its blind index, and appends ``identity_erased`` to its chain, naming the decision. The
chain still verifies: its hashes cover digests, not the values."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from caseflow.audit.log import record
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.db import is_sqlite, utcnow
from caseflow.errors import Conflict, Forbidden, NotFound
from caseflow.policy import may
from caseflow.protection.models import Erasure
from caseflow.sealing.identity import _CACHE, _KEY, reseal, values_of
from caseflow.sealing.keys import keyring
from caseflow.sealing.models import CaseKey
from caseflow.sealing.sealed import forget_opened, reseal_master_sealed
from caseflow.workflow.engine import append_event, catalogue, workflow_of

RETENTION_SETTING = "identity_retention_days"
#: the roles whose approvals, together, erase an identity


def due_cases(session, now=None) -> list[tuple[Case, object]]:
    """Cases past their workflow's retention, not erased, with no erasure under way: (case, since)."""

    now = now or utcnow()
    out = []
    pending = select(Erasure.case_id).where(Erasure.done_at.is_(None))
    erased = select(CaseKey.case_id).where(CaseKey.wrapped.is_(None))
    for (name, version), wf in sorted(catalogue().versions.items()):
        days = wf.settings.get(RETENTION_SETTING)
        if days is None or not wf.final_states:
            continue
        limit = now - timedelta(days=days)
        stmt = select(Case).where(Case.workflow == name, Case.workflow_version == version,
                                  Case.state.in_(wf.final_states), Case.state_entered_at <= limit,
                                  Case.id.not_in(pending), Case.id.not_in(erased))
        out += [(c, c.state_entered_at + timedelta(days=days)) for c in session.scalars(stmt.order_by(Case.id))]
    return out


def propose_erasures(session, actor=None) -> list[Erasure]:
    """One proposal per due case, even with two schedules at once: a case has at most one erasure
    under way (a partial unique index), and a proposal another run made first is skipped."""
    from sqlalchemy.exc import IntegrityError

    made = []
    for case, since in due_cases(session):
        try:
            with session.begin_nested():
                erasure = Erasure(case_id=case.id, due_since=since, proposed_at=utcnow())
                session.add(erasure)
                session.flush()
            made.append(erasure)
        except IntegrityError:
            continue
    if made:
        record(session, "erasures_proposed", actor=actor,
               details={"erasures": [e.id for e in made], "cases": len(made)})
    return made


def approve(session, erasure_id: int, user) -> Erasure:
    """One of the two approvals; the second one erases. The row is locked: an auditor and an
    administrator approving at the same moment make one erasure, not two half-approvals."""

    stmt = select(Erasure).where(Erasure.id == erasure_id).execution_options(populate_existing=True)
    erasure = session.scalar(stmt if is_sqlite(session) else stmt.with_for_update())
    if erasure is None or erasure.done_at is not None:
        raise NotFound(_("No erasure waits for approval under this number."))
    if not may(user, "approve_erasures"):
        raise Forbidden(_("Only an auditor and an administrator approve an erasure."))
    case = session.get(Case, erasure.case_id)
    slot = erasure.slot_of(user.role)  # two people of two roles: each role's approval has its place
    if getattr(erasure, f"{slot}_id") is not None:
        raise Conflict(_("Someone of your role has approved this erasure already; someone of the other role must now."))
    setattr(erasure, f"{slot}_id", user.id)
    setattr(erasure, f"{slot}_at", utcnow())
    record(session, "erasure_approved", actor=user, details={"erasure": erasure.id, "case": case.code})
    if erasure.auditor_id is not None and erasure.admin_id is not None:
        erase(session, erasure, case, user)
    return erasure


def erase(session, erasure: Erasure, case: Case, actor) -> None:
    wf = workflow_of(case)
    if case.state not in wf.final_states:  # reopened since it was proposed: nothing is erased
        raise Conflict(_("The case is open again: its identity is kept."))
    now = utcnow()
    key = case.key_row
    if key is not None:
        key.wrapped, key.erased_at = None, now  # the data key is destroyed: nothing sealed with it opens
    case.identity_row = None
    case.identity_tokens = []
    case.__dict__.pop(_CACHE, None)
    case.__dict__.pop(_KEY, None)
    forget_opened(session)  # text opened before, held by the rows this session loaded
    erasure.done_at = now
    names = {u.id: u.full_name for u in session.scalars(select(User).where(
        User.id.in_([erasure.auditor_id, erasure.admin_id])))}
    append_event(session, case, "identity_erased", actor=actor, from_state=case.state, touched=frozenset(), details={
        "erasure": erasure.id, "due_since": erasure.due_since.isoformat(),
        "retention_days": wf.settings.get(RETENTION_SETTING),
        "approved_by": {"auditor": names.get(erasure.auditor_id), "admin": names.get(erasure.admin_id)}})


def rotate_master_key(session, actor=None) -> dict:
    """Everything sealed with an earlier master key, sealed again with the current one (the case
    data keys, the second-factor secrets, text written about a case after its erasure), and the
    blind index remade with the key derived from it. (The identifying parts of events sealed with the
    master key — a search's names — stay as the append-only log wrote them.)"""

    ring = keyring()
    counts = {"case_keys": 0, "second_factors": 0, "indexed_cases": 0, "text_after_erasure": 0}
    for row, code in session.execute(select(CaseKey, Case.code).join(Case, Case.id == CaseKey.case_id)
                                     .where(CaseKey.wrapped.is_not(None))):
        if not ring.is_current(row.wrapped):
            row.wrapped = ring.seal(ring.open(row.wrapped, f"casekey:{code}"), f"casekey:{code}")
            counts["case_keys"] += 1
    for user in session.scalars(select(User).where(User.totp_secret.is_not(None))):
        if not ring.is_current(user.totp_secret):
            user.totp_secret = ring.seal(ring.open(user.totp_secret, f"totp:{user.id}"), f"totp:{user.id}")
            counts["second_factors"] += 1
    counts["text_after_erasure"] = reseal_master_sealed(session, ring)
    session.flush()
    for case in session.scalars(select(Case).join(CaseKey, CaseKey.case_id == Case.id)
                                .where(CaseKey.wrapped.is_not(None))):
        values_of(case)
        reseal(case)  # the same values, the index under the current key
        counts["indexed_cases"] += 1
    session.flush()
    record(session, "master_key_rotated", actor=actor, details={"key": ring.current_id, **counts})
    return counts
