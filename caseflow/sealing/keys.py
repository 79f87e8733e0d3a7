"""The master key, and sealing with it (AES-256-GCM). It comes from the environment or a file, never
from the database, so a copy of the database alone opens nothing it seals.

- ``CASEFLOW_MASTER_KEY``: 32 random bytes, base64 (``flask protection new-key`` prints one); or
- ``CASEFLOW_MASTER_KEY_FILE``: a file holding it;
- ``CASEFLOW_MASTER_KEY_PREVIOUS``: earlier keys (comma-separated), still opened while
  ``flask protection rotate-master-key`` re-seals everything with the current one;
- development and tests: ``instance/master.key``, made on first start;
- production without one refuses to start (nothing that needs sealing could be stored).

A sealed value is ``s1.<key id>.<base64 nonce + ciphertext>``; the key id names which key sealed it,
and every seal binds its context (``totp:<user id>``, ``case:<case id>``) as associated data, so a
sealed value moved to another row does not open there.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app

from caseflow.config import ConfigError

PREFIX = "s1"


class SealError(ValueError):
    """A sealed value that no key in the keyring opens (a wrong key, or a value moved or changed)."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key_text() -> str:
    return b64(os.urandom(32))


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"caseflow-master-key" + key).hexdigest()[:12]


@dataclass
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    def seal(self, plaintext: bytes, context: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(nonce, plaintext, context.encode())
        return f"{PREFIX}.{self.current_id}.{b64(nonce + sealed)}"

    def open(self, token: str, context: str) -> bytes:
        try:
            prefix, kid, body = token.split(".", 2)
            raw = unb64(body)
            if prefix != PREFIX or kid not in self.keys:
                raise SealError(f"no key {kid!r} in the keyring")
            return AESGCM(self.keys[kid]).decrypt(raw[:12], raw[12:], context.encode())
        except (ValueError, InvalidTag) as exc:
            raise SealError(str(exc) or "the sealed value does not open") from None

    def is_current(self, token: str) -> bool:
        return token.split(".", 2)[1] == self.current_id


def _decode(text: str, where: str) -> bytes:
    key = unb64(text)
    if len(key) != 32:
        raise ValueError(f"{where}: a master key is 32 bytes, base64")
    return key


def init_keys(app: Flask) -> Keyring:
    text = os.environ.get("CASEFLOW_MASTER_KEY") or app.config.get("MASTER_KEY")
    path = os.environ.get("CASEFLOW_MASTER_KEY_FILE") or app.config.get("MASTER_KEY_FILE")
    if not text and path:
        text = Path(path).read_text().strip()
    if not text and app.config["CASEFLOW_ENV"] != "production":
        own = Path(app.instance_path) / "master.key"
        if not own.exists():
            own.write_text(new_key_text() + "\n")
            own.chmod(0o600)
        text = own.read_text().strip()
    if not text:
        raise ConfigError("production needs a master key (CASEFLOW_MASTER_KEY or CASEFLOW_MASTER_KEY_FILE; "
                          "`flask protection new-key` prints one): identities and second factors are sealed with it")
    current = _decode(text, "CASEFLOW_MASTER_KEY")
    keys = {key_id(current): current}
    previous = os.environ.get("CASEFLOW_MASTER_KEY_PREVIOUS") or app.config.get("MASTER_KEY_PREVIOUS") or ""
    for old in filter(None, (p.strip() for p in previous.split(","))):
        k = _decode(old, "CASEFLOW_MASTER_KEY_PREVIOUS")
        keys.setdefault(key_id(k), k)
    ring = Keyring(key_id(current), keys)
    app.extensions["caseflow.keyring"] = ring
    return ring


def keyring() -> Keyring:
    return current_app.extensions["caseflow.keyring"]
