"""Named guards, effects, payload schemas and clock anchors, registered by the domain packages.

    @guard("quorum_met")
    def quorum_met(ctx) -> str | None:   # None = passes; a sentence = the refusal, shown to users
        ...

    @effect("open_review_round")
    def open_round(ctx) -> None: ...

    register_schema("handover", HandoverSchema)

    @anchor("encounter")
    def encounter(subject) -> datetime | None: ...
"""

from __future__ import annotations

from collections.abc import Callable

GUARDS: dict[str, Callable] = {}
EFFECTS: dict[str, Callable] = {}
SCHEMAS: dict[str, type] = {}
ANCHORS: dict[str, Callable] = {}
CONDITIONS: dict[str, Callable] = {}
DUE_DATES: dict[str, Callable] = {}
#: ``fn(session, subject) -> noted | None``, asked before each event of a subject's chain is appended:
#: a noted object's ``details`` go into the event, and its ``keep(event)`` runs once the event exists
OBSERVERS: list[Callable] = []


def _register(table: dict, kind: str, name: str, obj):
    if name in table and table[name] is not obj:
        raise ValueError(f"{kind} {name!r} is registered twice")
    table[name] = obj
    return obj


def guard(name: str):
    return lambda fn: _register(GUARDS, "guard", name, fn)


def effect(name: str):
    return lambda fn: _register(EFFECTS, "effect", name, fn)


def anchor(name: str):
    return lambda fn: _register(ANCHORS, "anchor", name, fn)


def condition(name: str):
    """A yes/no question about the subject after a transition's effects (see ``reroute``)."""
    return lambda fn: _register(CONDITIONS, "condition", name, fn)


def due_date(name: str):
    """A date people set that a clock falls due on: ``fn(subject) -> datetime | None``."""
    return lambda fn: _register(DUE_DATES, "due date", name, fn)


def observer(fn):
    if fn not in OBSERVERS:
        OBSERVERS.append(fn)
    return fn


def register_schema(name: str, schema_cls: type) -> type:
    return _register(SCHEMAS, "schema", name, schema_cls)
