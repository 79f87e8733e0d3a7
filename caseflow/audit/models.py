"""Audit events (append-only; database triggers refuse UPDATE, DELETE and TRUNCATE) and chain heads."""

from __future__ import annotations

from datetime import datetime
from functools import reduce
from operator import add

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint, case, cast, func
from sqlalchemy import literal_column as _sql
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, CanonicalTime, JsonString, UTCDateTime, Utf8Bytes

SYSTEM_CHAIN = "system"
GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    actor_org: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    #: values that identify a child (names, ...), with a random salt; withheld from pseudonymised
    #: exports, which still carry ``ident_digest`` so the chain verifies without them.
    identifying: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    ident_digest: Mapped[str] = mapped_column(String(64), default="")
    request_id: Mapped[str | None] = mapped_column(String(40))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    hash_version: Mapped[int] = mapped_column(Integer, default=1)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """The last link of each chain; the lock point that serialises appends to one chain."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Ed25519 signature of (chain, seq, hash) by the application's key (see audit.signing)
    sig: Mapped[str | None] = mapped_column(String(100))


class LogLeaf(Base):
    """An event's place in the one append-only log over all chains (RFC 9162), given by the
    publisher in batches (as Trillian's sequencer does): position order is publication order."""

    __tablename__ = "audit_log_leaves"

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), unique=True)
    #: SHA-256(0x00 || ["chain", seq, "event hash"]), kept so proofs need not re-read events
    leaf_hash: Mapped[str] = mapped_column(String(64))


class TreeHead(Base):
    """A signed tree head: the log's size and Merkle root at a time, signed with the audit key.
    Insert-only, like the events; the frontier lets the next head be computed from the new leaves."""

    __tablename__ = "audit_tree_heads"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    key: Mapped[str] = mapped_column(String(60))
    signature: Mapped[str] = mapped_column(String(100))
    frontier: Mapped[list] = mapped_column(JSON, default=list)


class WitnessConfirmation(Base):
    """A witness outside the server saw this head, checked it grew from the last it saw, and
    countersigned it with its own key (insert-only)."""

    __tablename__ = "audit_witness_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    witness: Mapped[str] = mapped_column(String(80), index=True)
    witness_key: Mapped[str] = mapped_column(String(60))
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(64))
    cosignature: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: who sent it (the auditor whose token the witness uses)
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


def event_columns():
    """Every column, the JSON ones as their stored text (canonical: see db.canonical_json_text)."""
    table = AuditEvent.__table__
    cols = [c for c in table.columns if c.name not in ("details", "identifying")]
    # CAST, not type_coerce: psycopg would otherwise decode json itself; PostgreSQL's json::text
    # (json, not jsonb) gives back the stored text unchanged, as SQLite does
    return [*cols, cast(table.c.details, Text).label("details_json"),
            cast(table.c.identifying, Text).label("identifying_json"),
            # the time as the hash holds it, written by the database (a fifth of an event's encoding
            # in Python); event_bytes uses it only when it has that shape
            CanonicalTime(table.c.occurred_at).label("at_text")]


def _text(words: str):
    return _sql("'" + words.replace("'", "''") + "'", String)


def _number(column):
    return func.coalesce(cast(column, Text), _text("null"))


def canonical_content():
    """An event's canonical bytes (``hashing.event_bytes``, versions 1 and 2), written by the database
    from the columns as it reads them: the stored details are canonical text already, every string
    is quoted by the database with the encoding's escapes (``db.JsonString``), the time by
    ``CanonicalTime``. Verification then only hashes (a third of the time of encoding each event in
    Python). Where the database writes a value otherwise than the encoding (details stored before
    they were canonical), the hash does not match and verification encodes that event again in
    Python before it calls it changed; tests hold these bytes equal to ``event_bytes`` on both
    databases for events of every shape."""
    t = AuditEvent.__table__.c
    version = func.coalesce(t.hash_version, 1)
    parts = [
        _text('{"action":'), JsonString(t.action),
        _text(',"actor":['), _number(t.actor_id), _text(","), JsonString(t.actor_name), _text(","),
        JsonString(t.actor_role), _text(","), JsonString(t.actor_org),
        _text('],"at":'), JsonString(CanonicalTime(t.occurred_at)),
        case((version >= 2, _text(',"case":') + _number(t.case_id)), else_=_text("")),
        _text(',"chain":'), JsonString(t.chain),
        _text(',"details":'), func.coalesce(cast(t.details, Text), _text("{}")),
        _text(',"from":'), JsonString(t.from_state),
        _text(',"ident":'), JsonString(func.coalesce(t.ident_digest, _text(""))),
        _text(',"prev":'), JsonString(t.prev_hash),
        _text(',"request":['), JsonString(t.request_id), _text(","), JsonString(t.client_addr),
        _text('],"seq":'), _number(t.seq),
        _text(',"to":'), JsonString(t.to_state),
        _text(',"v":'), cast(version, Text), _text("}"),
    ]
    return Utf8Bytes(reduce(add, parts))


def link_columns():
    """What verification's loop reads of each event, in its order: the link, the time as the hash
    holds it, the hash, the canonical bytes, and the identifying part's stored text and digest."""
    t = AuditEvent.__table__.c
    return [t.chain, t.seq, t.prev_hash, CanonicalTime(t.occurred_at).label("at_text"), t.hash,
            canonical_content().label("content"), cast(t.identifying, Text).label("identifying_json"),
            t.ident_digest, t.case_id]
