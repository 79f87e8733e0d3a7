"""Recompute every chain and name the first broken link.

``verify_events`` works on any iterable of event-like objects sorted by (chain, seq), so the same
check serves the database and an exported workbook.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from caseflow.audit import sealing
from caseflow.audit.hashing import NotCanonical, event_bytes, format_ts, identifying_digest, sha256_hex
from caseflow.audit.heads import SignedHead, event_leaf
from caseflow.audit.merkle import Frontier
from caseflow.audit.models import GENESIS_HASH, AuditEvent, ChainHead, LogLeaf, TreeHead, event_columns, link_columns
from caseflow.audit.signing import head_message, signer
from caseflow.db import write_intent

#: checks of records against their chains, registered by the domain packages (see cases/checks.py)
RECORD_CHECKS: list = []

#: each problem in words, by its English key (Break.in_words)
PROBLEM_WORDS = {
    "a link is missing or out of order": _l("an event is missing or out of order"),
    "previous hash does not match": _l("the link to the event before it does not match"),
    "time goes backwards": _l("its time goes backwards"),
    "event content was changed": _l("the event's content was changed"),
    "identifying data was changed": _l("the identifying data was changed"),
    "the chain head is not signed": _l("the chain's head is not signed"),
    "the chain head's signature does not verify": _l("the signature of the chain's head does not verify"),
    "the chain ends earlier than its recorded head": _l("the chain ends before its recorded head"),
    "a leaf of the log is missing": _l("a place in the log is missing"),
    "the event at this place in the log is gone": _l("the event at this place in the log is gone"),
    "the leaf does not match its event": _l("this place in the log does not match its event"),
    "the tree head's signature does not verify": _l("the signature of this tree head does not verify"),
    "a signed tree head covers leaves the log no longer has": _l("a signed tree head covers events the log no "
                                                                 "longer has"),
    "the log no longer gives this signed tree head's root": _l("the log no longer gives this signed tree head"),
    "a later tree head is dated earlier": _l("a later tree head is dated earlier"),
    "the case has no history that made it": _l("the case has no history that made it"),
    "the case record differs from its history": _l("the case record differs from its history"),
    "the statistics' facts differ from the history": _l("the statistics' facts differ from the history"),
    "the case is": _l("the case lacks what its state requires"),
    "a record check could not read the history": _l("a check of the records could not read the history"),
    "the case's history cannot be replayed": _l("the case's history cannot be replayed"),
}
#: the record's parts a replay names
FIELD_WORDS = {
    "state": _l("state"), "version": _l("version"), "closed reason": _l("closure reason"),
    "receiving organisation": _l("receiving organisation"), "review rounds": _l("review rounds"),
    "assessments": _l("age assessments"), "handovers": _l("handovers"), "referrals": _l("referrals"),
    "follow-up visits": _l("follow-up visits"),
}


@dataclass(frozen=True)
class Chains:
    """The chains one pass verifies: one by name, the names in ``[first, beyond)`` (a part of the
    whole, see jobs/audit.py), or, with neither, every chain."""

    one: str | None = None
    first: str | None = None
    beyond: str | None = None

    @classmethod
    def of(cls, chain: str | Chains | None) -> Chains:
        return chain if isinstance(chain, Chains) else cls(one=chain)

    @property
    def every(self) -> bool:
        return self.one is None and self.first is None and self.beyond is None

    def where(self, stmt, column):
        """``stmt`` kept to these chains, ``column`` holding a chain's name (a case's code)."""
        if self.one is not None:
            return stmt.where(column == self.one)
        if self.first is not None:
            stmt = stmt.where(column >= self.first)
        return stmt.where(column < self.beyond) if self.beyond is not None else stmt


def record_check(fn):
    """Register ``fn(session, chains: Chains) -> list[Break]``, run by ``verify_database``."""
    if fn not in RECORD_CHECKS:
        RECORD_CHECKS.append(fn)
    return fn


@dataclass
class Break:
    chain: str
    seq: int
    problem: str
    expected: str = ""
    found: str = ""

    def describe(self) -> str:
        out = f"chain {self.chain}, seq {self.seq}: {self.problem}"
        if self.expected or self.found:
            out += f" (expected {self.expected or '-'}, found {self.found or '-'})"
        return out

    def in_words(self) -> str:
        """The problem in the reader's language, for the pages (``problem`` stays the stable English
        key the CLI, the API and the tests read)."""
        from flask_babel import gettext as _

        words = PROBLEM_WORDS.get(self.problem)
        if words is None:
            prefix, _sep, rest = self.problem.partition(": ")
            words = PROBLEM_WORDS.get(prefix)
            if words is not None and rest:
                words = f"{words} ({', '.join(_field_in_words(r.strip()) for r in rest.split(','))})"
            elif self.problem.startswith("the leaf does not match its event"):
                words = PROBLEM_WORDS["the leaf does not match its event"]
            elif self.problem.startswith("the case is "):
                words = PROBLEM_WORDS["the case is"]
            else:
                words = next((w for key, w in PROBLEM_WORDS.items() if self.problem.startswith(key + " (")), None)
        if self.chain == "-":
            where = _("the records")
        elif self.chain == "log":
            where = _("the log, position %(n)s", n=self.seq)
        else:
            where = _("case %(chain)s, event %(seq)s", chain=self.chain, seq=self.seq)
        return _("%(where)s: %(problem)s", where=where, problem=words or self.problem)


@dataclass
class Report:
    events: int = 0
    chains: int = 0
    seconds: float = 0.0
    breaks: list[Break] = field(default_factory=list)
    heads: list[tuple[str, int, str]] = field(default_factory=list)
    #: chains whose identity was erased: their identifying parts no longer open (their digests and
    #: hashes still verify); reported, not broken
    erased: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float(self.events)


def _field_in_words(name: str) -> str:
    from flask_babel import gettext as _

    m = re.match(r"^(review round|votes of round) (\d+)$", name)
    if m:
        return (_("review round %(n)s", n=m.group(2)) if m.group(1) == "review round"
                else _("votes of round %(n)s", n=m.group(2)))
    return str(FIELD_WORDS.get(name, name))


def verify_events(events, *, check_identifying: bool = True, max_breaks: int = 20, opener=None) -> Report:
    """Any event-like objects sorted by (chain, seq) (an exported workbook's, ORM events), encoded
    here. ``opener(ev, raw) -> canonical text`` opens a sealed identifying part (see
    protection.identity); it raises ``Erased`` for a case whose data key was destroyed."""
    held: list = [None]  # the event whose link the loop is checking (it pulls one at a time)

    def links():
        for ev in events:
            held[0] = ev
            at = ev.occurred_at
            at = getattr(ev, "at_text", None) or (format_ts(at) if isinstance(at, datetime) else at)
            yield (ev.chain, ev.seq, ev.prev_hash, at, ev.hash, _encoded(ev), _identifying(ev), ev.ident_digest,
                   getattr(ev, "case_id", None))

    def again(_chain, _seq):
        ev = held[0]
        return [_encoded(ev, reparsed=True)] if getattr(ev, "details_json", None) else []

    return verify_links(links(), again=again, check_identifying=check_identifying, max_breaks=max_breaks,
                        opener=opener)


def _encoded(ev, *, reparsed: bool = False) -> bytes:
    """``event_bytes`` (of its details parsed again: ``Reparsed``); nothing for an event that cannot
    be encoded (a hash version set to 9, details that are not JSON), whose hash then matches nothing:
    "event content was changed", not an error."""
    try:
        return event_bytes(Reparsed(ev) if reparsed else ev)
    except (NotCanonical, TypeError, ValueError, AttributeError):
        return b""


def verify_links(links, *, again=None, check_identifying: bool = True, max_breaks: int = 20,
                 opener=None) -> Report:
    """The one check of every chain, over tuples in ``models.link_columns()`` order sorted by (chain,
    seq): each link follows the one before, times never go back, SHA-256 of the canonical bytes is
    the stored hash, the identifying part opens to its digest. ``again(chain, seq)`` gives the bytes
    encoded another way (in Python, details parsed again) to try before an event is called changed."""

    report = Report()
    started = time.perf_counter()
    chain, prev_hash, prev_seq, prev_at = None, GENESIS_HASH, 0, ""  # "" is before every time
    sha256, count, heads, breaks = hashlib.sha256, 0, report.heads, report.breaks
    for count, (this_chain, seq, prev, at, digest, content, ident, ident_digest, case_id) in enumerate(links, 1):  # noqa: B007 - the count is read after the loop
        if this_chain != chain:  # the hot loop: what holds costs one comparison each, then the hash
            if chain is not None:
                heads.append((chain, prev_seq, prev_hash))
            chain, prev_hash, prev_seq, prev_at = this_chain, GENESIS_HASH, 0, ""
            report.chains += 1
        if (seq == prev_seq + 1 and prev == prev_hash and at >= prev_at and len(at) == TIME_WIDTH
                and sha256(content).hexdigest() == digest):
            problem = None
        else:
            problem = _link_problem(chain, seq, prev, at, digest, content, prev_hash, prev_seq, prev_at, again)
        if ident is not None and ident != "null" and problem is None and check_identifying:  # most have none
            problem = _identifying_problem(report, opener, ident, ident_digest, chain, seq, case_id)
        if problem and len(breaks) < max_breaks:
            breaks.append(problem)
        prev_hash, prev_seq, prev_at = digest, seq, at
    report.events = count
    if chain is not None:
        heads.append((chain, prev_seq, prev_hash))
    report.seconds = time.perf_counter() - started
    return report


TIME_WIDTH = len("2026-01-01T00:00:00.000000Z")  # the hash's form of a time; text compares as time only so
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _instant(text: str) -> datetime:
    """A time as the database or a workbook wrote it ("" before every time; unreadable text too)."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else _EPOCH
    except ValueError:
        return _EPOCH


def _link_problem(chain, seq, prev, at, digest, content, prev_hash, prev_seq, prev_at, again) -> Break | None:
    """What is wrong with a link that did not hold at first sight (None: its bytes, encoded again, do)."""
    if seq != prev_seq + 1:
        return Break(chain, seq, "a link is missing or out of order", str(prev_seq + 1), str(seq))
    if prev != prev_hash:
        return Break(chain, seq, "previous hash does not match", prev_hash, prev)
    if _instant(at) < _instant(prev_at):  # as times: a time stored in another shape (no microseconds) too
        return Break(chain, seq, "time goes backwards", prev_at, at)
    if hashlib.sha256(content).hexdigest() == digest:
        return None
    tried = [hashlib.sha256(b).hexdigest() for b in (again(chain, seq) if again is not None else ())]
    if digest in tried:
        return None
    return Break(chain, seq, "event content was changed", tried[0] if tried else hashlib.sha256(content).hexdigest(),
                 digest)


def _identifying_problem(report: Report, opener, raw, ident_digest, chain, seq, case_id) -> Break | None:
    try:
        raw = opener(SimpleNamespace(chain=chain, seq=seq, case_id=case_id), raw) if opener is not None else raw
    except sealing.Erased:
        report.erased.add(chain)
        return None
    if raw is None:
        return None
    digest = sha256_hex(raw.encode()) if isinstance(raw, str) else identifying_digest(raw)
    if digest != ident_digest and isinstance(raw, str):  # the first databases' text, again
        digest = identifying_digest(json.loads(raw))
    if digest != ident_digest:
        return Break(chain, seq, "identifying data was changed", ident_digest, digest)
    return None


class Reparsed:
    """An event row whose details are parsed again from their stored text, which is then hashed in
    canonical form: the text as stored is canonical since 0003 (and passed through untouched), but
    the very first databases stored it as Python's json wrote it (spaces, keys unsorted). The same
    content, so the same hash; asked only when the quick way did not match."""

    def __init__(self, ev):
        self._ev, self.details, self.details_json = ev, json.loads(ev.details_json), None

    def __getattr__(self, name):
        return getattr(self._ev, name)


def _identifying(ev):
    raw = getattr(ev, "identifying_json", None)
    if raw is not None:
        return None if raw == "null" else raw
    return getattr(ev, "identifying", None)


def stream_links(session: Session, chain: str | Chains | None = None, batch: int = 5000):
    """What ``verify_links`` reads, the canonical bytes written by the database, sorted by (chain, seq)."""
    stmt = Chains.of(chain).where(select(*link_columns()).order_by(AuditEvent.chain, AuditEvent.seq), AuditEvent.chain)
    with session.execute(stmt.execution_options(yield_per=batch)) as rows:
        yield from rows


def encoded_again(session: Session):
    """``again`` for rows of ``stream_links``: the event's row read whole and encoded in Python."""

    def again(chain: str, seq: int) -> list[bytes]:
        row = session.execute(select(*event_columns()).where(AuditEvent.chain == chain, AuditEvent.seq == seq)).first()
        if row is None:
            return []
        return [_encoded(row), *([_encoded(row, reparsed=True)] if row.details_json else [])]

    return again


def stream_events(session: Session, chain: str | None = None, batch: int = 5000):
    """Rows, not ORM objects (several times faster), with the JSON columns as stored text."""
    stmt = select(*event_columns()).order_by(AuditEvent.chain, AuditEvent.seq)
    if chain is not None:
        stmt = stmt.where(AuditEvent.chain == chain)
    with session.execute(stmt.execution_options(yield_per=batch)) as rows:  # closes a server-side cursor
        yield from rows


def unsigned_heads(rows) -> list[Break]:
    """With a signing key, every head must carry a signature that verifies: a head moved (or an event
    appended and its head moved) by anyone without the key shows here."""

    keys = signer()
    if not keys.trusted:
        return []
    breaks = []
    for c, s, h, sig in rows:
        if s == 0:
            continue
        if not sig:
            breaks.append(Break(c, s, "the chain head is not signed"))
        elif not keys.verify(head_message(c, s, h), sig):
            breaks.append(Break(c, s, "the chain head's signature does not verify", "a signature by the audit key",
                                sig[:12]))
    return breaks


def verify_at_one_moment(chain: str | Chains | None = None, *, log: bool = True) -> Report:
    """``verify_database`` in a session of its own whose reads all see one moment (``at_one_moment``)."""
    return at_one_moment(lambda session: verify_database(session, chain, log=log))


def verify_log_at_one_moment() -> Report:
    """The one log over every chain and the tree heads signed over it, alone (a part of a whole
    verification whose other parts take the chains)."""

    def check(session):
        report = Report()
        started = time.perf_counter()
        report.breaks.extend(verify_log(session))
        report.seconds = time.perf_counter() - started
        return report

    return at_one_moment(check)


def at_one_moment(check) -> Report:
    """``check(session)`` in a session of its own whose reads all see one moment: the events, the
    chain heads, the log and the records it compares are read by several statements, and a write
    committed between two of them (a vote at the same moment) must not pass for a broken chain.
    PostgreSQL: a REPEATABLE READ transaction; SQLite's read transaction is one snapshot already.
    (A session bound to a connection that is already in a transaction — the tests' — joins it.)"""
    from flask import current_app
    from sqlalchemy.engine import Engine

    session = current_app.extensions["caseflow.db"]["sessionmaker"]()
    # a reading transaction, even inside a request that writes: on SQLite a writer's BEGIN IMMEDIATE
    # here would wait for the write lock that the same request holds on its own connection
    token = write_intent.set(False)
    try:
        bind = session.get_bind()
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return check(session)
    finally:
        write_intent.reset(token)
        session.rollback()
        session.close()


def verify_chains(session: Session, chain: str | Chains | None = None) -> Report:
    """Every chain (or one) as stored, link by link."""
    return verify_links(stream_links(session, chain), again=encoded_again(session), opener=sealing.opener(session))


def verify_database(session: Session, chain: str | Chains | None = None, *, log: bool = True) -> Report:
    """The chains (all, one, or a part: ``Chains``), their heads and the records they made; with every
    chain, and ``log``, the one log over them too (a part leaves it to a part of its own)."""
    started = time.perf_counter()
    chains = Chains.of(chain)
    report = verify_chains(session, chains)
    # the heads table must agree with the events: a removed tail shows here too
    heads_stmt = chains.where(select(ChainHead.chain, ChainHead.seq, ChainHead.hash, ChainHead.sig), ChainHead.chain)
    rows = session.execute(heads_stmt).all()
    recorded = {c: (s, h) for c, s, h, _sig in rows}
    report.breaks.extend(unsigned_heads(rows))
    found = {c: (s, h) for c, s, h in report.heads}
    for c, (s, h) in sorted(recorded.items()):
        if s == 0 and c not in found:
            continue
        if found.get(c) != (s, h):
            fs, fh = found.get(c, (0, GENESIS_HASH))
            report.breaks.append(
                Break(c, s, "the chain ends earlier than its recorded head", f"{s}:{h[:12]}", f"{fs}:{fh[:12]}")
            )
    if chains.every and log:  # the one log over every chain, and every head ever signed over it
        report.breaks.extend(verify_log(session))
    for check in RECORD_CHECKS:  # the records the chains made, replayed and compared
        report.breaks.extend(_checked(session, check, chains))
    report.seconds = time.perf_counter() - started
    return report


def _checked(session: Session, check, chains: Chains) -> list[Break]:
    """A record check, in a savepoint: history it cannot read (details that are not JSON, stored
    behind the application's back) is a finding beside the changed events the chains name, not a 500."""
    try:
        with session.begin_nested():  # rolled back on the error, released otherwise
            return check(session, chains)
    except (ValueError, SQLAlchemyError) as exc:
        return [Break("-", 0, f"a record check could not read the history ({type(exc).__name__})",
                      "events whose details are JSON", "-")]


def log_leaves(session: Session, size: int | None = None):
    """(position, stored leaf hash, chain, seq, event hash) in log order; the event's part is None
    when the event the leaf names is gone."""

    stmt = (select(LogLeaf.position, LogLeaf.leaf_hash, AuditEvent.chain, AuditEvent.seq, AuditEvent.hash)
            .outerjoin(AuditEvent, AuditEvent.id == LogLeaf.event_id).order_by(LogLeaf.position))
    if size is not None:
        stmt = stmt.where(LogLeaf.position < size)
    with session.execute(stmt.execution_options(yield_per=20000)) as rows:
        yield from rows


def replay_log(session: Session, sizes, size: int | None = None, max_breaks: int = 20):
    """Recompute the log from the events themselves (never from the stored leaf hashes): returns
    ({size: root} for each of ``sizes`` reached, the breaks found on the way, the log's size)."""

    frontier, breaks, wanted = Frontier(), [], iter(sorted(set(sizes)))
    nxt = next(wanted, None)
    roots = {}
    while nxt == 0:
        roots[0] = frontier.root.hex()
        nxt = next(wanted, None)
    for position, stored, chain, seq, ev_hash in log_leaves(session, size):
        if position != frontier.size:
            breaks.append(Break("log", frontier.size, "a leaf of the log is missing", str(frontier.size),
                                str(position)))
            break
        if chain is None:
            breaks.append(Break("log", position, "the event at this place in the log is gone"))
            leaf = bytes.fromhex(stored)
        else:
            leaf = event_leaf(chain, seq, ev_hash)
            if leaf.hex() != stored:
                breaks.append(Break("log", position, f"the leaf does not match its event ({chain} seq {seq})",
                                    leaf.hex()[:12], stored[:12]))
        frontier.append(leaf)
        while nxt is not None and nxt == frontier.size:
            roots[nxt] = frontier.root.hex()
            nxt = next(wanted, None)
        if len(breaks) >= max_breaks:
            break
    return roots, breaks, frontier.size


def verify_log(session: Session) -> list[Break]:
    """Every signed tree head against the log recomputed from the events: its signature, its root
    at its size (so each head is consistent with every later one), times that never go back."""

    keys = signer()
    heads = [SignedHead.of(h) for h in session.scalars(select(TreeHead).order_by(TreeHead.tree_size))]
    roots, breaks, size = replay_log(session, [h.tree_size for h in heads])
    last_at = None
    for h in heads:
        if keys.trusted and not keys.verify(h.statement, h.signature):
            breaks.append(Break("log", h.tree_size, "the tree head's signature does not verify"))
        if h.tree_size > size:
            breaks.append(Break("log", h.tree_size, "a signed tree head covers leaves the log no longer has",
                                str(h.tree_size), str(size)))
        elif roots.get(h.tree_size) != h.root:
            breaks.append(Break("log", h.tree_size, "the log no longer gives this signed tree head's root",
                                h.root[:12], (roots.get(h.tree_size) or "-")[:12]))
        if last_at is not None and h.signed_at < last_at:
            breaks.append(Break("log", h.tree_size, "a later tree head is dated earlier", str(last_at),
                                str(h.signed_at)))
        last_at = h.signed_at
    return breaks

