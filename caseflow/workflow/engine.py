"""fire(): the only way a subject's state changes.

Order of checks, each with its own answer:
  1. the actor's role may fire the trigger at all          → Forbidden (403)
  2. the subject is locked and re-read; its state allows it → Conflict (409, listing what is possible)
  3. the version the actor saw is the current one           → StaleVersion (409; the API says 412)
  4. the payload is valid for the trigger's schema          → ValidationFailed (422, per field)
  5. every guard passes                                     → GuardRefused (422, the guard's reason)
then, in the caller's transaction: the state changes, effects write stage records, the version is
bumped, clocks start and stop, and one audit event is appended. The caller commits once.

Whether a subject is within an actor's remit is the registered ``registry.remit`` rule's say.
A subject provides: ``workflow`` (name), ``state``, ``version``, ``audit_chain``, ``id``,
``lock_for_update(session)``, ``set_clock(name, started_at, due_at)``, ``stop_clock(name, at)``,
``running_clocks()``, ``missing(fields)`` and ``field_label(name)``,
``rows_of(session, model)`` (its rows of a stage's table, which evolve steps change),
``settle(session)`` (what it keeps apart is written before its event) and ``event_sealer()`` (what
seals its events' identifying part).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from caseflow.audit.log import record
from caseflow.audit.models import AuditEvent
from caseflow.db import utcnow
from caseflow.errors import Conflict, Forbidden, GuardRefused, NotFound, StaleVersion, ValidationFailed
from caseflow.i18n import current_language, label
from caseflow.schemas import translate_errors
from caseflow.workflow import registry
from caseflow.workflow.definition import Transition, Workflow
from caseflow.workflow.fold import Happened, LiveRows, evolve


@dataclass
class Context:
    """What guards and effects see."""

    session: object
    subject: object
    actor: object
    workflow: Workflow
    transition: Transition
    data: dict | None
    now: datetime
    source: str
    details: dict = field(default_factory=dict)
    identifying: dict = field(default_factory=dict)
    #: what guards and effects of this one request have already read or computed (a tally)
    memo: dict = field(default_factory=dict)
    _rows: LiveRows | None = None

    @property
    def rows(self) -> LiveRows:
        """The subject's rows, as guards and decide steps read them and evolve steps write them."""
        if self._rows is None:
            self._rows = LiveRows(self.session, self.subject)
        return self._rows

    def happened(self, effect: str) -> Happened:
        """This event, as it is being written, for ``effect``'s evolve step."""
        return Happened(effect, self.now, self.actor.id, self.data or {}, self.details, live=True,
                        actor=self.actor)

    def remember(self, key, compute):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def forget(self, *keys) -> None:
        for key in keys:
            self.memo.pop(key, None)

    @property
    def settings(self) -> dict:
        return self.workflow.settings


@dataclass
class Availability:
    trigger: str
    label: str
    allowed: bool
    reason: str | None = None
    transition: Transition | None = None


class _Proxy:
    """What the transitions Machine moves: just a state, so no case is ever bound to a machine."""

    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


def workflows() -> dict[str, Workflow]:
    return current_app.extensions["caseflow.workflows"]


def catalogue():
    return current_app.extensions["caseflow.catalogue"]


def get_workflow(name: str, version: int | None = None) -> Workflow:
    """The workflow in force, or the version a case started on (``None``: the one in force)."""
    try:
        if version is None:
            return workflows()[name]
        current = workflows()[name]
        return current if current.version == version else catalogue().versions[(name, version)]
    except KeyError:
        raise NotFound(_("Unknown workflow %(name)s.", name=name)) from None


def workflow_of(subject) -> Workflow:
    """The workflow, at the version, this case runs on."""
    return get_workflow(subject.workflow, getattr(subject, "workflow_version", None))


def missing_for_state(wf: Workflow, subject) -> list[str]:
    """Record fields the subject's state requires and it lacks (see a state's ``requires``)."""
    rule = wf.state_rules.get(subject.state)
    return subject.missing(rule.requires) if rule else []


def state_choices(chosen: str | None) -> list[tuple[str, str]]:
    """The states to filter on: the chosen workflow's, or every workflow's (a name once)."""
    lang = current_language()
    out: dict[str, str] = {}
    for wf in workflows().values():
        if chosen in (None, "", wf.name):
            for s in wf.states:
                out.setdefault(s, wf.state_label(s, lang))
    return list(out.items())


def _available_labels(session, wf: Workflow, subject, actor) -> list[str]:
    return [a.trigger for a in available_transitions(session, subject, actor, wf=wf) if a.allowed]


def payload_schema(wf: Workflow, transition: Transition) -> type | None:
    """The transition's registered schema, shaped by the workflow file where it has a say (the
    intake edit asks for the fields the file declares)."""
    if transition.schema is None:
        return None
    cls = registry.SCHEMAS[transition.schema]
    shape = getattr(cls, "for_workflow", None)
    return shape(wf) if shape else cls


