"""A child's identity, sealed per case (crypto-shredding).

Each case has its own data key (AES-256-GCM), wrapped by the master key (``protection.keys``). The
identifying fields — names, date of birth, and the fields a workflow file marks ``identifying`` —
are sealed with it in ``case_identities``; the identifying part of the case's audit events is
sealed with it too. The chain hashes what it always hashed (the salted digest of those values), so
it verifies before and after erasure. Erasing destroys the data key: nothing sealed with it opens
again, anywhere — rows, events, backups.

To find a case by name without any name in clear, each word of a name (from its third letter: its
prefixes) and the date of birth are kept as keyed hashes (HMAC with a key derived from the master
key): a blind index. It finds whole words and their beginnings, not the middle of a word; it is
remade when the master key changes.

The Case reads and sets its identifying fields as plain attributes (``IdentityField``); they are
sealed by ``settle``, which the one place that appends a case's event calls first."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import unicodedata
from datetime import date

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import object_session

from caseflow.audit.sealing import Erased, opens_events
from caseflow.sealing.keys import SealError, b64, keyring, unb64
from caseflow.sealing.models import CaseIdentity, CaseKey, IdentityToken

_CACHE = "_identity_values"
_DIRTY = "_identity_dirty"
_KEY = "_identity_key"


# --- the data key of one case ---------------------------------------------------------------------

def _key_of(case, *, create: bool) -> bytes | None:
    """The case's data key (None once erased); made, wrapped, when ``create`` and it has none."""
    if _KEY in case.__dict__:
        return case.__dict__[_KEY]
    row = case.key_row
    if row is None:
        if not create:
            return None
        raw = AESGCM.generate_key(bit_length=256)

        case.key_row = CaseKey(wrapped=keyring().seal(raw, f"casekey:{case.code}"))
    elif row.wrapped is None:
        raise Erased(case.code)
    else:
        raw = keyring().open(row.wrapped, f"casekey:{case.code}")
    case.__dict__[_KEY] = raw
    return raw


def seal_with_case(case, plaintext: bytes, context: str) -> str:
    """Sealed with the case's data key (``c1.``). A case reopened after its erasure has no key any
    more: what is written about it from then on is sealed with the master key (``s1.``), never in
    clear; what was erased stays erased."""
    if is_erased(case):
        return keyring().seal(plaintext, context)
    raw = _key_of(case, create=True)
    nonce = os.urandom(12)
    return "c1." + b64(nonce + AESGCM(raw).encrypt(nonce, plaintext, context.encode()))


def open_with_case(case, token: str, context: str) -> bytes:
    """A value sealed with the case's data key; ``Erased`` once the key is gone."""
    if token.startswith("s1."):  # written after the erasure (see seal_with_case)
        return keyring().open(token, context)
    raw = _key_of(case, create=False) if not is_erased(case) else None
    if raw is None:
        raise Erased(case.code)
    return open_with_key(raw, token, context)


def open_with_key(raw: bytes, token: str, context: str) -> bytes:
    body = unb64(token.split(".", 1)[1])
    try:
        return AESGCM(raw).decrypt(body[:12], body[12:], context.encode())
    except Exception as exc:  # noqa: BLE001 - InvalidTag: moved or changed
        raise SealError("the sealed value does not open") from exc


def unwrap(session, case_id: int, code: str) -> bytes | None:
    """A case's data key from its row (None: erased, or never made)."""

    row = session.get(CaseKey, case_id)
    if row is None or row.wrapped is None:
        return None
    return keyring().open(row.wrapped, f"casekey:{code}")


# --- the identity as attributes of the case ------------------------------------------------------

def _encode(values: dict) -> bytes:
    return json.dumps({k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()
                       if v not in (None, "")}, sort_keys=True, ensure_ascii=False).encode()


def _decode(data: bytes) -> dict:
    values = json.loads(data)
    if values.get("date_of_birth"):
        values["date_of_birth"] = date.fromisoformat(values["date_of_birth"])
    return values


def _load_rows(case) -> None:
    """The key and the sealed identity of a case in one statement (not two lazy loads): a guard
    that reads the date of birth costs one query."""
    from sqlalchemy.orm.attributes import set_committed_value

    if case.id is None or ("key_row" in case.__dict__ and "identity_row" in case.__dict__):
        return
    session = object_session(case)
    if session is None:
        return
    found = session.execute(select(CaseKey, CaseIdentity)
                            .outerjoin(CaseIdentity, CaseIdentity.case_id == CaseKey.case_id)
                            .where(CaseKey.case_id == case.id)).first()
    key, identity = found if found else (None, None)
    if "key_row" not in case.__dict__:
        set_committed_value(case, "key_row", key)
    if "identity_row" not in case.__dict__:
        set_committed_value(case, "identity_row", identity)


def values_of(case) -> dict:
    """The case's identifying values, opened once per loaded case ({} once erased)."""
    if _CACHE not in case.__dict__:
        _load_rows(case)
        row = case.identity_row if case.id is not None else None
        values = {}
        if row is not None:
            try:
                raw = _key_of(case, create=False)
            except Erased:
                raw = None
            if raw is not None:
                values = _decode(open_with_key(raw, row.sealed, f"identity:{case.code}"))
        case.__dict__[_CACHE] = values
    return case.__dict__[_CACHE]


