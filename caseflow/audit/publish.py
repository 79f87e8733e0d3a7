"""Signed tree heads: one append-only log over every chain, as Certificate Transparency keeps one.

The publisher (Trillian's sequencer and signer, in one short transaction) gives each committed
event not yet in the log its place — its leaf is ``["chain", seq, "event hash"]`` — and signs the new
tree head: ``["caseflow-tree-head-v1", size, root, time]`` with the audit key (Ed25519, outside the
database). Before an event enters the log, its hash must recompute, it must link to the event
before it, and its chain's signed head must cover it: an event the database's operator slipped in
is held back, never signed into the log.

It runs on a schedule (``caseflow.publish_heads``, every five minutes), when an auditor asks, and
from ``flask audit heads``. It never blocks the writers: it reads what is committed and writes
only its own rows; two publishers take turns (an advisory lock on PostgreSQL, SQLite's one writer).
Anyone holding a head checks later heads against it with a consistency proof (``merkle``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import exists, func, insert, select, text
from sqlalchemy.orm import Session

from caseflow.audit.hashing import event_hash
from caseflow.audit.heads import TIME_FORMAT, SignedHead, cosign_statement, event_leaf, head_statement, verify_with
from caseflow.audit.merkle import Frontier, consistency_proof
from caseflow.audit.models import AuditEvent, ChainHead, LogLeaf, TreeHead, WitnessConfirmation, event_columns
from caseflow.audit.signing import head_message, signer
from caseflow.db import utcnow
from caseflow.errors import ValidationFailed

log = logging.getLogger(__name__)

PUBLISHER_LOCK = 0x63667468  # "cfth": the advisory lock two publishers take turns on


class NoSigningKey(RuntimeError):
    pass


def latest_head(session: Session) -> TreeHead | None:
    return session.scalar(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))


def head_of_size(session: Session, size: int) -> TreeHead | None:
    return session.get(TreeHead, size)


@dataclass
class Publication:
    head: TreeHead | None
    added: int
    #: chains whose new events were not taken into the log, and why (case codes, no child data)
    held_back: dict[str, str]


def _unsequenced(session: Session):
    """Committed events not yet in the log, with their chain's head, read in one statement (one
    snapshot: an event and the head that moved with it are seen together or not at all)."""

    stmt = (
        select(*event_columns(), ChainHead.seq.label("head_seq"), ChainHead.hash.label("head_hash"),
               ChainHead.sig.label("head_sig"))
        .join(ChainHead, ChainHead.chain == AuditEvent.chain)
        .where(~exists().where(LogLeaf.event_id == AuditEvent.id))
        .order_by(AuditEvent.chain, AuditEvent.seq)
    )
    return session.execute(stmt)


def _admissible(rows, keys) -> tuple[list, dict[str, str]]:
    """The new events whose chains hold together up to a signed head; the others held back."""
    accepted, held = [], {}
    by_chain: dict[str, list] = {}
    for row in rows:
        by_chain.setdefault(row.chain, []).append(row)
    for chain, evs in by_chain.items():
        problem = None
        for i, ev in enumerate(evs):
            if event_hash(ev) != ev.hash:
                problem = f"seq {ev.seq}: the event's content does not give its hash"
            elif i and (ev.seq != evs[i - 1].seq + 1 or ev.prev_hash != evs[i - 1].hash):
                problem = f"seq {ev.seq}: does not link to the event before it"
            if problem:
                break
        last = evs[-1]
        if problem is None and (last.head_seq, last.head_hash) != (last.seq, last.hash):
            problem = f"seq {last.seq}: the chain's head is elsewhere ({last.head_seq})"
        if problem is None and keys.trusted and not keys.verify(head_message(chain, last.seq, last.hash),
                                                                 last.head_sig):
            problem = f"seq {last.seq}: the chain's head is not signed by the audit key"
        if problem:
            held[chain] = problem
        else:
            accepted.extend(evs)
    accepted.sort(key=lambda ev: ev.id)
    return accepted, held


def publish(session: Session) -> Publication:
    """Take the committed events into the log and sign a new head (in the caller's transaction).
    Without new events the last head stands: a head is signed once per size."""
    keys = signer()
    if not keys.enabled:
        raise NoSigningKey(_("No audit signing key is configured: tree heads cannot be signed."))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PUBLISHER_LOCK})
    last = latest_head(session)
    frontier = Frontier.from_json(last.tree_size, last.frontier) if last else Frontier()
    accepted, held = _admissible(_unsequenced(session), keys)
    for chain, problem in held.items():
        log.warning("audit log: events of chain %s held back from the log: %s", chain, problem)
    if last is not None and not accepted:
        return Publication(last, 0, held)
    rows = []
    for ev in accepted:
        leaf = event_leaf(ev.chain, ev.seq, ev.hash)
        rows.append({"position": frontier.size, "event_id": ev.id, "leaf_hash": leaf.hex()})
        frontier.append(leaf)
    if rows:
        session.execute(insert(LogLeaf), rows)
    now = utcnow()
    if last is not None and now < last.signed_at:
        now = last.signed_at  # a head's time never goes back, whatever the clock does
    root = frontier.root.hex()
    head = TreeHead(tree_size=frontier.size, root=root, signed_at=now, key=keys.public,
                    signature=keys.sign(head_statement(frontier.size, root, now)), frontier=frontier.to_json())
    session.add(head)
    session.flush()
    return Publication(head, len(rows), held)


def leaf_hashes(session: Session, size: int | None = None) -> list[bytes]:
    """The stored leaf hashes in log order (what proofs are made from; verification recomputes
    them from the events instead)."""
    stmt = select(LogLeaf.leaf_hash).order_by(LogLeaf.position)
    if size is not None:
        stmt = stmt.where(LogLeaf.position < size)
    return [bytes.fromhex(h) for h in session.scalars(stmt)]


def proof_between(session: Session, first: int, second: int) -> list[str]:
    """The consistency proof from the head of size ``first`` to the head of size ``second``."""
    if first == 0 or first == second:
        return []
    return [h.hex() for h in consistency_proof(first, leaf_hashes(session, second), second)]


def record_confirmation(session: Session, data: dict, user) -> tuple[WitnessConfirmation, bool]:
    """A witness's countersignature of a head it checked. Refused if the countersignature does not
    verify, or the witness's name was first used with another key. A head this log never published
    (another root for that size) is kept all the same, with ``matches`` False: it is the evidence of
    a fork."""

    known = session.scalar(select(WitnessConfirmation.witness_key).where(WitnessConfirmation.witness == data["witness"])
                           .order_by(WitnessConfirmation.id).limit(1))
    if known is not None and known != data["witness_key"]:
        msg = _("This witness name was first used with another key.")
        raise ValidationFailed(msg, errors={"witness_key": [msg]})
    try:
        at = datetime.strptime(data["signed_at"], TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        msg = _("A head's time looks like 20260101T120000.000000Z.")
        raise ValidationFailed(msg, errors={"signed_at": [msg]}) from None
    seen = SignedHead(data["tree_size"], data["root"], at, "")
    if not verify_with(data["witness_key"], cosign_statement(seen), data["cosignature"]):
        msg = _("The countersignature does not verify with the witness's key.")
        raise ValidationFailed(msg, errors={"cosignature": [msg]})
    ours = head_of_size(session, data["tree_size"])
    row = WitnessConfirmation(witness=data["witness"], witness_key=data["witness_key"], tree_size=data["tree_size"],
                              root=data["root"], cosignature=data["cosignature"], confirmed_at=utcnow(),
                              sent_by=getattr(user, "id", None))
    session.add(row)
    session.flush()
    return row, ours is not None and ours.root == data["root"] and ours.signed_at == at


def witness_summary(session: Session) -> list[dict]:
    """Each witness's last confirmation, and whether it is a head this log published."""
    last = (select(WitnessConfirmation.witness, func.max(WitnessConfirmation.id).label("id"))
            .group_by(WitnessConfirmation.witness).subquery())
    rows = session.execute(select(WitnessConfirmation, TreeHead.root, TreeHead.signed_at)
                           .join(last, last.c.id == WitnessConfirmation.id)
                           .outerjoin(TreeHead, TreeHead.tree_size == WitnessConfirmation.tree_size)
                           .order_by(WitnessConfirmation.witness))
    return [{"witness": c.witness, "tree_size": c.tree_size, "confirmed_at": c.confirmed_at,
             "matches": root == c.root} for c, root, _at in rows]
