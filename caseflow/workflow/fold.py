"""A subject's record as its events make it: the fold of the evolve steps of the effects each event ran.

Each stage says once, in its ``evolve.py``, how an event that ran one of its effects changes its
part of the record (``@registry.evolves``), and how to read the same part from its rows
(a ``Projection``). ``fold`` replays a chain with the workflow version the subject ran on at each
event; ``audit verify``, the export's rebuild check and the tests' live-equals-replay property all
compare the fold with the rows, part by part, the first difference first. The engine knows no case:
which event opens a subject is the caller's to say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from caseflow.workflow import registry
from caseflow.workflow.versions import MIGRATED


@dataclass
class Record:
    """What a subject's rows should hold, built event by event: its state and version, and one
    value per registered part (``part(name)``: made by the part's projection on first use)."""

    state: str | None = None
    version: int = 0
    seq: int = 0
    parts: dict = field(default_factory=dict)

    def part(self, name: str):
        if name not in self.parts:
            self.parts[name] = registry.PROJECTIONS[name].make()
        return self.parts[name]


@dataclass(frozen=True)
class Projection:
    """One part of the record: ``make()`` its empty value; ``rows(session, ids) -> {id: value}`` what
    the rows hold, in the same shape; ``differences(want, have) -> [(field, want, have)]``; parts are
    compared in ``order``."""

    name: str
    order: int
    make: Callable
    rows: Callable
    differences: Callable

    def compare(self, want, have) -> list[tuple[str, str, str]]:
        return self.differences(want, have)


def same(name: str):
    """``differences`` for a part compared whole."""
    return lambda want, have: [] if want == have else [(name, str(want), str(have))]


def projections() -> list[Projection]:
    return sorted(registry.PROJECTIONS.values(), key=lambda p: p.order)


def effects_of(wf, ev) -> list[str]:
    """The effects an event ran: its transition's, and its reroute's when it recorded one."""
    t = wf.transition_for(ev.action, ev.from_state)
    if t is None:
        return []
    names = list(t.effects)
    rerouted = (ev.details or {}).get("rerouted")
    if rerouted:
        rule = next((r for r in t.reroutes if r.condition == rerouted.get("because")), None)
        names += list(rule.effects) if rule else []
    return names


def fold(events, versions: dict, workflow: str, *, opened: str) -> Record:
    """The record of one subject from its events, in order, each read with the version of the
    workflow it ran on then (``versions``: (name, version) -> Workflow); ``opened`` is the action of
    the event that opens a subject (its version 1)."""

    def at(version):
        wf = versions.get((workflow, version))
        return wf, (set(wf.triggers()) if wf else set())

    wf, triggers = at(1)
    x = Record()
    for ev in events:
        x.seq = ev.seq
        details = ev.details or {}
        if ev.action == opened:
            x.state, x.version = ev.to_state, 1
            wf, triggers = at(details.get("workflow_version", 1))
            continue
        if ev.action == MIGRATED:
            x.state, x.version = ev.to_state, x.version + 1
            wf, triggers = at((details.get("migrated") or {}).get("to"))
            continue
        if ev.action not in triggers:
            continue
        x.state, x.version = ev.to_state, x.version + 1
        payload = details.get("payload") or {}
        for name in effects_of(wf, ev):
            evolve = registry.EVOLVERS.get(name)
            if evolve is not None:
                evolve(x, ev, payload, details, name)
    return x


def differences(x: Record, rows: dict) -> list[tuple[str, str, str]]:
    """(field, expected, found) of every part, in the parts' order; ``rows``: part -> what the rows hold."""
    out = []
    for p in projections():
        out += p.compare(x.part(p.name), rows.get(p.name, p.make()))
    return out