def set_value(case, name: str, value) -> None:
    if is_erased(case):
        raise Erased(case.code)
    values = dict(values_of(case))
    if value in (None, ""):
        values.pop(name, None)
    else:
        values[name] = value
    case.__dict__[_CACHE] = values
    case.__dict__[_DIRTY] = True


def mark_dirty(case) -> None:
    """The identity (or what its blind index covers) changed: sealed again before the next event."""
    case.__dict__[_DIRTY] = True


def is_erased(case) -> bool:
    return case.key_row is not None and case.key_row.wrapped is None if case.id is not None else False


class IdentityField:
    """``case.given_name``: read opened, set sealed (by ``settle``, before the case's next event)."""

    def __init__(self, name: str):
        self.name = name

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, case, owner=None):
        if case is None:
            return self
        return values_of(case).get(self.name)

    def __set__(self, case, value):
        set_value(case, self.name, value)


# --- the blind index ------------------------------------------------------------------------------

def _index_key() -> bytes:
    ring = keyring()
    return hmac.new(ring.keys[ring.current_id], b"caseflow-blind-index-v1", hashlib.sha256).digest()


def normalise(word: str) -> str:
    text = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in text if ch.isalnum())


def words(text: str | None) -> list[str]:
    return [w for w in (normalise(p) for p in (text or "").replace("-", " ").replace("'", " ").split()) if w]


def token(kind: str, value: str, key: bytes | None = None) -> str:
    return hmac.new(key or _index_key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def reference_token(reference: str, key: bytes | None = None) -> str:
    """A facility's reference for the child, as the duplicate check looks it up."""
    return token("ref", "".join(reference.split()).casefold(), key)


def tokens_of(values: dict, key: bytes | None = None) -> set[str]:
    key = key or _index_key()
    out = set()
    if values.get("facility_reference"):
        out.add(reference_token(str(values["facility_reference"]), key))
    for field in ("given_name", "family_name", "other_names"):
        for w in words(values.get(field)):
            out.update(token("name", w[:n], key) for n in range(min(3, len(w)), len(w) + 1))
    if values.get("date_of_birth"):
        out.add(token("dob", str(values["date_of_birth"]), key))
    return out


def search_tokens(text: str) -> list[str]:
    """One token per word typed (its whole length: a word's beginning matches)."""
    return [token("name", w) for w in words(text)]


# --- sealing at flush -----------------------------------------------------------------------------

def settle(case) -> None:
    """Seal what was set since the case was read (nothing when nothing was)."""
    if case.__dict__.get(_DIRTY):
        if is_erased(case):  # nothing of it can be written again (set_value refuses)
            case.__dict__.pop(_DIRTY, None)
            return
        reseal(case)


def reseal(case) -> None:
    """Seal the case's identity (and remake its index) from its opened values."""

    values = values_of(case)
    if values:
        sealed = seal_with_case(case, _encode(values), f"identity:{case.code}")
        if case.identity_row is None:
            case.identity_row = CaseIdentity(sealed=sealed)
        else:
            case.identity_row.sealed = sealed
    elif case.identity_row is not None:
        case.identity_row = None
    indexed = {**values, "facility_reference": getattr(case, "facility_reference", None)}
    case.identity_tokens = [IdentityToken(token=t) for t in sorted(tokens_of(indexed))]
    case.__dict__.pop(_DIRTY, None)


# --- events: their identifying part sealed with the case's key -----------------------------------

def event_sealer(case):
    """What seals the identifying part of this case's events: its data key (the master key once
    the case's was erased, as ``seal_with_case``)."""
    def seal(canonical: bytes, context: str) -> dict:
        if is_erased(case):
            return seal_with_master(canonical, context)
        return {"sealed": seal_with_case(case, canonical, context)}

    return seal


def seal_with_master(canonical: bytes, context: str) -> dict:
    """The identifying part of an event of no case (a search's names): sealed with the master key."""
    return {"sealed_master": keyring().seal(canonical, context)}


def open_event_part(session, raw_json: str | None, case_id: int | None, chain: str, seq: int, keys: dict):
    """The canonical text of an event's identifying part; ``Erased`` when its case's key is gone.
    ``keys`` caches data keys by case id for a pass over many events."""
    if raw_json in (None, "null"):
        return None
    part = json.loads(raw_json)
    context = f"event:{chain}:{seq}"
    if "sealed_master" in part:
        return keyring().open(part["sealed_master"], context).decode()
    if "sealed" not in part:
        return raw_json  # written before sealing began: its canonical text as stored
    if case_id not in keys:  # a case's chain is named by its code, which its key's context binds
        keys[case_id] = unwrap(session, case_id, chain)
    if keys[case_id] is None:
        raise Erased(chain)
    return open_with_key(keys[case_id], part["sealed"], context).decode()


@opens_events
def event_opener(session):
    """Opens the identifying parts sealed with each case's key (keys cached for the pass)."""
    keys: dict = {}

    def opener(ev, raw):
        return open_event_part(session, raw if isinstance(raw, str) else None, ev.case_id, ev.chain, ev.seq, keys)

    return opener
