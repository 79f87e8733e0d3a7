"""A witness outside the server: ``flask audit witness URL-or-FILE --state FILE``.

Run by someone other than the database's operator, on another machine, from cron. Each run it
fetches the log's latest signed tree head, checks

- the signature, with the log's public key pinned at the first run (or given with ``--log-key``);
- that the log only grew since the last head it saw: a consistency proof (RFC 9162 §2.1.4) from
  that head to this one; the same size with another root is a **fork**, a smaller size or an
  earlier time a **rollback**;

keeps what it saw in its state file (JSON lines, only ever appended), countersigns the head with
its own key and sends the countersignature back, where the auditor's page lists it. A log that
shows one history to the witness and another to an auditor is caught when either holds a head the
other cannot prove consistent.

The source is the API (``https://host/api/v1``, with an auditor's token) or a file written by
``flask audit bundle`` for a witness without a network path to the server: the head and every
leaf hash, from which the witness recomputes the root and the proof itself.

It needs nothing of the application: no database, no configuration, only this file's imports.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseflow.audit.heads import SignedHead, cosign_statement, verify_with  # noqa: F401 - also the witness's words
from caseflow.audit.merkle import consistency_proof, range_hash, verify_consistency

BUNDLE_FORMAT = "caseflow-log-bundle-v1"


class Alarm(Exception):
    """The log misbehaved: ``kind`` is fork, rollback or signature."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class SourceError(Exception):
    """The log could not be read (not an alarm about the log itself)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))


# -- sources --------------------------------------------------------------------------------------

class HttpSource:
    """The API. ``fetch(method, url, headers, body) -> (status, bytes)`` defaults to urllib."""

    def __init__(self, base_url: str, token: str | None, fetch=None):
        self.base, self.token, self._fetch = base_url.rstrip("/"), token, fetch or _urllib_fetch

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        status, raw = self._fetch(method, self.base + path, headers, data)
        if status >= 400:
            raise SourceError(f"{method} {path}: HTTP {status}: {raw[:200].decode(errors='replace')}")
        return json.loads(raw or b"{}")

    def latest(self) -> dict:
        return self._call("GET", "/audit/tree-heads/latest")

    def proof(self, first: int, second: int) -> list[str]:
        return self._call("GET", f"/audit/consistency?first={first}&second={second}")["proof"]

    def confirm(self, body: dict) -> None:
        self._call("POST", "/audit/witness-confirmations", body)


def _urllib_fetch(method, url, headers, data):
    if not url.startswith(("http://", "https://")):
        raise SourceError(f"{url}: not an http(s) address")
    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 (the operator's URL)
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise SourceError(f"{url}: {exc}") from None


class FileSource:
    """A bundle file: the head and every leaf hash up to it; the witness builds the proofs itself."""

    def __init__(self, path: str | os.PathLike):
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise SourceError(f"{path}: not a log bundle ({exc})") from None
        if data.get("format") != BUNDLE_FORMAT:
            raise SourceError(f"{path}: not a {BUNDLE_FORMAT} file")
        self.head = data["head"]
        raw = base64.b64decode(data.get("leaf_hashes") or "")
        self.leaves = [raw[i:i + 32] for i in range(0, len(raw), 32)]
        size = int(self.head["tree_size"])
        if len(self.leaves) != size or range_hash(self.leaves).hex() != self.head["root"]:
            raise Alarm("fork", "the bundle's leaves do not give its head's root")

    def latest(self) -> dict:
        return self.head

    def proof(self, first: int, second: int) -> list[str]:
        return [h.hex() for h in consistency_proof(first, self.leaves, second)]

    def confirm(self, body: dict) -> None:  # nobody to tell: the state file is the record
        return None


def open_source(where: str, token: str | None = None, fetch=None):
    if where.startswith(("http://", "https://")):
        return HttpSource(where, token, fetch)
    return FileSource(where)


# -- state ----------------------------------------------------------------------------------------

@dataclass
class State:
    path: Path
    log_key: str | None = None
    last: SignedHead | None = None

    @classmethod
    def load(cls, path: str | os.PathLike) -> State:
        state = cls(Path(path))
        if state.path.exists():
            for line in state.path.read_text().splitlines():
                if not line.strip():
                    continue
                rec = json.loads(line)
                if rec.get("kind") == "pinned":
                    state.log_key = rec["log_key"]
                elif rec.get("kind") == "seen":
                    state.last = SignedHead.from_json(rec["head"])
        return state

    def append(self, record: dict) -> None:
        record = {"at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), **record}
        with open(self.path, "a") as fh:  # only ever appended: the witness's own history
            fh.write(json.dumps(record, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def own_key(self) -> Ed25519PrivateKey:
        key_path = self.path.with_name(self.path.name + ".key")
        if not key_path.exists():
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(_b64(os.urandom(32)) + "\n")
        return Ed25519PrivateKey.from_private_bytes(_unb64(key_path.read_text()))


def public_of(key: Ed25519PrivateKey) -> str:
    return _b64(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


# -- one run --------------------------------------------------------------------------------------

@dataclass
class Observation:
    head: SignedHead
    previous: SignedHead | None
    grew_by: int


def check(state: State, head: SignedHead, source) -> None:
    """Raise an Alarm if ``head`` is not a head this witness can accept after ``state.last``."""
    if not verify_with(state.log_key, head.statement, head.signature):
        raise Alarm("signature", f"the head of size {head.tree_size} is not signed by the log's key")
    last = state.last
    if last is None:
        return
    if head.tree_size < last.tree_size:
        raise Alarm("rollback", f"the log shrank from {last.tree_size} to {head.tree_size} leaves")
    if head.signed_at < last.signed_at:
        raise Alarm("rollback", f"the head is dated {head.signed_at:%Y-%m-%d %H:%M:%S}, before the last one seen "
                                f"({last.signed_at:%Y-%m-%d %H:%M:%S})")
    if head.tree_size == last.tree_size:
        if head.root != last.root:
            raise Alarm("fork", f"two heads of size {head.tree_size} with different roots: "
                                f"{last.root[:16]}… and {head.root[:16]}…")
        return
    if last.tree_size == 0:  # every log extends the empty one
        return
    proof = [bytes.fromhex(h) for h in source.proof(last.tree_size, head.tree_size)]
    if not verify_consistency(last.tree_size, head.tree_size, bytes.fromhex(last.root), bytes.fromhex(head.root),
                              proof):
        raise Alarm("fork", f"the head of size {head.tree_size} does not extend the head of size "
                            f"{last.tree_size} seen before: the log was rewritten")


def observe(state: State, source, name: str, log_key: str | None = None) -> Observation:
    """One run: fetch, check, record, countersign. An Alarm is recorded in the state file too."""
    try:
        head = SignedHead.from_json(source.latest())
    except (KeyError, ValueError, TypeError) as exc:
        raise SourceError(f"the log's answer is not a signed tree head ({exc})") from None
    if state.log_key is None:
        state.log_key = log_key or head.key
        if not state.log_key:
            raise SourceError("the log names no key; give --log-key")
        state.append({"kind": "pinned", "log_key": state.log_key})
    elif log_key and log_key != state.log_key:
        raise Alarm("signature", "the key given differs from the key pinned in the state file")
    try:
        check(state, head, source)
    except Alarm as alarm:
        state.append({"kind": "alarm", "alarm": alarm.kind, "problem": str(alarm), "head": head.as_json(),
                      "last": state.last.as_json() if state.last else None})
        raise
    previous = state.last
    state.append({"kind": "seen", "head": head.as_json()})
    state.last = head
    own = state.own_key()
    source.confirm({"witness": name, "witness_key": public_of(own), "tree_size": head.tree_size,
                    "root": head.root, "signed_at": head.as_json()["signed_at"],
                    "cosignature": _b64(own.sign(cosign_statement(head)))})
    return Observation(head, previous, head.tree_size - (previous.tree_size if previous else 0))
