"""Appending events. Called inside the transaction that makes the change, never after it."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import g, has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.audit.hashing import HASH_VERSION, canonical_json, event_hash, identifying_digest, plain
from caseflow.audit.models import GENESIS_HASH, SYSTEM_CHAIN, AuditEvent, ChainHead
from caseflow.audit.signing import head_message, signer
from caseflow.db import utcnow


def _lock_head(session: Session, chain: str) -> ChainHead:
    head = session.scalar(
        select(ChainHead).where(ChainHead.chain == chain).with_for_update().execution_options(
            populate_existing=True
        )
    )
    if head is None:
        head = ChainHead(chain=chain, seq=0, hash=GENESIS_HASH, occurred_at=None)
        session.add(head)
    return head


def _request_facts() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, None
    return g.get("request_id"), request.remote_addr


def record(
    session: Session,
    action: str,
    *,
    actor=None,
    chain: str = SYSTEM_CHAIN,
    case_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    details: dict | None = None,
    identifying: dict | None = None,
    actor_label: str | None = None,
    seal: Callable[[bytes, str], dict] | None = None,
) -> AuditEvent:
    """Append one event to ``chain``; the caller's transaction commits it (or nothing).

    ``identifying`` is kept only sealed, by ``seal(canonical, context)`` which the caller hands in
    (a case's data key, the master key for events of no case): the log itself knows no key and no
    identity, only the salted digest it hashes."""
    if identifying and seal is None:
        raise ValueError("an event's identifying part needs a seal from its caller")
    head = _lock_head(session, chain)
    now = utcnow()
    if head.occurred_at is not None and now < head.occurred_at:
        now = head.occurred_at  # clocks may step back; a chain's times never do
    ident = None
    if identifying:
        ident = {"salt": secrets.token_hex(16), "values": plain(identifying)}
    request_id, client_addr = _request_facts()
    ev = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        occurred_at=now,
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "full_name", None) or actor_label,
        actor_role=getattr(actor, "role", None),
        actor_org=getattr(getattr(actor, "organisation", None), "name", None),
        action=action,
        case_id=case_id,
        from_state=from_state,
        to_state=to_state,
        details=plain(details or {}),
        identifying=None,
        ident_digest=identifying_digest(ident),
        request_id=request_id,
        client_addr=client_addr,
        hash_version=HASH_VERSION,
        prev_hash=head.hash,
    )
    ev.hash = event_hash(ev)
    if ident:  # kept sealed with the case's data key: erasing the key erases it, the digest stays
        ev.identifying = seal(canonical_json(ident), f"event:{chain}:{ev.seq}")
    head.seq, head.hash, head.occurred_at = ev.seq, ev.hash, now
    head.sig = signer().sign(head_message(chain, ev.seq, ev.hash))  # only the key's holder can move a head
    session.add(ev)
    session.flush()
    return ev


def events_for_chain(session: Session, chain: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))

