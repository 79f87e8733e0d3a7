"""The application's audit signing key (Ed25519): it signs every chain head as it moves, and every
digest it prints. The key comes from the environment or a file — never from the database — so the
database's operator, who can rewrite rows, cannot sign what they wrote.

- ``CASEFLOW_AUDIT_SIGNING_KEY``: the key itself (32-byte seed, base64); or
- ``CASEFLOW_AUDIT_SIGNING_KEY_FILE``: a file holding it (``flask audit new-key FILE`` makes one);
- development and tests: ``instance/audit-signing.key``, made on first start;
- production without a key: heads are not signed, and the start-up log says so.

``CASEFLOW_AUDIT_TRUSTED_KEYS`` lists earlier public keys (base64, comma-separated) still accepted
for signatures made before a key was replaced.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app, has_app_context

from caseflow.audit.hashing import canonical_json

HEAD_CONTEXT = "caseflow-chain-head-v1"
DIGEST_CONTEXT = "caseflow-digest-v2"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_seed() -> str:
    return _b64(os.urandom(32))


def public_text(key: Ed25519PublicKey) -> str:
    return _b64(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


@dataclass
class Signer:
    private: Ed25519PrivateKey | None
    trusted: list[Ed25519PublicKey] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        return self.private is not None

    @property
    def public(self) -> str | None:
        return public_text(self.private.public_key()) if self.private else None

    def public_keys(self) -> list[str]:
        return [public_text(k) for k in self.trusted]

    def sign(self, message: bytes) -> str | None:
        return _b64(self.private.sign(message)) if self.private else None

    def verify(self, message: bytes, signature: str | None) -> bool:
        if not signature:
            return False
        try:
            raw = _unb64(signature)
        except ValueError:
            return False
        for key in self.trusted:
            try:
                key.verify(raw, message)
                return True
            except InvalidSignature:
                continue
        return False


def head_message(chain: str, seq: int, head_hash: str) -> bytes:
    return canonical_json([HEAD_CONTEXT, chain, seq, head_hash])


def init_signing(app: Flask) -> Signer:
    seed = os.environ.get("CASEFLOW_AUDIT_SIGNING_KEY") or app.config.get("AUDIT_SIGNING_KEY")
    path = os.environ.get("CASEFLOW_AUDIT_SIGNING_KEY_FILE") or app.config.get("AUDIT_SIGNING_KEY_FILE")
    if not seed and path:
        seed = Path(path).read_text().strip()
    if not seed and app.config["CASEFLOW_ENV"] != "production":
        own = Path(app.instance_path) / "audit-signing.key"
        if not own.exists():
            own.write_text(new_seed() + "\n")
            own.chmod(0o600)
        seed = own.read_text().strip()
    private = Ed25519PrivateKey.from_private_bytes(_unb64(seed)) if seed else None
    trusted = [private.public_key()] if private else []
    for text in filter(None, (os.environ.get("CASEFLOW_AUDIT_TRUSTED_KEYS") or "").split(",")):
        trusted.append(Ed25519PublicKey.from_public_bytes(_unb64(text)))
    if private is None:
        app.logger.warning("no audit signing key (CASEFLOW_AUDIT_SIGNING_KEY or _FILE): chain heads and "
                           "digests are NOT signed; the database's operator could rewrite them unseen")
    signer = Signer(private, trusted)
    app.extensions["caseflow.signer"] = signer
    return signer


def trusted_public_keys() -> list[str]:
    """The public keys a verifier trusts: the application's (in its context), else those the
    environment names (a laptop: CASEFLOW_AUDIT_TRUSTED_KEYS, or the signing key itself)."""
    if has_app_context() and current_app.extensions.get("caseflow.signer"):
        return current_app.extensions["caseflow.signer"].public_keys()
    keys = [k.strip() for k in (os.environ.get("CASEFLOW_AUDIT_TRUSTED_KEYS") or "").split(",") if k.strip()]
    seed = os.environ.get("CASEFLOW_AUDIT_SIGNING_KEY")
    path = os.environ.get("CASEFLOW_AUDIT_SIGNING_KEY_FILE")
    if not seed and path and Path(path).exists():
        seed = Path(path).read_text().strip()
    if seed:
        keys.append(public_text(Ed25519PrivateKey.from_private_bytes(_unb64(seed)).public_key()))
    return keys


def signer() -> Signer:
    if has_app_context():
        return current_app.extensions.get("caseflow.signer") or Signer(None)
    return Signer(None)