def load_payload(transition: Transition, data: dict | None, wf: Workflow | None = None) -> dict:
    if transition.schema is None:
        return {}
    schema = (payload_schema(wf, transition) if wf else registry.SCHEMAS[transition.schema])()
    try:
        return schema.load(data or {})
    except ValidationError as exc:
        raise ValidationFailed(errors=translate_errors(exc.messages)) from None


def run_guards(ctx: Context) -> str | dict | None:
    """The first refusal: a sentence, or ``{field: sentence}`` when the refusal is about a field the
    user sent (a date that contradicts the record), which answers 422 naming the field."""
    for name in ctx.transition.guards:
        reason = registry.GUARDS[name](ctx)
        if reason:
            return {k: str(v) for k, v in reason.items()} if isinstance(reason, dict) else str(reason)
    return None


def refuse(reason: str | dict):
    if isinstance(reason, dict):
        raise ValidationFailed(errors={k: [v] for k, v in reason.items()})
    raise GuardRefused(reason)


def reason_text(reason: str | dict | None) -> str | None:
    if isinstance(reason, dict):
        return " ".join(reason.values())
    return reason


def check_may_fire(subject, trigger: str, actor) -> list:
    """404 for an action the subject's workflow does not have; 403 for a role that may fire it in no
    state, or a subject outside the actor's remit. Asked first, before any precondition is read."""
    candidates = workflow_of(subject).by_trigger(trigger)
    if not candidates:
        raise NotFound(_("There is no action %(trigger)s in this workflow.", trigger=trigger))
    if not any(actor.role in t.roles for t in candidates):
        raise Forbidden(_("Your role may not do this."))
    if not registry.in_remit(actor, subject):
        raise Forbidden(_("This case is outside your remit."))
    return candidates


def fire(session, subject, trigger: str, actor, data: dict | None = None, *,
         expected_version: int | None = None) -> Context:
    wf = workflow_of(subject)
    candidates = check_may_fire(subject, trigger, actor)
    subject = subject.lock_for_update(session)
    transition = wf.transition_for(trigger, subject.state)
    event = wf.machine.events[trigger]
    if transition is not None and actor.role not in transition.roles:
        raise Forbidden(_("Your role may not do this."))
    if transition is None:
        possible = _available_labels(session, wf, subject, actor)
        raise Conflict(
            _("“%(action)s” is not possible while the case is “%(state)s”.",
              action=label(candidates[0].label), state=wf.state_label(subject.state, current_language())),
            extra={"state": subject.state, "version": subject.version, "available": possible},
        )
    if expected_version is not None and transition.version_check and int(expected_version) != subject.version:
        raise stale(session, wf, subject)
    payload = load_payload(transition, data, wf)
    now = utcnow()
    ctx = Context(session=session, subject=subject, actor=actor, workflow=wf, transition=transition,
                  data=payload, now=now, source=subject.state)
    reason = run_guards(ctx)
    if reason:
        refuse(reason)

    ran = apply_transition(ctx, event)
    missing = missing_for_state(wf, subject)
    if missing:  # what the database's CHECK constraints said, now said by the workflow file
        raise GuardRefused(_("A case cannot be “%(state)s” without: %(fields)s.",
                             state=wf.state_label(subject.state, current_language()),
                             fields=", ".join(str(subject.field_label(f)) for f in missing)))
    subject.version += 1
    update_clocks(wf, subject, now)
    details = {}
    schema_cls = registry.SCHEMAS.get(transition.schema or "")
    if getattr(schema_cls, "audit_payload", True):
        details["payload"] = summarise(payload, ctx)
    details.update(ctx.details)
    append_event(session, subject, trigger, actor=actor, from_state=ctx.source, details=details,
                 identifying=ctx.identifying or None, touched=registry.touched_by(ran))
    return ctx


def apply_transition(ctx: Context, event) -> list[str]:
    """Move the subject and run the transition's effects (and a reroute's); the effects that ran.
    The new state first, then the effects; what a state requires (a closed case has a reason, a
    release names a receiver) is checked once they have all run, so their order is free."""
    subject, transition = ctx.subject, ctx.transition
    proxy = _Proxy(subject.state)
    if not event.trigger(proxy):  # the Machine checks the table once more and moves the proxy
        raise Conflict(_("The workflow refused this change."))
    with ctx.session.no_autoflush:
        if transition.changes_state:
            subject.state, subject.state_entered_at = proxy.state, ctx.now
        ran = list(transition.effects)
        for name in transition.effects:
            run_effect(ctx, name)
        for rule in transition.reroutes:
            if registry.CONDITIONS[rule.condition](ctx):
                ctx.details["rerouted"] = {"because": rule.condition, "to": rule.dest}
                subject.state, subject.state_entered_at = rule.dest, ctx.now
                for name in rule.effects:
                    run_effect(ctx, name)
                ran += rule.effects
                break
    return ran


def run_effect(ctx: Context, name: str) -> None:
    """One effect: its decide step says what happens (into the event), then its evolve step — the
    one ``audit verify`` replays — writes it to the rows (``workflow.fold``)."""
    decide = registry.EFFECTS.get(name)
    if decide is not None:
        decide(ctx)
    evolve(ctx.rows, ctx.happened(name))


