"""Workflow definitions: YAML in, validated ``Workflow`` objects (each with one ``transitions``
Machine) out. Any mistake stops start-up with the file and the key that is wrong."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from transitions import Machine

from caseflow.schemas import IN_CLEAR
from caseflow.workflow import registry

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
LANGS = ("en", "fr")
UNITS = ("hours", "days")
#: the engine's own setting (case codes); every other one is declared by the rule that reads it
#: (``registry.NEEDS``) or by the clock whose limit it is
REQUIRED_SETTINGS = ("case_code_prefix",)
#: the types a workflow's own field may have (rules packages add theirs: ``registry.field_type``)
FIELD_TYPES = ("text", "long_text", "date", "whole_number", "yes_no", "choice")
#: what a state may say besides its labels
STATE_KEYS = ("requires", "waits_for")


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
    #: the section of the case what it records belongs to (its events' details are shown only to
    #: whoever sees that section; see the file's ``sections``)
    section: str | None = None

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


@dataclass(frozen=True)
class FieldSpec:
    """A field only this workflow's cases record (kept in the case's ``workflow_fields``)."""

    name: str
    type: str
    label: dict
    choices: dict = field(default_factory=dict, hash=False, compare=False)  # code -> {en, fr}
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    #: False: recorded by the workflow's transitions (an outcome), never typed in a form
    entered: bool = True
    #: it identifies the person (a service number): kept out of exports and the API, shown on request
    #: (audited), and in the audit log's identifying part
    identifying: bool = False


@dataclass(frozen=True)
class Figure:
    """A count of a workflow's own report: the cases that ever entered one of these states, or took
    one of these actions (an assessment recorded wherever the person was by then)."""

    name: str
    label: dict
    entered: tuple[str, ...]
    done: tuple[str, ...] = ()


@dataclass(frozen=True)
class Purpose:
    """A reason to see who the child is, and the roles that may give it (recorded with every view)."""

    code: str
    label: dict
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Remit:
    """Need to know in time: a role named in the file's ``remit`` sees a case while it is in one of
    ``states``, and for ``days_after_decision`` days after a decision of the joint review."""

    states: tuple[str, ...]
    days_after_decision: int = 0


@dataclass(frozen=True)
class State:
    name: str
    #: record fields that must be filled while a case is in this state (a closed case has a reason):
    #: checked by the engine after every transition's effects, and by ``audit verify`` on the record
    requires: tuple[str, ...] = ()
    #: roles whose next step it is while a case is here ("waiting for me")
    waits_for: tuple[str, ...] = ()


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
    #: the workflow registrations use when none is named
    default: bool = False
    #: its cases are counted by the period statistics (the Secretary-General's figures on detention)
    period_statistics: bool = False
    #: per state: what must be filled, and who is waited for
    state_rules: dict[str, State] = field(default_factory=dict)
    #: how cases on an earlier version move to this one: ``{from_version: {old_state: new_state}}``
    migrate_from: dict[int, dict[str, str]] = field(default_factory=dict)
    #: the shared record fields its registration asks for, in order (empty: all of them)
    intake: tuple[str, ...] = ()
    #: fields needed before a case leaves registration (guard ``intake_complete``)
    required: tuple[str, ...] = ()
    #: fields only this workflow records
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    #: its own report: figures per value of one field (a screening campaign's)
    figures: dict[str, Figure] = field(default_factory=dict)
    figures_by: str | None = None
    #: why a child's identity may be seen, and by whom (none: nobody sees it)
    identity_purposes: dict[str, Purpose] = field(default_factory=dict)
    #: the purposes recorded by views that show an identity without being asked (the edit form, an
    #: import's duplicate check): ``{"on_edit": code, "on_duplicate_check": code}``
    identity_uses: dict[str, str] = field(default_factory=dict)
    #: need to know: section -> role -> the states in which that role sees it (``None``: every state);
    #: a role not named does not see the section; a section not declared is seen by all
    sections: dict[str, dict[str, tuple[str, ...] | None]] = field(default_factory=dict)
    #: need to know in time: role -> when it sees a case (a role not named keeps its standing remit)
    remit: dict[str, Remit] = field(default_factory=dict)
    #: the lifecycle's stages in order, for a case's progress: (labels, states)
    stages: tuple[tuple[dict, tuple[str, ...]], ...] = ()
    machine: Machine | None = field(default=None, repr=False)

    def sees_section(self, role: str, section: str | None, state: str, kind: str | None = None) -> bool:
        """A rule for ``role/kind`` (a reviewer of a UN organisation) wins over one for the role."""
        if section is None or section not in self.sections:
            return True
        rule = self.sections[section]
        key = f"{role}/{kind}" if kind and f"{role}/{kind}" in rule else role
        if key not in rule:
            return False
        return rule[key] is None or state in rule[key]

    def stage_of(self, state: str) -> tuple[int, int, dict | None]:
        """(stage, stages, the stage's labels) of a state: the file's ``stages``, else the states in
        the order the file lists them."""
        for i, (labels, states) in enumerate(self.stages, 1):
            if state in states:
                return i, len(self.stages), labels
        names = list(self.states)
        return (names.index(state) + 1 if state in names else 0), len(names), None

    def section_of(self, action: str) -> str | None:
        """The section an event of this action belongs to (its transition's ``section``)."""
        return next((t.section for t in self.transitions if t.trigger == action), None)

    def identity_roles(self) -> frozenset[str]:
        return frozenset(r for p in self.identity_purposes.values() for r in p.roles)

    def purposes_for(self, role: str) -> list[Purpose]:
        return [p for p in self.identity_purposes.values() if role in p.roles]

    def identifying_fields(self, shared: tuple[str, ...]) -> tuple[str, ...]:
        """The shared identifying fields, then this file's own."""
        return tuple(shared) + tuple(n for n, spec in self.fields.items() if spec.identifying)

    def sealed_own_fields(self) -> tuple[str, ...]:
        """This file's own fields kept sealed with the case's key: the identifying ones and every
        free text (an interview's notes, a unit), not what the statistics publish by."""
        return tuple(n for n, spec in self.fields.items()
                     if spec.identifying or (spec.type in ("text", "long_text") and n not in IN_CLEAR))

    def trigger_with_schema(self, schema: str) -> str | None:
        """The trigger whose payload is this registered schema (the intake edit, the vote): how
        generic code reaches an action without naming a trigger of a file."""
        return next((t.trigger for t in self.transitions if t.schema == schema), None)

    def waiting_states(self, role: str) -> tuple[str, ...]:
        return tuple(s for s, rule in self.state_rules.items() if role in rule.waits_for)

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


def _quorum(path, quorum) -> dict:
    """A collective decision's rules, for the workflows whose rules read them (``needs: quorum``)."""
    if quorum is None:
        return {}
    if not isinstance(quorum, dict):
        _fail(path, "quorum", "must be a mapping")
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
    return quorum


def _check_needs(path: str, raw: dict, settings: dict, used: list[tuple[str, str, str]]) -> None:
    """Each guard, effect or condition a transition uses finds what it reads in this file."""
    for key, kind, name in used:
        for need in registry.NEEDS.get((kind, name), ()):
            section, _, setting = need.partition(".")
            present = setting in settings if section == "settings" else bool(raw.get(section))
            if not present:
                _fail(path, key, f"{kind} {name!r} needs {need!r}, which this file does not set")


def _fields(path, raw) -> dict[str, FieldSpec]:
    out = {}
    spec_raw = raw.get("fields") or {}
    if not isinstance(spec_raw, dict):
        _fail(path, "fields", "must map field names to their type and labels")
    for name, spec in spec_raw.items():
        key = f"fields.{name}"
        if not IDENT.match(str(name)) or not isinstance(spec, dict):
            _fail(path, key, "a lower-case name mapped to type, label and (for a choice) choices")
        ftype = spec.get("type", "text")
        if ftype not in FIELD_TYPES and ftype not in registry.FIELD_TYPES:
            _fail(path, f"{key}.type", f"unknown type {ftype!r}")
        choices = {}
        if ftype == "choice":
            if not isinstance(spec.get("choices"), dict) or not spec["choices"]:
                _fail(path, f"{key}.choices", "a choice needs its codes, each with labels")
            choices = {code: _labels(path, f"{key}.choices.{code}", lbl) for code, lbl in spec["choices"].items()}
        numbers = {}
        for k in ("max_length", "minimum", "maximum"):
            if k in spec and (not isinstance(spec[k], int) or isinstance(spec[k], bool)):
                _fail(path, f"{key}.{k}", "must be a whole number")
            numbers[k] = spec.get(k)
        out[name] = FieldSpec(name, ftype, _labels(path, f"{key}.label", spec.get("label")), choices, **numbers,
                              entered=_flag(path, f"{key}.entered", spec.get("entered", True)),
                              identifying=_flag(path, f"{key}.identifying", spec.get("identifying", False)))
    return out


def _figures(path, raw, states, own_fields, triggers) -> tuple[dict[str, Figure], str | None]:
    spec = raw.get("figures")
    if spec is None:
        return {}, None
    if not isinstance(spec, dict) or not isinstance(spec.get("counts"), dict) or not spec["counts"]:
        _fail(path, "figures", "needs counts: {name: {label, entered: [states]}} and group_by")
    group_by = spec.get("group_by")
    if group_by is not None and group_by not in own_fields:
        _fail(path, "figures.group_by", f"{group_by!r} is not one of this file's fields")
    out = {}
    for name, fig in spec["counts"].items():
        key = f"figures.counts.{name}"
        if not IDENT.match(str(name)) or not isinstance(fig, dict):
            _fail(path, key, "a lower-case name mapped to label and entered")
        out[name] = Figure(name, _labels(path, f"{key}.label", fig.get("label")),
                           _names(path, f"{key}.entered", fig.get("entered"), states, "state"),
                           _names(path, f"{key}.done", fig.get("done"), triggers, "trigger"))
        if not out[name].entered and not out[name].done:
            _fail(path, f"{key}.entered", "names no state (nor does done name an action)")
    return out, group_by


def _record(path, raw, own_fields) -> tuple[tuple[str, ...], tuple[str, ...]]:
    record = raw.get("record") or {}
    if not isinstance(record, dict):
        _fail(path, "record", "must be a mapping with intake and required")
    lists = []
    for key in ("intake", "required"):
        value = record.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and IDENT.match(v) for v in value):
            _fail(path, f"record.{key}", "must be a list of field names")
        lists.append(tuple(value))
    intake, required = lists
    shown = set(intake) | set(own_fields)
    for f in required:
        if intake and f not in shown:
            _fail(path, "record.required", f"{f!r} is neither in record.intake nor in fields")
    return intake, required


def _sections(path, raw, states, roles, transitions) -> dict[str, dict[str, tuple[str, ...] | None]]:
    block = raw.get("sections") or {}
    if not isinstance(block, dict):
        _fail(path, "sections", "maps each section to {role: '*' or [states]}")
    out = {}
    for name, rule in block.items():
        key = f"sections.{name}"
        if not IDENT.match(str(name)) or not isinstance(rule, dict):
            _fail(path, key, "a lower-case name mapped to {role: '*' or [states]}")
        out[name] = {}
        for who, where in rule.items():
            role, _, kind = str(who).partition("/")  # a role, or role/organisation kind
            if role not in roles or (kind and not IDENT.match(kind)):
                _fail(path, f"{key}.{who}", f"unknown role {who!r} (a role, or role/organisation kind)")
            out[name][who] = None if where == "*" else _names(path, f"{key}.{who}", where, states, "state")
    for t in transitions:
        if t.section is not None and t.section not in out:
            _fail(path, f"transitions ({t.trigger}).section", f"unknown section {t.section!r}")
    return out


def _remit(path, raw, states, roles) -> dict[str, Remit]:
    block = raw.get("remit") or {}
    if not isinstance(block, dict):
        _fail(path, "remit", "maps a role to {states: [...], days_after_decision: N}")
    out = {}
    for role, rule in block.items():
        key = f"remit.{role}"
        if role not in roles:
            _fail(path, key, f"unknown role {role!r}")
        if not isinstance(rule, dict) or set(rule) - {"states", "days_after_decision"}:
            _fail(path, key, "takes states (a list) and days_after_decision (a whole number)")
        days = rule.get("days_after_decision", 0)
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            _fail(path, f"{key}.days_after_decision", "must be a whole number of zero or more")
        out[role] = Remit(_names(path, f"{key}.states", rule.get("states"), states, "state"), days)
    return out


def _stages(path, raw, states) -> tuple[tuple[dict, tuple[str, ...]], ...]:
    block = raw.get("stages")
    if block is None:
        return ()
    if not isinstance(block, list):
        _fail(path, "stages", "a list of {en, fr, states: [...]}, in the lifecycle's order")
    out, seen = [], set()
    for i, stage in enumerate(block):
        key = f"stages[{i}]"
        if not isinstance(stage, dict):
            _fail(path, key, "must be a mapping with labels and states")
        names = _names(path, f"{key}.states", stage.get("states"), states, "state")
        if not names or seen & set(names):
            _fail(path, f"{key}.states", "names no state, or one another stage names")
        seen.update(names)
        out.append((_labels(path, key, {k: stage.get(k) for k in LANGS}), names))
    return tuple(out)


def _identity(path, raw, roles) -> dict[str, Purpose]:
    block = raw.get("identity") or {}
    if not isinstance(block, dict) or not isinstance(block.get("purposes", {}), dict):
        _fail(path, "identity", "needs purposes: {code: {en, fr, roles}}")
    out = {}
    for code, spec in (block.get("purposes") or {}).items():
        key = f"identity.purposes.{code}"
        if not IDENT.match(str(code)) or not isinstance(spec, dict):
            _fail(path, key, "a lower-case code mapped to labels and roles")
        allowed = _names(path, f"{key}.roles", spec.get("roles"), roles, "role")
        if not allowed:
            _fail(path, f"{key}.roles", "at least one role")
        out[code] = Purpose(code, _labels(path, key, {k: spec.get(k) for k in LANGS}), allowed)
    return out


def _identity_uses(path, raw, purposes) -> dict[str, str]:
    block = raw.get("identity") or {}
    uses = {}
    for key in ("on_edit", "on_duplicate_check"):
        if key in block:
            if block[key] not in purposes:
                _fail(path, f"identity.{key}", f"unknown purpose {block[key]!r}")
            uses[key] = block[key]
    return uses


def _migrations(path, raw, states) -> dict[int, dict[str, str]]:
    out = {}
    for version, mapping in (raw.get("migrate_from") or {}).items():
        key = f"migrate_from.{version}"
        if not isinstance(version, int) or not isinstance(mapping, dict):
            _fail(path, key, "maps an earlier version number to {old state: new state}")
        for old, new in mapping.items():
            if new not in states:
                _fail(path, f"{key}.{old}", f"unknown state {new!r}")
        out[version] = dict(mapping)
    return out


def _states(path: str, raw: dict, roles: set[str]) -> tuple[dict, dict]:
    """``states``: each state's labels, and what it requires and waits for."""
    states_raw = raw.get("states")
    if not isinstance(states_raw, dict) or not states_raw:
        _fail(path, "states", "must map state names to labels")
    states, state_rules = {}, {}
    for s, labels in states_raw.items():
        if not IDENT.match(str(s)):
            _fail(path, f"states.{s}", "state names are lower-case identifiers")
        states[s] = _labels(path, f"states.{s}", labels)
        extra = labels if isinstance(labels, dict) else {}
        unknown = set(extra) - set(LANGS) - set(STATE_KEYS)
        if unknown:
            _fail(path, f"states.{s}", f"unknown key {sorted(unknown)[0]!r} (labels {', '.join(LANGS)}, "
                                       f"and {', '.join(STATE_KEYS)})")
        requires = extra.get("requires") or []
        if not isinstance(requires, list) or not all(isinstance(f, str) and IDENT.match(f) for f in requires):
            _fail(path, f"states.{s}.requires", "must be a list of record field names")
        state_rules[s] = State(s, tuple(requires), _names(path, f"states.{s}.waits_for", extra.get("waits_for"),
                                                           roles, "role"))
    return states, state_rules


def _settings(path: str, raw: dict) -> dict:
    """``settings``: whole numbers of zero or more, the case-code prefix, and what a rules package
    asks of a setting it reads (a floor set by a norm)."""
    settings = raw.get("settings") or {}
    for key in REQUIRED_SETTINGS:
        if key not in settings:
            _fail(path, f"settings.{key}", "is required")
    for key, value in settings.items():
        if key != "case_code_prefix" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            _fail(path, f"settings.{key}", "must be a whole number of zero or more")
    if not re.match(r"^[A-Z]{2,6}$", str(settings["case_code_prefix"])):
        _fail(path, "settings.case_code_prefix", "must be 2 to 6 capital letters")
    for key, value in settings.items():
        problem = registry.setting_problem(key, value)
        if problem:
            _fail(path, f"settings.{key}", problem)
    return dict(settings)


def _reroutes(path: str, key: str, t: dict, states: dict) -> tuple[Reroute, ...]:
    out = []
    for j, r in enumerate(t.get("reroute") or []):
        rkey = f"{key}.reroute[{j}]"
        if not isinstance(r, dict):
            _fail(path, rkey, "must be a mapping with when, dest and effects")
        if r.get("when") not in registry.CONDITIONS:
            _fail(path, f"{rkey}.when", f"unknown condition {r.get('when')!r}")
        if r.get("dest") not in states:
            _fail(path, f"{rkey}.dest", f"unknown state {r.get('dest')!r}")
        out.append(Reroute(r["when"], r["dest"],
                           _names(path, f"{rkey}.effects", r.get("effects"), registry.effect_names(), "effect")))
    return tuple(out)


def _transition(path: str, i: int, t, states: dict, roles: set[str], seen: dict) -> Transition:
    """One of ``transitions``; ``seen`` holds (trigger, source) pairs already defined."""
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
        if (trigger, s) in seen:
            _fail(path, f"{key}.source", f"trigger {trigger!r} is already defined from state {s!r}")
        seen[(trigger, s)] = dest
    trole = _names(path, f"{key}.roles", t.get("roles"), roles, "role")
    if not trole:
        _fail(path, f"{key}.roles", "at least one role must be allowed")
    schema = t.get("schema")
    if schema is not None and schema not in registry.SCHEMAS:
        _fail(path, f"{key}.schema", f"unknown schema {schema!r}")
    options = t.get("options") or {}
    if not isinstance(options, dict):
        _fail(path, f"{key}.options", "must be a mapping")
    return Transition(
        trigger=trigger, sources=sources, dest=dest, roles=trole,
        guards=_names(path, f"{key}.guards", t.get("guards"), registry.GUARDS, "guard"),
        effects=_names(path, f"{key}.effects", t.get("effects"), registry.effect_names(), "effect"),
        schema=schema, label=_labels(path, f"{key}.label", t.get("label")), options=options,
        reroutes=_reroutes(path, key, t, states),
        version_check=_flag(path, f"{key}.version_check", t.get("version_check", True)),
        section=t.get("section"),
    )


def _transitions(path: str, raw: dict, states: dict, roles: set[str]) -> tuple[list, list]:
    """``transitions``, and every guard, effect and condition they use (for ``_check_needs``)."""
    transitions, used, seen = [], [], {}
    for i, t in enumerate(raw.get("transitions") or []):
        tr = _transition(path, i, t, states, roles, seen)
        key = f"transitions[{i}] ({tr.trigger})"
        used += [(f"{key}.guards", "guard", g) for g in tr.guards]
        used += [(f"{key}.effects", "effect", e) for e in tr.effects]
        for r in tr.reroutes:
            used += [(f"{key}.reroute", "condition", r.condition)]
            used += [(f"{key}.reroute", "effect", e) for e in r.effects]
        transitions.append(tr)
    if not transitions:
        _fail(path, "transitions", "at least one transition is needed")
    return transitions, used


def _clocks(path: str, raw: dict, states: dict, settings: dict) -> dict:
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
        clocks[cname] = Clock(name=cname, anchor=c["anchor"], limit_setting=limit, unit=unit,
                              states=_names(path, f"{key}.states", c.get("states"), states, "state"),
                              label=_labels(path, f"{key}.label", c.get("label")), due=due)
    return clocks


def _identifier(path: str, raw: dict) -> tuple[str, int]:
    """The file's ``name`` and ``version``."""
    if not isinstance(raw, dict):
        _fail(path, "(top)", "must be a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not IDENT.match(name):
        _fail(path, "name", "must be a lower-case identifier")
    version = raw.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        _fail(path, "version", "must be a whole number of one or more")
    return name, version


def parse_workflow(raw: dict, path: str, roles: set[str]) -> Workflow:
    """A workflow file, checked against what only the code knows (the roles, the registered guards,
    effects and schemas, the settings a rule reads), each problem named with its place, and against
    the published schema (``workflows/workflow.schema.json``, which a country's officer checks a
    file with in an editor): a key it does not know, a value of the wrong kind."""
    name, version = _identifier(path, raw)
    states, state_rules = _states(path, raw, roles)
    if raw.get("initial") not in states:
        _fail(path, "initial", f"unknown state {raw.get('initial')!r}")
    settings = _settings(path, raw)
    transitions, used = _transitions(path, raw, states, roles)
    _check_needs(path, raw, settings, used)
    own_fields = _fields(path, raw)
    intake, required = _record(path, raw, own_fields)
    figures, figures_by = _figures(path, raw, states, own_fields, {t.trigger for t in transitions})
    wf = Workflow(
        name=name, path=path, version=version, label=_labels(path, "label", raw.get("label")),
        initial=raw["initial"], states=states, transitions=transitions,
        clocks=_clocks(path, raw, states, settings), settings=settings, quorum=_quorum(path, raw.get("quorum")),
        final_states=_names(path, "final_states", raw.get("final_states"), states, "state"),
        default=_flag(path, "default", raw.get("default", False)),
        period_statistics=_flag(path, "period_statistics", raw.get("period_statistics", False)),
        state_rules=state_rules, migrate_from=_migrations(path, raw, states), intake=intake, required=required,
        fields=own_fields, figures=figures, figures_by=figures_by, identity_purposes=_identity(path, raw, roles),
    )
    wf.identity_uses = _identity_uses(path, raw, wf.identity_purposes)
    wf.sections = _sections(path, raw, states, roles, transitions)
    wf.remit = _remit(path, raw, states, roles)
    wf.stages = _stages(path, raw, states)
    check_against_schema(raw, path)
    wf.machine = build_machine(wf)
    return wf


SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflows" / "workflow.schema.json"
_VALIDATOR: list = []


def check_against_schema(raw: dict, path: str) -> None:
    """The first place where the file departs from the published schema, as a WorkflowError."""
    if not _VALIDATOR:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        _VALIDATOR.append(Draft202012Validator(schema))
    error = best_match(_VALIDATOR[0].iter_errors(raw))
    if error is not None:
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in error.absolute_path).replace(".[", "[")
        _fail(path, where or "(top)", f"{error.message} (workflow.schema.json)")


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


def load_file(path: Path, roles: set[str], overlay: dict | None = None) -> Workflow:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WorkflowError(f"{path}: not valid YAML: {exc}") from exc
    if overlay and isinstance(raw, dict) and raw.get("name") in overlay["workflows"]:
        own = raw.get("settings") or {}
        changes = overlay["workflows"][raw["name"]]
        for key in changes:
            if key not in own:
                _fail(overlay["path"], f"workflows.{raw['name']}.{key}", f"{path} has no such setting")
            problem = registry.setting_problem(key, changes[key])
            if problem:
                _fail(overlay["path"], f"workflows.{raw['name']}.{key}", problem)
        raw["settings"] = {**own, **changes}
    return parse_workflow(raw, str(path), roles)


def load_overlay(path: str | Path | None) -> dict | None:
    """A country's settings over the workflows' own (``CASEFLOW_SETTINGS_OVERLAY``): no fork, one file.
    It may only change settings a workflow has, so a misspelt key stops start-up."""
    if not path:
        return None
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise WorkflowError(f"{path}: cannot be read as YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("workflows"), dict):
        _fail(path, "workflows", "must map workflow names to the settings they change")
    return {"path": str(path), "country": _labels(path, "country", raw.get("country")),
            "workflows": {name: dict(values or {}) for name, values in raw["workflows"].items()}}


@dataclass
class Catalogue:
    """The workflows in force (by name) and every version cases may still be on."""

    current: dict[str, Workflow]
    versions: dict[tuple[str, int], Workflow]
    overlay: dict | None = None

    @property
    def default(self) -> Workflow:
        flagged = [wf for wf in self.current.values() if wf.default]
        return flagged[0] if flagged else next(iter(self.current.values()))


def load_folder(folder: str | Path, roles: set[str], overlay_path: str | Path | None = None) -> Catalogue:
    """``folder/*.yaml`` are the workflows in force; ``folder/past/*.yaml`` earlier versions that
    cases started on keep running on until ``flask workflows migrate`` moves them."""
    folder = Path(folder)
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise WorkflowError(f"{folder}: no workflow files (*.yaml)")
    overlay = load_overlay(overlay_path)
    found: dict[str, Workflow] = {}
    for f in files:
        wf = load_file(f, roles, overlay)
        if wf.name in found:
            raise WorkflowError(f"{f}: name: {wf.name!r} is also defined in {found[wf.name].path}")
        found[wf.name] = wf
    if overlay:
        for name in overlay["workflows"]:
            if name not in found:
                _fail(overlay["path"], f"workflows.{name}", "no workflow file has this name")
    versions = {(wf.name, wf.version): wf for wf in found.values()}
    for f in sorted((folder / "past").glob("*.yaml")):
        wf = load_file(f, roles, overlay)
        current = found.get(wf.name)
        if current is None or wf.version >= current.version:
            _fail(f, "version", f"a past version of a workflow in force, below {current.version if current else '?'}")
        if (wf.name, wf.version) in versions:
            _fail(f, "version", f"{wf.name} v{wf.version} is defined twice")
        versions[(wf.name, wf.version)] = wf
    defaults = [wf.name for wf in found.values() if wf.default]
    if len(defaults) > 1:
        raise WorkflowError(f"{folder}: default: only one workflow may be the default, not {', '.join(defaults)}")
    return Catalogue(found, versions, overlay)
