"""The identifying part of an event, sealed by whoever owns the keys.

The audit log hashes a salted digest of an event's identifying values and stores them only sealed;
it holds no key and knows no identity. Whoever appends an event hands ``record`` its ``seal``; the
package that owns the keys (``protection``) registers, at import, the opener that verification and
the export use to read those parts back (``opens_events``)."""

from __future__ import annotations

from collections.abc import Callable


class Erased(LookupError):
    """What was sealed with a key that no longer exists (an erased case's identity)."""


_OPENERS: list[Callable] = []


def opens_events(factory: Callable) -> Callable:
    """Register ``factory(session) -> opener(event, raw) -> canonical text | None``."""
    _OPENERS[:] = [factory]
    return factory


def opener(session) -> Callable | None:
    """The registered opener for one pass over many events (keys cached for the pass), or None."""
    return _OPENERS[0](session) if _OPENERS else None
