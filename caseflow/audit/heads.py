"""A signed tree head and the statements signed over the log (RFC 9162's shapes): the leaf of one
event, the head the log signs, the statement a witness cosigns. Shared by the publisher, the
witness and verification, which import it and not each other."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask_babel import gettext as _

from caseflow.audit.hashing import canonical_json
from caseflow.audit.merkle import leaf_hash
from caseflow.audit.models import TreeHead

WITNESS_CONTEXT = "caseflow-witness-v1"
STH_CONTEXT = "caseflow-tree-head-v1"
TIME_FORMAT = "%Y%m%dT%H%M%S.%fZ"
#: a signed tree head as text: sth1-<size>-<UTC time>-<root>-<Ed25519 signature>
TOKEN_RE = re.compile(r"^sth1-(\d{1,18})-(\d{8}T\d{6}\.\d{6}Z)-([0-9a-f]{64})-([A-Za-z0-9_-]{86})$")


def leaf_data(chain: str, seq: int, event_hash_hex: str) -> bytes:
    return canonical_json([chain, int(seq), event_hash_hex])


def event_leaf(chain: str, seq: int, event_hash_hex: str) -> bytes:
    return leaf_hash(leaf_data(chain, seq, event_hash_hex))


def head_statement(tree_size: int, root: str, at: datetime) -> bytes:
    return canonical_json([STH_CONTEXT, int(tree_size), root, at.astimezone(UTC).strftime(TIME_FORMAT)])


@dataclass(frozen=True)
class SignedHead:
    tree_size: int
    root: str
    signed_at: datetime
    signature: str
    key: str = ""

    @property
    def token(self) -> str:
        at = self.signed_at.astimezone(UTC).strftime(TIME_FORMAT)
        return f"sth1-{self.tree_size}-{at}-{self.root}-{self.signature}"

    @property
    def statement(self) -> bytes:
        return head_statement(self.tree_size, self.root, self.signed_at)

    def as_json(self) -> dict:
        return {"tree_size": self.tree_size, "root": self.root,
                "signed_at": self.signed_at.astimezone(UTC).strftime(TIME_FORMAT),
                "signature": self.signature, "key": self.key, "token": self.token}

    @classmethod
    def from_json(cls, data: dict) -> SignedHead:
        return cls(int(data["tree_size"]), str(data["root"]),
                   datetime.strptime(str(data["signed_at"]), TIME_FORMAT).replace(tzinfo=UTC),
                   str(data["signature"]), str(data.get("key") or ""))

    @classmethod
    def parse(cls, token: str) -> SignedHead:
        m = TOKEN_RE.match(token.strip())
        if not m:
            raise ValueError(_("A signed tree head looks like sth1-<size>-<time>-<64 hex digits>-<signature>."))
        return cls(int(m.group(1)), m.group(3), datetime.strptime(m.group(2), TIME_FORMAT).replace(tzinfo=UTC),
                   m.group(4))

    @classmethod
    def of(cls, row: TreeHead) -> SignedHead:
        return cls(row.tree_size, row.root, row.signed_at, row.signature, row.key)


def cosign_statement(head: SignedHead) -> bytes:
    return canonical_json([WITNESS_CONTEXT, head.tree_size, head.root,
                           head.signed_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")])


def verify_with(key_text: str, message: bytes, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(key_text)).verify(_unb64(signature), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
