"""Digests of the first kind (v1, v2): a Merkle root over every chain's head as of a time. What is
issued now is the signed tree head of the one log (audit/publish.py); these are still checked
(``audit verify --against``) and label the period statistics.

An auditor keeps the printed token (``v1-<UTC time>-<root>``). Later, ``audit verify --against``
recomputes the heads as they stood at that time; a removed or altered event from before then —
including a truncated tail, which leaves every remaining link intact — changes the root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from caseflow.audit.hashing import canonical_json, sha256_hex
from caseflow.audit.heads import SignedHead
from caseflow.audit.models import AuditEvent, ChainHead
from caseflow.audit.publish import latest_head
from caseflow.audit.signing import DIGEST_CONTEXT, signer
from caseflow.audit.verify import replay_log

TOKEN_RE = re.compile(r"^v1-(\d{8}T\d{6}(?:\.\d{6})?Z)-([0-9a-f]{64})$")
#: a signed digest: v2-<UTC time>-<RFC 9162 Merkle root>-<Ed25519 signature of the statement>
SIGNED_RE = re.compile(r"^v2-(\d{8}T\d{6}\.\d{6}Z)-([0-9a-f]{64})-([A-Za-z0-9_-]{86})$")


#: chain names whose canonical JSON is the name itself between quotes (case codes, "system")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _leaf(chain: str, seq: int, head: str) -> bytes:
    """``canonical_json([chain, seq, head])``, written directly for the usual names (the same bytes)."""
    if _PLAIN_NAME.match(chain) and _PLAIN_NAME.match(head):
        return f'["{chain}",{int(seq)},"{head}"]'.encode()
    return canonical_json([chain, seq, head])


def merkle_root(leaves: list[tuple[str, int, str]]) -> str:
    """Root over leaves sorted by chain; an empty set has the hash of nothing."""
    level = [sha256_hex(_leaf(c, s, h)) for c, s, h in sorted(leaves)]
    if not level:
        return sha256_hex(b"")
    while len(level) > 1:
        nxt = [sha256_hex((level[i] + level[i + 1]).encode()) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def tree_hash(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 Merkle Tree Hash: a leaf is SHA-256(0x00 || data), a node SHA-256(0x01 ||
    left || right), the tree split at the largest power of two below its size (the empty tree: the
    hash of nothing). Leaf and node prefixes keep a leaf from passing for a node."""
    import hashlib

    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    # bottom-up with the odd one carried up: the same tree as RFC 9162's recursive split
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def merkle_root_v2(heads: list[tuple[str, int, str]]) -> str:
    return tree_hash([_leaf(c, s, h) for c, s, h in sorted(heads)]).hex()


def statement(at: datetime, root: str) -> bytes:
    return canonical_json([DIGEST_CONTEXT, at.strftime("%Y%m%dT%H%M%S.%fZ"), root])


@dataclass(frozen=True)
class Digest:
    at: datetime
    root: str
    chains: int
    events: int

    root_v2: str = ""
    #: a signed tree head's check: how many events the log holds now (fewer than the head signed: a rollback)
    log_size: int | None = None

    @property
    def token(self) -> str:
        return f"v1-{self.at.strftime('%Y%m%dT%H%M%S.%fZ')}-{self.root}"

    @property
    def signed_token(self) -> str | None:
        """The digest signed with the application's key (None without one): an auditor checks it with
        the public key alone, and nobody without the key can make one."""

        sig = signer().sign(statement(self.at, self.root_v2))
        return f"v2-{self.at.strftime('%Y%m%dT%H%M%S.%fZ')}-{self.root_v2}-{sig}" if sig else None


def parse_token(token: str) -> tuple[datetime, str]:
    m = TOKEN_RE.match(token.strip())
    if not m:
        raise ValueError(_("A digest looks like v1-20260101T120000.000000Z-<64 hex digits> "
                           "(or v2-…-<root>-<signature>)."))
    fmt = "%Y%m%dT%H%M%S.%fZ" if "." in m.group(1) else "%Y%m%dT%H%M%SZ"
    at = datetime.strptime(m.group(1), fmt).replace(tzinfo=UTC)
    return at, m.group(2)


def heads_as_of(session: Session, at: datetime, *, from_heads: bool = False) -> list[tuple[str, int, str]]:
    """Each chain's last link at ``at``, read back from the events. ``from_heads``: the heads table
    for every chain that has not moved since ``at``, and the events only of those that have (quick:
    it reads no event from before ``at`` of a chain that stood still; for a report's label, never for
    a check: a check must read the events themselves)."""
    last = select(AuditEvent.chain, func.max(AuditEvent.seq).label("seq")).where(AuditEvent.occurred_at <= at)
    if from_heads:
        still = session.execute(select(ChainHead.chain, ChainHead.seq, ChainHead.hash)
                                .where(ChainHead.seq > 0, ChainHead.occurred_at <= at)).all()
        moved = select(ChainHead.chain).where(or_(ChainHead.occurred_at > at, ChainHead.occurred_at.is_(None)))
        last = last.where(AuditEvent.chain.in_(moved))
    else:
        still = []
    last = last.group_by(AuditEvent.chain).subquery()
    rows = session.execute(
        select(AuditEvent.chain, AuditEvent.seq, AuditEvent.hash).join(
            last, and_(AuditEvent.chain == last.c.chain, AuditEvent.seq == last.c.seq)
        )
    )
    return [*((c, s, h) for c, s, h in still), *((c, s, h) for c, s, h in rows)]


def digest_at(session: Session, at: datetime, *, from_heads: bool = False, v2: bool = True) -> Digest:
    """``v2``: the RFC 9162 root too (what ``signed_token`` signs); a report's label needs only ``token``."""
    heads = heads_as_of(session, at, from_heads=from_heads)
    return Digest(at=at, root=merkle_root(heads), chains=len(heads), events=sum(s for _, s, _ in heads),
                  root_v2=merkle_root_v2(heads) if v2 else "")


def check_against(session: Session, token: str) -> tuple[bool, Digest, str]:
    """A kept digest (v1) or signed digest (v2) against the events as they stand: the heads as of its
    time must give its root. A v2 token's signature is checked first (ValueError if it fails).
    A signed tree head (sth1): its signature, then the log recomputed from the events must give its
    root at its size and the latest head's root at that one — the log only grew since."""
    if token.strip().startswith("sth1-"):
        return _check_tree_head(session, token)
    m = SIGNED_RE.match(token.strip())
    if m:
        at = datetime.strptime(m.group(1), "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
        if not signer().verify(statement(at, m.group(2)), m.group(3)):
            raise ValueError(_("The signature of this digest does not verify with the trusted keys."))
        d = digest_at(session, at)
        return d.root_v2 == m.group(2), d, m.group(2)
    at, root = parse_token(token)
    d = digest_at(session, at)
    return d.root == root, d, root


def _check_tree_head(session: Session, token: str) -> tuple[bool, Digest, str]:
    head = SignedHead.parse(token)
    if not signer().verify(head.statement, head.signature):
        raise ValueError(_("The signature of this tree head does not verify with the trusted keys."))
    latest = latest_head(session)
    sizes = [head.tree_size] + ([latest.tree_size] if latest is not None else [])
    roots, breaks, size = replay_log(session, sizes)
    ok = not breaks and roots.get(head.tree_size) == head.root and (
        latest is None or (latest.tree_size >= head.tree_size and roots.get(latest.tree_size) == latest.root))
    found = roots.get(head.tree_size) or "-"
    return ok, Digest(at=head.signed_at, root=found, chains=0, events=head.tree_size, log_size=size), head.root
