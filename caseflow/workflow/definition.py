"""Workflow definitions: YAML in, validated ``Workflow`` objects (each with one ``transitions``
Machine) out. Any mistake stops start-up with the file and the key that is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from transitions import Machine

from caseflow.workflow import registry

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
LANGS = ("en", "fr")
UNITS = ("hours", "days")
REQUIRED_SETTINGS = (
    "case_code_prefix",
    "minimum_age_criminal_responsibility",
    "handover_time_limit_hours",
    "appeal_window_days",
    "review_decision_days",
    "re_review_interval_days",
)


class WorkflowError(RuntimeError):
    """A workflow file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Reroute:
    """An action that can change what it stands on: when ``condition`` holds after the effects, the
    case moves to ``dest`` and these ``effects`` run too (a correction that undoes a decision's
    legal basis sends the case back to review)."""

    condition: str
    dest: str
    effects: tuple[str, ...]


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str | None  # None: an action inside the state (a vote, a referral, an edit)
    roles: tuple[str, ...]
    guards: tuple[str, ...]
    effects: tuple[str, ...]
    schema: str | None
    label: dict
    form: tuple[str, ...] = ()
    #: settings of this transition that its guards read (e.g. which roles may close for which reason)
    options: dict = field(default_factory=dict, hash=False, compare=False)
    #: after the effects, the first rule whose condition holds moves the case on: (condition, dest, effects)
    reroutes: tuple[Reroute, ...] = ()
    #: False for actions that change nothing another person edits (a vote): no stale-version check
    version_check: bool = True

    @property
    def changes_state(self) -> bool:
        return self.dest is not None


@dataclass(frozen=True)
class Clock:
    name: str
    anchor: str
    limit_setting: str | None
    unit: str
    states: tuple[str, ...]
    label: dict
    #: a date people set (a next review, a next visit) that, when there is one, is the due date
    due: str | None = None


