r"""The canonical encoding of an event and its hash.

hash = SHA-256( canonical_json(content) ) where content holds every recorded field, the digest
of the identifying part (not the values) and the previous hash.

canonical_json is RFC 8785 (JCS) over the values audit content may hold: objects with keys sorted
(every key is ASCII, so code-point order is JCS's UTF-16 order), no whitespace, strings in UTF-8
escaping only what JSON.stringify escapes (quote, backslash, C0 controls: \b \f \n \r \t, the
others as lower-case \u00xx), integers as decimal, and no floats at all (refused). Timestamps are
text, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. A test holds these bytes equal to the ``rfc8785`` package's
on generated events, and injective over the event's fields.

- hash_version 1: ``{action, actor, at, chain, details, from, ident, prev, request, seq, to, v: 1}``;
- hash_version 2 (from 2026-11): the same plus ``case`` (the case id), with ``v`` the row's own
  ``hash_version``: neither can be changed without the hash showing it. Old events keep verifying
  under version 1.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from json.encoder import encode_basestring

import orjson

from caseflow.canonical import ENCODER, NotCanonical, canonical_json, format_ts, plain  # noqa: F401 - the log's words

HASH_VERSION = 2
HASH_VERSIONS = (1, 2)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path) -> str:
    """SHA-256 of a file, read in 1 MiB pieces (exports record it; imports name the file by it)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def identifying_digest(identifying: dict | None) -> str:
    return sha256_hex(canonical_json(identifying)) if identifying else ""


def version_of(ev) -> int:
    return getattr(ev, "hash_version", None) or 1


def event_content(ev) -> dict:
    """Every field that the hash covers, from an AuditEvent or any object with the same names."""
    version = version_of(ev)
    if version not in HASH_VERSIONS:
        raise NotCanonical(f"unknown hash version {version!r}")
    extra = {"case": getattr(ev, "case_id", None)} if version >= 2 else {}
    return {
        **extra,
        "v": version,
        "chain": ev.chain,
        "seq": ev.seq,
        "at": format_ts(ev.occurred_at) if isinstance(ev.occurred_at, datetime) else ev.occurred_at,
        "actor": [ev.actor_id, ev.actor_name, ev.actor_role, ev.actor_org],
        "action": ev.action,
        "from": ev.from_state,
        "to": ev.to_state,
        "details": ev.details or {},
        "ident": ev.ident_digest or "",
        "request": [ev.request_id, ev.client_addr],
        "prev": ev.prev_hash,
    }


def _s(value) -> str:
    return "null" if value is None else encode_basestring(value)


def _i(value) -> str:
    return "null" if value is None else str(int(value))


_IN_ORDER, _SORTED = orjson.OPT_UTC_Z, orjson.OPT_UTC_Z | orjson.OPT_SORT_KEYS
_dumps, _Fragment = orjson.dumps, orjson.Fragment


def event_bytes(ev) -> bytes:
    """Exactly ``canonical_json(event_content(ev))`` (property tests hold them equal, and equal to
    the ``rfc8785`` package's, on arbitrary events), several times faster: orjson writes the same
    bytes for what audit content holds — ASCII keys, JCS's escapes, 64-bit integers, a UTC time with
    microseconds as ``…ffffffZ`` — from a dict written in sorted key order. Rows read with
    ``details_json`` (the stored text, canonical already) pass it through untouched, and then
    nothing needs sorting. What orjson cannot write alike (integers past 64 bits, lone surrogates)
    goes the slower way, by hand."""
    try:  # a row of verify.event_columns(): the JSON as stored text, the time as the database wrote it
        at, details, version, case = ev.at_text, ev.details_json, ev.hash_version or 1, ev.case_id
    except AttributeError:  # an AuditEvent, or another object with its names
        at, details = None, getattr(ev, "details_json", None)
        version, case = getattr(ev, "hash_version", None) or 1, getattr(ev, "case_id", None)
    if at is None or len(at) != 27:
        at = ev.occurred_at
        if at.__class__ is not str and (at.tzinfo is not UTC or not at.microsecond):
            at = format_ts(at)  # another zone, or a whole second (orjson would leave out the zeros)
    actor, request = [ev.actor_id, ev.actor_name, ev.actor_role, ev.actor_org], [ev.request_id, ev.client_addr]
    details = _Fragment(details) if details else ev.details or {}
    if version == 2:
        content = {"action": ev.action, "actor": actor, "at": at, "case": case,
                   "chain": ev.chain, "details": details, "from": ev.from_state, "ident": ev.ident_digest or "",
                   "prev": ev.prev_hash, "request": request, "seq": ev.seq, "to": ev.to_state, "v": 2}
    elif version == 1:
        content = {"action": ev.action, "actor": actor, "at": at, "chain": ev.chain, "details": details,
                   "from": ev.from_state, "ident": ev.ident_digest or "", "prev": ev.prev_hash, "request": request,
                   "seq": ev.seq, "to": ev.to_state, "v": 1}
    else:
        raise NotCanonical(f"unknown hash version {version!r}")
    try:
        return _dumps(content, option=_IN_ORDER if details.__class__ is _Fragment else _SORTED)
    except (TypeError, orjson.JSONEncodeError):
        return event_bytes_by_hand(ev)


def event_bytes_by_hand(ev) -> bytes:
    """The same bytes written out in sorted key order, for what orjson refuses or writes otherwise."""
    at = ev.occurred_at if isinstance(ev.occurred_at, str) else format_ts(ev.occurred_at)
    version = version_of(ev)
    if version not in HASH_VERSIONS:
        raise NotCanonical(f"unknown hash version {version!r}")
    return (
        '{"action":' + _s(ev.action)
        + ',"actor":[' + _i(ev.actor_id) + "," + _s(ev.actor_name) + "," + _s(ev.actor_role) + "," + _s(ev.actor_org)
        + '],"at":' + encode_basestring(at)
        + (',"case":' + _i(getattr(ev, "case_id", None)) if version >= 2 else "")
        + ',"chain":' + encode_basestring(ev.chain)
        + ',"details":' + (getattr(ev, "details_json", None) or ENCODER.encode(ev.details or {}))
        + ',"from":' + _s(ev.from_state)
        + ',"ident":' + encode_basestring(ev.ident_digest or "")
        + ',"prev":' + encode_basestring(ev.prev_hash)
        + ',"request":[' + _s(ev.request_id) + "," + _s(ev.client_addr)
        + '],"seq":' + _i(ev.seq)
        + ',"to":' + _s(ev.to_state)
        + ',"v":' + str(version) + "}"
    ).encode()


def event_hash(ev) -> str:
    return hashlib.sha256(event_bytes(ev)).hexdigest()