def append_event(session, subject, action: str, *, actor, details: dict, from_state: str | None = None,
                 identifying: dict | None = None, actor_label: str | None = None,
                 touched: frozenset[str] | None = None):
    """The one way a change to a subject reaches its chain (the unit of work's one place): the
    subject settles what it keeps sealed, what the observers noted (the facts the statistics count;
    ``touched``: what changed, None for anything) goes into the event, hashed with it, and is filed
    once the event exists."""
    subject.settle(session)
    noted = [n for n in (observe(session, subject, touched) for observe in registry.OBSERVERS) if n is not None]
    for n in noted:
        details.update(n.details)
    ev = record(session, action, actor=actor, chain=subject.audit_chain, case_id=subject.id,
                from_state=from_state, to_state=subject.state, details=details, identifying=identifying,
                actor_label=actor_label, seal=subject.event_sealer())
    for n in noted:
        n.keep(ev)
    session.flush()
    return ev


def stale(session, wf: Workflow, subject) -> StaleVersion:
    """Who changed the case, what and when, since the version the user saw."""
    from flask_babel import format_datetime

    last = session.scalar(select(AuditEvent).where(AuditEvent.chain == subject.audit_chain)
                          .order_by(AuditEvent.seq.desc()).limit(1))
    extra = {"state": subject.state, "version": subject.version}
    if last is None:
        return StaleVersion(_("This case was changed by someone else. It is now “%(state)s” (version %(v)d).",
                              state=wf.state_label(subject.state, current_language()), v=subject.version),
                            extra=extra)
    action = next((label(t.label) for t in wf.transitions if t.trigger == last.action), last.action)
    extra.update({"changed_by": last.actor_name, "change": action, "changed_at": last.occurred_at.isoformat()})
    return StaleVersion(
        _("This case was changed by %(who)s (%(action)s, %(when)s). It is now “%(state)s” (version %(v)d).",
          who=last.actor_name or _("the system"), action=action,
          when=format_datetime(last.occurred_at, "short"),
          state=wf.state_label(subject.state, current_language()), v=subject.version),
        extra=extra)


def summarise(payload: dict, ctx: Context) -> dict:
    """The payload as it goes into the audit log: identifying values and free text (the schema's
    ``sealed_fields``) move to the event's sealed part, ctx.identifying."""
    schema = payload_schema(ctx.workflow, ctx.transition)
    sealed = getattr(schema, "sealed_fields", None)
    sensitive = set(sealed() if sealed else getattr(schema, "identifying_fields", ()))
    out = {}
    for k, v in payload.items():
        if k in sensitive:
            ctx.identifying[k] = v
        else:
            out[k] = v
    return out


def clock_due(wf: Workflow, clock, started: datetime, subject=None) -> datetime | None:
    """A date people set wins (a deferral's next review, a visit's next visit); else the limit."""
    if clock.due is not None and subject is not None:
        set_by_people = registry.DUE_DATES[clock.due](subject)
        if set_by_people is not None:
            return set_by_people
    if clock.limit_setting is None:
        return None
    amount = wf.settings[clock.limit_setting]
    return started + (timedelta(hours=amount) if clock.unit == "hours" else timedelta(days=amount))


def update_clocks(wf: Workflow, subject, now: datetime) -> None:
    """Start the clocks of the state entered, stop those of the state left; anchors say when a
    clock started (the handover clock starts at the encounter, not at registration)."""
    running = subject.running_clocks()
    for clock in wf.clocks.values():
        inside = subject.state in clock.states
        if inside:
            started = registry.ANCHORS[clock.anchor](subject)
            if started is None:
                continue
            due = clock_due(wf, clock, started, subject)
            current = running.get(clock.name)
            if current is None or current != (started, due):
                subject.set_clock(clock.name, started, due)
        elif clock.name in running:
            subject.stop_clock(clock.name, now)


def available_transitions(session, subject, actor, *, wf: Workflow | None = None,
                          memo: dict | None = None) -> list[Availability]:
    """Everything the workflow offers from the current state, and for each refused one, why. The
    guards share one memo: what one of them reads (the open round, the last assessment) the others
    reuse."""
    wf = wf or workflow_of(subject)
    memo = {} if memo is None else memo
    now = utcnow()
    out = []
    for t in wf.from_state(subject.state):
        lbl = label(t.label)
        if actor.role not in t.roles:
            out.append(Availability(t.trigger, lbl, False, _("Your role may not do this."), t))
            continue
        if not registry.in_remit(actor, subject):
            out.append(Availability(t.trigger, lbl, False, _("This case is outside your remit."), t))
            continue
        ctx = Context(session=session, subject=subject, actor=actor, workflow=wf, transition=t, data=None,
                      now=now, source=subject.state, memo=memo)
        reason = reason_text(run_guards(ctx))
        out.append(Availability(t.trigger, lbl, reason is None, reason, t))
    return out
