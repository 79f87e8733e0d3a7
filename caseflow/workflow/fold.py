"""Decide, then evolve: a subject's rows are what its events make them.

Each effect a transition names is two steps, registered by its stage:

- *decide* (``@registry.effect``, in ``<stage>/rules.py``): reads the subject and its rows and
  says what happens — the facts that go into the event (``ctx.details``, ``ctx.identifying``). It
  writes no row.
- *evolve* (``@registry.evolves``, in ``<stage>/evolve.py``): projects the event onto the rows —
  ``fn(rows, ev)``, where ``ev`` is a ``Happened`` (the payload, the details, who and when) and
  ``rows`` the subject's rows (``Rows``).

The same evolve runs live, on the rows in the session (``LiveRows``, from ``engine.fire``), and in
replay, on rows made in memory (``Record``, from ``fold``): ``audit verify``, the export's rebuild
check and the tests' live-equals-replay property compare the replayed rows with the stored ones,
part by part (each stage's ``Projection``), the first difference first; the statistics' facts are
read from the rows evolve wrote. What the database settles as the rows are written (an id) is noted
in the event live and read back from it in replay (``Happened.settle``).
The engine knows no case: which event opens a subject is the caller's to say, and what a replay
starts from (``blank``) too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import inspect as sa_inspect

from caseflow.workflow import registry

#: the event of a subject moved to a newer version of its workflow (``workflow.versions``)
MIGRATED = "workflow_migrated"


@dataclass
class Happened:
    """One event as an evolve step sees it: being appended (``live``) or replayed from the chain.
    ``payload``: the transition's payload (live: all of it, typed; replayed: what the event keeps in
    clear, as JSON); ``details``: the event's details (live: the ones being written)."""

    effect: str
    at: datetime | None
    actor_id: int | None
    payload: dict
    details: dict
    live: bool = False
    actor: object | None = None  # live only: the user acting

    def settle(self, compute: Callable[[], dict | None]) -> None:
        """What the rows settle as they are written (an id the database gives, the age that
        follows): computed and noted in the event live; in replay the event already says it."""
        if self.live:
            self.details.update(compute() or {})


def fields_of(model, payload: dict) -> dict:
    """The payload's values that are fields of ``model``: its mapped columns and its sealed fields,
    never its id (what an older event's payload named that the table no longer has is left out, and
    so is whatever else a stored payload says)."""
    names = (set(sa_inspect(model).column_attrs.keys()) | set(getattr(model, "sealed_field_names", tuple)())) - {"id"}
    return {k: v for k, v in payload.items() if k in names}


class Rows:
    """A subject's rows as evolve steps change them: ``subject``; ``of(model)`` its rows of one
    table in order (read once, then kept as they change); ``add(obj)`` one of its own rows;
    ``add_child(obj)`` a row that belongs to another (a vote to its round), made with that row
    (``Vote(round=rnd)``: in ``rnd.votes`` too); ``delete(obj)`` a row an evolve step took out of its list
    or collection; ``flush()`` what makes an id."""

    def __init__(self, subject):
        self.subject = subject
        self._lists: dict = {}

    def _load(self, model) -> list:
        return []

    def of(self, model) -> list:
        if model not in self._lists:
            self._lists[model] = list(self._load(model))
        return self._lists[model]

    def add(self, obj):
        self.of(type(obj)).append(obj)
        return obj

    def add_child(self, obj):
        """A row that belongs to another of its rows, already in that row's collection."""
        return obj

    def delete(self, obj) -> None:
        pass

    def flush(self) -> None:
        pass


class LiveRows(Rows):
    """The rows in the session: read through the subject (``subject.rows_of(session, model)``),
    written to the session."""

    def __init__(self, session, subject):
        super().__init__(subject)
        self.session = session

    def _load(self, model) -> list:
        return self.subject.rows_of(self.session, model)

    def add(self, obj):
        super().add(obj)
        self.session.add(obj)
        return obj

    def add_child(self, obj):
        self.session.add(obj)
        return obj

    def delete(self, obj) -> None:
        self.session.delete(obj)

    def flush(self) -> None:
        self.session.flush()


class Record(Rows):
    """A subject's rows as its events make them, in memory: its state, version and last event seen,
    and ``part(name)``: one part as its projection reads it from these rows."""

    def __init__(self, subject=None):
        super().__init__(subject)
        self.state: str | None = None
        self.version = 0
        self.seq = 0

    def part(self, name: str):
        return registry.PROJECTIONS[name].read(self)


@dataclass(frozen=True)
class Projection:
    """One part of a subject's rows compared with its history: ``read(rows)`` the part from a
    subject's rows (replayed or live); ``rows(session, ids) -> {id: value}`` the same from the stored
    rows of many subjects at once (``make()`` for a subject without any); ``differences(want, have)
    -> [(field, want, have)]``; parts are compared in ``order``."""

    name: str
    order: int
    make: Callable
    rows: Callable
    differences: Callable
    read: Callable

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


def evolve(rows: Rows, ev: Happened) -> None:
    """One effect's evolve step, if it has one (an effect that only decides writes nothing)."""
    step = registry.EVOLVERS.get(ev.effect)
    if step is not None:
        step(rows, ev)


def _moment(value) -> datetime | None:
    """When an event happened, as a time (an exported History gives it as ISO text)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value


def fold(events, versions: dict, workflow: str, *, opened: str, blank: Callable = lambda ev: None) -> Record:
    """The rows of one subject from its events, in order, each read with the version of the
    workflow it ran on then (``versions``: (name, version) -> Workflow); ``opened`` is the action of
    the event that opens a subject (its version 1); ``blank(event)`` the subject as it stands before
    any effect (an object of the subject's kind that no session holds)."""

    def at(version):
        wf = versions.get((workflow, version))
        return wf, (set(wf.triggers()) if wf else set())

    wf, triggers = at(1)
    x = None
    for ev in events:
        if x is None:
            x = Record(blank(ev))
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
        payload, when = details.get("payload") or {}, _moment(getattr(ev, "occurred_at", None))
        for name in effects_of(wf, ev):
            evolve(x, Happened(name, when, ev.actor_id, payload, dict(details)))
    return x if x is not None else Record(None)


def differences(x: Record, rows: dict) -> list[tuple[str, str, str]]:
    """(field, expected, found) of every part, in the parts' order; ``rows``: part -> what the rows hold."""
    out = []
    for p in projections():
        out += p.compare(x.part(p.name), rows.get(p.name, p.make()))
    return out
