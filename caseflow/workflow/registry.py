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
#: what a registered name reads from its workflow file: ``settings.<key>`` or a top-level block
#: (``quorum``), so that a workflow using it without them stops at start-up, naming both
NEEDS: dict[tuple[str, str], tuple[str, ...]] = {}
#: ``type -> fn(spec) -> marshmallow field``: field types a workflow's own fields may have beyond
#: the engine's (a screening's campaign)
FIELD_TYPES: dict[str, Callable] = {}
MAKERS: dict[str, Callable] = {}
#: ``role -> fn(stmt, user) -> stmt``: what else a case waiting for this role must meet (not yet voted)
WAITING: dict[str, Callable] = {}
#: ``fn(session, subject, touched) -> noted | None``, asked before each event of a subject's chain is
#: appended (``touched``: what the effects that ran say they changed; None: anything may have): a
#: noted object's ``details`` go into the event, and its ``keep(event)`` runs once the event exists
OBSERVERS: list[Callable] = []
#: ``effect -> parts``: what an effect's evolve step changes that observers keep (the statistics' facts: the parts
#: of ``FACT_PARTS``), so that an event that changes none reads none
TOUCHES: dict[str, tuple[str, ...]] = {}
#: ``setting -> fn(value) -> problem | None``: what a rules package asks of a setting it reads (a
#: floor set by a norm), checked when a workflow file or a country overlay is loaded
SETTING_RULES: dict[str, Callable] = {}
#: ``fn(actor, subject) -> bool``: whether a subject is within an actor's remit (who sees which
#: records), registered once by the package that decides it; without one, nothing may be acted on
REMIT: list[Callable] = []
#: ``effect -> fn(rows, happened)``: how an event that ran the effect changes the subject's rows,
#: live and in replay (``workflow.fold``); one per effect that writes
EVOLVERS: dict[str, Callable] = {}
#: ``part -> Projection``: one part of a subject's record, as its events make it and as its rows hold it
PROJECTIONS: dict[str, object] = {}
#: ``part -> fn(session, subject) -> {fact: value}``: one part of a subject's statistical facts, read
#: from its rows by the stage that owns them (beside its evolve step); effects name the parts they
#: change (``touches=``)
FACT_PARTS: dict[str, Callable] = {}


def _register(table: dict, kind: str, name: str, obj):
    if name in table and table[name] is not obj:
        raise ValueError(f"{kind} {name!r} is registered twice")
    table[name] = obj
    return obj


def _needs(kind: str, name: str, needs: tuple[str, ...]):
    if needs:
        NEEDS[(kind, name)] = tuple(needs)


def evolves(*effects: str, touches: tuple[str, ...] = ()):
    """``@evolves("record_vote")``: ``fn(rows, ev)``, how an event that ran these effects changes the
    subject's rows, live and in replay (see ``fold``); ``touches``: the kept parts it changes (see
    ``TOUCHES``)."""
    for name in effects if touches else ():
        TOUCHES[name] = tuple(touches)

    def register(fn):
        for name in effects:
            _register(EVOLVERS, "evolver", name, fn)
        return fn
    return register


def projection(part):
    """Register a ``fold.Projection`` (what one part of the record holds, from events and rows)."""
    return _register(PROJECTIONS, "projection", part.name, part)


def facts(part: str):
    """``@facts("handover")``: how one part of a subject's statistical facts is read from its rows."""
    return lambda fn: _register(FACT_PARTS, "facts part", part, fn)


def guard(name: str, *, needs: tuple[str, ...] = ()):
    _needs("guard", name, needs)
    return lambda fn: _register(GUARDS, "guard", name, fn)


def effect(name: str, *, needs: tuple[str, ...] = ()):
    """An effect's decide step: ``fn(ctx)`` says what happens, into the event (see ``fold``)."""
    _needs("effect", name, needs)
    return lambda fn: _register(EFFECTS, "effect", name, fn)


def effect_names() -> set[str]:
    """Every effect a workflow file may name: those with a decide step, an evolve step or both."""
    return set(EFFECTS) | set(EVOLVERS)


def touched_by(effects) -> frozenset[str]:
    return frozenset(part for name in effects for part in TOUCHES.get(name, ()))


def anchor(name: str):
    return lambda fn: _register(ANCHORS, "anchor", name, fn)


def condition(name: str, *, needs: tuple[str, ...] = ()):
    """A yes/no question about the subject after a transition's effects (see ``reroute``)."""
    _needs("condition", name, needs)
    return lambda fn: _register(CONDITIONS, "condition", name, fn)


def setting_rule(name: str):
    """``fn(value) -> str | None``: the sentence that refuses a workflow's value of setting ``name``."""
    return lambda fn: _register(SETTING_RULES, "setting rule", name, fn)


def setting_problem(name: str, value) -> str | None:
    rule = SETTING_RULES.get(name)
    return rule(value) if rule is not None else None


def waiting(role: str):
    """Narrows "waiting for me" for a role, beyond the states whose ``waits_for`` names it:
    ``fn(stmt, user, case_id)``, where ``case_id`` is the listed subject's id column."""
    return lambda fn: _register(WAITING, "waiting rule", role, fn)


def due_date(name: str):
    """A date people set that a clock falls due on: ``fn(subject) -> datetime | None``."""
    return lambda fn: _register(DUE_DATES, "due date", name, fn)


def record_maker(name: str):
    """``fn(session, data, actor)``: makes a record a workflow's cases refer to (a screening
    campaign); a demo scenario's ``setup`` calls it by name."""
    return lambda fn: _register(MAKERS, "record maker", name, fn)


def field_type(name: str):
    return lambda fn: _register(FIELD_TYPES, "field type", name, fn)


def remit(fn):
    REMIT[:] = [fn]
    return fn


def in_remit(actor, subject) -> bool:
    if not REMIT:
        raise RuntimeError("no remit rule is registered: no subject may be acted on")
    return bool(REMIT[0](actor, subject))


def observer(fn):
    if fn not in OBSERVERS:
        OBSERVERS.append(fn)
    return fn


def register_schema(name: str, schema_cls: type) -> type:
    return _register(SCHEMAS, "schema", name, schema_cls)
