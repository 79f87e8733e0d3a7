"""A case's history as people read it: each event's details, with the free text kept in its sealed
part (reasons, comments, notes, old and new values of edited text) opened and put back where it was
said. What identifies the child (names, date of birth, a service number) and what a stage's schema
marks identifying (a child's condition, medical notes, findings) stays withheld: it is shown, if at
all, where its own rules allow (the identity on request, the stage's section)."""

from __future__ import annotations

import json

from caseflow.audit import sealing
from caseflow.cases.models import IDENTIFYING_FIELDS
from caseflow.workflow import registry

NESTED = ("changes", "corrections")


_WITHHELD: dict[tuple, frozenset[str]] = {}


def withheld_fields(wf) -> frozenset[str]:
    key = (wf.name, wf.version, wf.identifying_fields(()))
    if key not in _WITHHELD:
        marked = {f for cls in registry.SCHEMAS.values() for f in getattr(cls, "identifying_fields", ())}
        _WITHHELD[key] = frozenset(marked | set(wf.identifying_fields(IDENTIFYING_FIELDS)))
    return _WITHHELD[key]


def readable(sealed_values: dict | None, withheld: frozenset[str]) -> dict:
    """The sealed part's values that may be read: its free text, not the identity."""
    out = {}
    for key, value in (sealed_values or {}).items():
        if key in NESTED and isinstance(value, dict):
            shown = {f: pair for f, pair in value.items() if f not in withheld}
            if shown:
                out[key] = shown
        elif key not in withheld:
            out[key] = value
    return out


def merged(details: dict | None, sealed_values: dict | None, withheld: frozenset[str]) -> dict:
    """``details`` with the sealed part's values that may be read put back in their place."""
    out = dict(details or {})
    flat_into = "fields" if isinstance(out.get("fields"), dict) else "payload"
    for key, value in readable(sealed_values, withheld).items():
        if key in NESTED:
            out[key] = {**(out.get(key) or {}), **value}
        else:
            out[flat_into] = {**(out.get(flat_into) or {}), key: value}
    return out


def sealed_values(opener, ev, raw: str | None) -> dict | None:
    """The values of an event's sealed part (None when it has none, or its key was erased)."""
    if opener is None or raw in (None, "null"):
        return None
    try:
        canonical = opener(ev, raw)
    except sealing.Erased:
        return None
    return json.loads(canonical).get("values") if canonical else None


def text_of(session, wf, events) -> dict[int, dict]:
    """event id -> the free text its sealed part holds that may be read (one opener, keys cached,
    for the whole history)."""
    opener = sealing.opener(session)
    withheld = withheld_fields(wf)
    return {ev.id: readable(sealed_values(opener, ev, None if ev.identifying is None
                                          else json.dumps(ev.identifying)), withheld) for ev in events}


def details_shown(session, wf, events) -> dict[int, dict]:
    """event id -> the details to show, the readable free text put back where it was said."""
    text = text_of(session, wf, events)
    return {ev.id: merged(ev.details, text[ev.id], frozenset()) for ev in events}
