"""The one canonical encoding of stored and hashed facts: sorted keys, no spaces, no floats, times in
UTC to the microsecond. The audit chain hashes it, the database's JSON columns store it, an export
writes it: the same bytes everywhere, so a hash computed from any of them agrees."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import orjson


class NotCanonical(TypeError):
    """A value that has no stable encoding (a float, an object)."""


_ZERO = timedelta(0)
ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_ts(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (hot path of verification: no strftime)."""
    if value.tzinfo is None:
        raise NotCanonical("naive datetime in audit content")
    if value.utcoffset() != _ZERO:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")[:26] + "Z"


def plain(value):
    """Turn a value into JSON-safe, float-free data (dates to ISO text)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    if isinstance(value, float):
        raise NotCanonical("floats are not allowed in audit content; use text or integers")
    raise NotCanonical(f"cannot encode {type(value).__name__} in audit content")


def canonical_json(obj) -> bytes:
    return ENCODER.encode(obj).encode()


_LONG_NUMBER = re.compile(rb"[0-9]{19}")  # past what orjson keeps exact (it reads 2**64 and beyond as floats)


def parse(text: str | bytes):
    """Stored JSON read back, exactly as ``json.loads`` reads it, by orjson where orjson gives the
    same values (several times faster): everything but integers of 19 digits or more (which orjson
    would turn into floats), lone surrogates and non-finite numbers (which it refuses). Those go the
    standard library's way."""
    data = text.encode() if isinstance(text, str) else text
    if _LONG_NUMBER.search(data) is None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)