@dataclass
class Workflow:
    name: str
    path: str
    version: int
    label: dict
    initial: str
    states: dict[str, dict]
    transitions: list[Transition]
    clocks: dict[str, Clock]
    settings: dict
    quorum: dict
    final_states: tuple[str, ...] = ()
    machine: Machine | None = field(default=None, repr=False)

    def by_trigger(self, trigger: str) -> list[Transition]:
        return [t for t in self.transitions if t.trigger == trigger]

    def transition_for(self, trigger: str, state: str) -> Transition | None:
        for t in self.transitions:
            if t.trigger == trigger and state in t.sources:
                return t
        return None

    def triggers(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.transitions:
            seen.setdefault(t.trigger)
        return list(seen)

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def state_label(self, state: str, lang: str) -> str:
        labels = self.states.get(state) or {}
        return labels.get(lang) or labels.get("en") or state

    def setting(self, name: str):
        return self.settings[name]


def _fail(path, key, message):
    raise WorkflowError(f"{path}: {key}: {message}")


def _labels(path, key, value) -> dict:
    if not isinstance(value, dict) or any(not isinstance(value.get(lang), str) or not value.get(lang)
                                          for lang in LANGS):
        _fail(path, key, f"needs a label in each of {', '.join(LANGS)}")
    return {lang: value[lang] for lang in LANGS}


def _flag(path, key, value) -> bool:
    if not isinstance(value, bool):
        _fail(path, key, "must be true or false")
    return value


def _names(path, key, value, known, kind) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        _fail(path, key, f"must be a list of {kind} names")
    for name in value:
        if name not in known:
            _fail(path, key, f"unknown {kind} {name!r}")
    return tuple(value)


def parse_workflow(raw: dict, path: str, roles: set[str]) -> Workflow:
    if not isinstance(raw, dict):
        _fail(path, "(top)", "must be a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not IDENT.match(name):
        _fail(path, "name", "must be a lower-case identifier")
    states_raw = raw.get("states")
    if not isinstance(states_raw, dict) or not states_raw:
        _fail(path, "states", "must map state names to labels")
    states = {}
    for s, labels in states_raw.items():
        if not IDENT.match(str(s)):
            _fail(path, f"states.{s}", "state names are lower-case identifiers")
        states[s] = _labels(path, f"states.{s}", labels)
    initial = raw.get("initial")
    if initial not in states:
        _fail(path, "initial", f"unknown state {initial!r}")
    settings = raw.get("settings") or {}
    for key in REQUIRED_SETTINGS:
        if key not in settings:
            _fail(path, f"settings.{key}", "is required")
    for key, value in settings.items():
        if key != "case_code_prefix" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            _fail(path, f"settings.{key}", "must be a whole number of zero or more")
    if not re.match(r"^[A-Z]{2,6}$", str(settings["case_code_prefix"])):
        _fail(path, "settings.case_code_prefix", "must be 2 to 6 capital letters")
    quorum = raw.get("quorum") or {}
    for key in ("min_members", "min_institutions"):
        if not isinstance(quorum.get(key), int) or quorum[key] < 1:
            _fail(path, f"quorum.{key}", "must be a whole number of one or more")
    quorum.setdefault("require_kinds", [])
    if not isinstance(quorum["require_kinds"], list):
        _fail(path, "quorum.require_kinds", "must be a list of organisation kinds")
    quorum.setdefault("majority_by", "institution")
    if quorum["majority_by"] not in ("institution", "member"):
        _fail(path, "quorum.majority_by", "must be institution or member")
    order = quorum.get("least_restrictive_first")
    if order is not None:
        if not isinstance(order, list) or not order or not all(
                isinstance(tier, str | list) for tier in order):
            _fail(path, "quorum.least_restrictive_first", "must list outcomes (or lists of equal ones)")
        quorum["least_restrictive_first"] = [[tier] if isinstance(tier, str) else list(tier) for tier in order]
    never = quorum.get("never_by_tie", [])
    if not isinstance(never, list):
        _fail(path, "quorum.never_by_tie", "must be a list of outcomes")

    transitions = []
    triggers_dest: dict[tuple[str, str], str | None] = {}
    for i, t in enumerate(raw.get("transitions") or []):
        key = f"transitions[{i}]"
        if not isinstance(t, dict):
            _fail(path, key, "must be a mapping")
        trigger = t.get("trigger")
        if not isinstance(trigger, str) or not IDENT.match(trigger):
            _fail(path, f"{key}.trigger", "must be a lower-case identifier")
        if trigger in states:
            _fail(path, f"{key}.trigger", "a trigger may not share a name with a state")
        key = f"transitions[{i}] ({trigger})"
        source = t.get("source")
        sources = tuple(states) if source == "*" else _names(path, f"{key}.source", source, states, "state")
        if not sources:
            _fail(path, f"{key}.source", "names no state")
        dest = t.get("dest")
        if dest is not None and dest not in states:
            _fail(path, f"{key}.dest", f"unknown state {dest!r}")
        for s in sources:
            if (trigger, s) in triggers_dest:
                _fail(path, f"{key}.source", f"trigger {trigger!r} is already defined from state {s!r}")
            triggers_dest[(trigger, s)] = dest
        trole = _names(path, f"{key}.roles", t.get("roles"), roles, "role")
        if not trole:
            _fail(path, f"{key}.roles", "at least one role must be allowed")
        schema = t.get("schema")
        if schema is not None and schema not in registry.SCHEMAS:
            _fail(path, f"{key}.schema", f"unknown schema {schema!r}")
        options = t.get("options") or {}
        if not isinstance(options, dict):
            _fail(path, f"{key}.options", "must be a mapping")
        reroutes = []
        for j, r in enumerate(t.get("reroute") or []):
            rkey = f"{key}.reroute[{j}]"
            if not isinstance(r, dict):
                _fail(path, rkey, "must be a mapping with when, dest and effects")
            if r.get("when") not in registry.CONDITIONS:
                _fail(path, f"{rkey}.when", f"unknown condition {r.get('when')!r}")
            if r.get("dest") not in states:
                _fail(path, f"{rkey}.dest", f"unknown state {r.get('dest')!r}")
            reroutes.append(Reroute(r["when"], r["dest"],
                                    _names(path, f"{rkey}.effects", r.get("effects"), registry.EFFECTS, "effect")))
        transitions.append(
            Transition(
                trigger=trigger,
                sources=sources,
                dest=dest,
                roles=trole,
                guards=_names(path, f"{key}.guards", t.get("guards"), registry.GUARDS, "guard"),
                effects=_names(path, f"{key}.effects", t.get("effects"), registry.EFFECTS, "effect"),
                schema=schema,
                label=_labels(path, f"{key}.label", t.get("label")),
                options=options,
                reroutes=tuple(reroutes),
                version_check=_flag(path, f"{key}.version_check", t.get("version_check", True)),
            )
        )
    if not transitions:
        _fail(path, "transitions", "at least one transition is needed")

    clocks = {}
    for cname, c in (raw.get("clocks") or {}).items():
        key = f"clocks.{cname}"
        if not isinstance(c, dict):
            _fail(path, key, "must be a mapping")
        if c.get("anchor") not in registry.ANCHORS:
            _fail(path, f"{key}.anchor", f"unknown anchor {c.get('anchor')!r}")
        limit = c.get("limit")
        if limit is not None and limit not in settings:
            _fail(path, f"{key}.limit", f"unknown setting {limit!r}")
        unit = c.get("unit", "days")
        if unit not in UNITS:
            _fail(path, f"{key}.unit", f"must be one of {', '.join(UNITS)}")
        due = c.get("due")
        if due is not None and due not in registry.DUE_DATES:
            _fail(path, f"{key}.due", f"unknown due date {due!r}")
        clocks[cname] = Clock(
            name=cname,
            anchor=c["anchor"],
            limit_setting=limit,
            unit=unit,
            states=_names(path, f"{key}.states", c.get("states"), states, "state"),
            label=_labels(path, f"{key}.label", c.get("label")),
            due=due,
        )
    final = _names(path, "final_states", raw.get("final_states"), states, "state")
    wf = Workflow(
        name=name,
        path=path,
        version=int(raw.get("version", 1)),
        label=_labels(path, "label", raw.get("label")),
        initial=initial,
        states=states,
        transitions=transitions,
        clocks=clocks,
        settings=dict(settings),
        quorum=quorum,
        final_states=final,
    )
    wf.machine = build_machine(wf)
    return wf


def build_machine(wf: Workflow) -> Machine:
    """One Machine per workflow, never bound to a model: the engine fires events on a small proxy."""
    return Machine(
        model=None,
        states=list(wf.states),
        initial=wf.initial,
        transitions=[
            {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest} for t in wf.transitions
        ],
        auto_transitions=False,
        send_event=True,
    )


def load_file(path: Path, roles: set[str]) -> Workflow:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WorkflowError(f"{path}: not valid YAML: {exc}") from exc
    return parse_workflow(raw, str(path), roles)


def load_folder(folder: str | Path, roles: set[str]) -> dict[str, Workflow]:
    folder = Path(folder)
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise WorkflowError(f"{folder}: no workflow files (*.yaml)")
    found: dict[str, Workflow] = {}
    for f in files:
        wf = load_file(f, roles)
        if wf.name in found:
            raise WorkflowError(f"{f}: name: {wf.name!r} is also defined in {found[wf.name].path}")
        found[wf.name] = wf
    return found
