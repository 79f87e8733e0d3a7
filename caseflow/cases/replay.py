"""The case record held against its chain: replaying a case's audit events must give what the rows
hold — state, version, closure reason, receiving organisation, the review rounds with their votes and
decisions, the age assessments, the handovers, the referrals and the follow-up visits. A row changed
behind the application's back (``UPDATE cases SET state = 'closed'``, a vote's outcome rewritten, a
handover deleted) no longer matches the history that should have made it.

Which effects an event ran comes from the workflow (the transition its action names, from the state
it left, and a reroute it recorded); each effect has a replayer here that applies the event's payload
and details to the expected record, as the effect applied them to the rows.

Registered with ``audit.verify`` as a record check, so ``audit verify`` (CLI, auditor page, the
case page's verdict) reports it like a broken link, naming the field that differs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.audit.verify import Break, record_check
from caseflow.cases.models import Case

#: the event that opens a case (version 1, the workflow's initial state)
OPENED = "case_registered"
#: the event that moves a case to another version of its workflow (see workflow/versions.py)
MIGRATED = "workflow_migrated"


@dataclass
class Round:
    number: int
    decision: str | None = None
    closed: bool = False
    votes: dict = field(default_factory=dict)  # voter id -> outcome


@dataclass
class Expected:
    """What the rows of one case should hold, built event by event."""

    state: str | None = None
    version: int = 0
    seq: int = 0
    closed_reason: str | None = None
    receiving_org_id: int | None = None
    rounds: list = field(default_factory=list)
    assessments: list = field(default_factory=list)  # [status, is_appeal, min_age, max_age]
    handovers: list = field(default_factory=list)  # handed_over_at (ISO text)
    referrals: dict = field(default_factory=dict)  # id -> status
    follow_ups: int = 0

    def open_round(self) -> Round | None:
        return next((r for r in reversed(self.rounds) if not r.closed), None)


REPLAYERS: dict[str, Callable] = {}


def replays(*effects: str):
    def register(fn):
        for name in effects:
            REPLAYERS[name] = fn
        return fn
    return register


@replays("open_review_round")
def _open_round(x: Expected, ev, payload, details, _effect):
    if x.open_round() is None:
        x.rounds.append(Round(number=(x.rounds[-1].number if x.rounds else 0) + 1))


@replays("supersede_review_round")
def _supersede(x: Expected, ev, payload, details, _effect):
    rnd = x.open_round()
    if rnd is not None:
        rnd.closed = True


@replays("new_round_on_new_facts")
def _new_facts(x: Expected, ev, payload, details, effect):
    """An edit or a correction of a fact the review weighs superseded the open round (the event says so)."""
    if details.get("superseded_round") is not None:
        _supersede(x, ev, payload, details, effect)
        _open_round(x, ev, payload, details, effect)


@replays("record_vote")
def _vote(x: Expected, ev, payload, details, _effect):
    rnd = x.open_round()
    if rnd is not None:
        rnd.votes[ev.actor_id] = payload.get("outcome")


@replays("record_recusal")
def _recuse(x: Expected, ev, payload, details, _effect):
    rnd = x.open_round()
    if rnd is not None:
        rnd.votes.pop(ev.actor_id, None)


def _decide(x: Expected, ev, payload, details, effect):
    rnd = x.open_round()
    if rnd is not None:
        rnd.decision, rnd.closed = effect.removeprefix("decide_"), True


@replays("set_receiving_org")
def _receiver(x: Expected, ev, payload, details, _effect):
    x.receiving_org_id = payload.get("receiving_org_id")


@replays("close_case")
def _close(x: Expected, ev, payload, details, _effect):
    x.closed_reason = payload.get("reason")


@replays("close_case_not_a_child")
def _close_adult(x: Expected, ev, payload, details, _effect):
    x.closed_reason = "determined_adult"


@replays("reopen_case")
def _reopen(x: Expected, ev, payload, details, _effect):
    x.closed_reason = None


@replays("request_assessment")
def _request(x: Expected, ev, payload, details, _effect):
    x.assessments.append(["requested", bool(details.get("appeal")) or "grounds" in payload, None, None])


@replays("conclude_assessment")
def _conclude(x: Expected, ev, payload, details, _effect):
    open_ = next((a for a in reversed(x.assessments) if a[0] == "requested"), None)
    if open_ is not None:
        open_[0], open_[2], open_[3] = "concluded", payload.get("min_age"), payload.get("max_age")


@replays("record_handover")
def _handover(x: Expected, ev, payload, details, _effect):
    x.handovers.append(payload.get("handed_over_at"))


@replays("add_referral")
def _referral(x: Expected, ev, payload, details, _effect):
    x.referrals[details.get("referral_id")] = payload.get("status") or "referred"


@replays("update_referral")
def _referral_update(x: Expected, ev, payload, details, _effect):
    x.referrals[payload.get("referral_id")] = payload.get("status")


@replays("add_follow_up")
def _follow_up(x: Expected, ev, payload, details, _effect):
    x.follow_ups += 1


def _effects_of(wf, ev) -> list[str]:
    t = wf.transition_for(ev.action, ev.from_state)
    if t is None:
        return []
    names = list(t.effects)
    rerouted = (ev.details or {}).get("rerouted")
    if rerouted:
        rule = next((r for r in t.reroutes if r.condition == rerouted.get("because")), None)
        names += list(rule.effects) if rule else []
    return names


def replay(events, versions: dict, case_workflow: str) -> Expected:
    """The expected record of one case from its events, in order, each read with the version of the
    workflow the case ran on then (``versions``: (name, version) -> Workflow)."""
    from caseflow.audit.hashing import format_ts

    def at(version):
        wf = versions.get((case_workflow, version))
        return wf, (set(wf.triggers()) if wf else set())

    wf, triggers = at(1)
    x = Expected()
    for ev in events:
        x.seq = ev.seq
        if ev.action == OPENED:
            x.state, x.version = ev.to_state, 1
            wf, triggers = at((ev.details or {}).get("workflow_version", 1))
            continue
        if ev.action == MIGRATED:
            x.state, x.version = ev.to_state, x.version + 1
            wf, triggers = at(((ev.details or {}).get("migrated") or {}).get("to"))
            continue
        if ev.action not in triggers:
            continue
        x.state, x.version = ev.to_state, x.version + 1
        details = ev.details or {}
        payload = details.get("payload") or {}
        for name in _effects_of(wf, ev):
            fn = REPLAYERS.get(name) or (_decide if name.startswith("decide_") else None)
            if fn is not None:
                fn(x, ev, payload, details, name)
    x.handovers = [h if isinstance(h, str) or h is None else format_ts(h) for h in x.handovers]
    return x


def found_records(session, case_ids: list[int]) -> dict[int, dict]:
    """What the rows hold, in the shape of ``Expected``, for these cases (a few queries in all)."""
    from caseflow.assessment.models import AgeAssessment
    from caseflow.audit.hashing import format_ts
    from caseflow.handover.models import Handover
    from caseflow.reintegration.models import FollowUp, Referral
    from caseflow.review.models import ReviewRound, Vote

    out: dict[int, dict] = defaultdict(lambda: {"rounds": [], "assessments": [], "handovers": [], "referrals": {},
                                                "follow_ups": 0})
    for chunk in range(0, len(case_ids), 5000):
        ids = case_ids[chunk:chunk + 5000]
        votes = defaultdict(dict)
        for round_id, voter, outcome in session.execute(
                select(Vote.round_id, Vote.voter_id, Vote.outcome).join(ReviewRound, ReviewRound.id == Vote.round_id)
                .where(ReviewRound.case_id.in_(ids))):
            votes[round_id][voter] = outcome
        for r in session.scalars(select(ReviewRound).where(ReviewRound.case_id.in_(ids))
                                 .order_by(ReviewRound.number)):
            out[r.case_id]["rounds"].append((r.number, r.decision, r.closed_at is not None, votes.get(r.id, {})))
        for a in session.scalars(select(AgeAssessment).where(AgeAssessment.case_id.in_(ids))
                                 .order_by(AgeAssessment.id)):
            out[a.case_id]["assessments"].append([a.status, bool(a.is_appeal), a.min_age, a.max_age])
        for case_id, at in session.execute(select(Handover.case_id, Handover.handed_over_at)
                                           .where(Handover.case_id.in_(ids)).order_by(Handover.id)):
            out[case_id]["handovers"].append(format_ts(at))
        for case_id, ref_id, status in session.execute(select(Referral.case_id, Referral.id, Referral.status)
                                                       .where(Referral.case_id.in_(ids))):
            out[case_id]["referrals"][ref_id] = status
        for (case_id,) in session.execute(select(FollowUp.case_id).where(FollowUp.case_id.in_(ids))):
            out[case_id]["follow_ups"] += 1
    return out


def differences(case, x: Expected, rows: dict) -> list[tuple[str, str, str]]:
    """(field, expected, found), the first ones first."""
    diffs = []
    for name, want, have in (("state", x.state, case.state), ("version", x.version, case.version),
                             ("closed reason", x.closed_reason, case.closed_reason),
                             ("receiving organisation", x.receiving_org_id, case.receiving_org_id)):
        if want != have:
            diffs.append((name, str(want), str(have)))
    expected_rounds = [(r.number, r.decision, r.closed, r.votes) for r in x.rounds]
    found_rounds = rows.get("rounds", [])
    for want, have in zip(expected_rounds, found_rounds, strict=False):
        if want[0] != have[0] or want[1] != have[1] or want[2] != have[2]:
            diffs.append((f"review round {want[0]}", f"decision {want[1]}", f"decision {have[1]}"))
        elif want[3] != have[3]:
            diffs.append((f"votes of round {want[0]}", _votes(want[3]), _votes(have[3])))
    if len(expected_rounds) != len(found_rounds):
        diffs.append(("review rounds", str(len(expected_rounds)), str(len(found_rounds))))
    for name, want, have in (("assessments", x.assessments, rows.get("assessments", [])),
                             ("handovers", x.handovers, rows.get("handovers", [])),
                             ("referrals", x.referrals, rows.get("referrals", {})),
                             ("follow-up visits", x.follow_ups, rows.get("follow_ups", 0))):
        if want != have:
            diffs.append((name, str(want), str(have)))
    return diffs


def _votes(votes: dict) -> str:
    return ", ".join(f"{k}:{v}" for k, v in sorted(votes.items(), key=lambda kv: str(kv[0]))) or "none"


@record_check
def cases_match_their_history(session, chain: str | None) -> list[Break]:
    from caseflow.workflow.engine import catalogue

    wfs = catalogue().versions
    cases_q = select(Case.id, Case.code, Case.workflow, Case.state, Case.version, Case.closed_reason,
                     Case.receiving_org_id)
    events_q = (select(AuditEvent.chain, AuditEvent.seq, AuditEvent.action, AuditEvent.from_state,
                       AuditEvent.to_state, AuditEvent.actor_id, AuditEvent.details)
                .where(AuditEvent.case_id.is_not(None)).order_by(AuditEvent.chain, AuditEvent.seq))
    if chain is not None:
        cases_q, events_q = cases_q.where(Case.code == chain), events_q.where(AuditEvent.chain == chain)
    cases = {c.code: c for c in session.execute(cases_q)}
    by_chain: dict[str, list] = defaultdict(list)
    for ev in session.execute(events_q.execution_options(yield_per=5000)):
        if ev.chain in cases:
            by_chain[ev.chain].append(ev)
    rows = found_records(session, [c.id for c in cases.values()])
    breaks = []
    for code, case in sorted(cases.items()):
        events = by_chain.get(code)
        if not events:
            breaks.append(Break(code, 0, "the case has no history that made it", OPENED, "-"))
            continue
        x = replay(events, wfs, case.workflow)
        diffs = differences(case, x, rows.get(case.id, {}))
        if diffs:
            name, want, have = diffs[0]
            breaks.append(Break(code, x.seq, f"the case record differs from its history: {name}", want, have))
    return breaks


@record_check
def cases_meet_their_states(session, chain: str | None) -> list[Break]:
    """What each state requires of the record (its ``requires`` in the workflow file: a closed case
    has a reason), held on every case: the check the database's CHECK constraints made, now read
    from the workflow files so no state name is written in the schema."""
    from sqlalchemy import String, or_

    from caseflow.workflow.engine import catalogue

    breaks = []
    for (name, version), wf in sorted(catalogue().versions.items()):
        for state, rule in wf.state_rules.items():
            columns = [getattr(Case, f) for f in rule.requires if f in Case.__table__.columns]
            own = [f for f in rule.requires if f not in Case.__table__.columns]
            if not columns and not own:
                continue
            empty = [or_(c.is_(None), c == "") if isinstance(c.type, String) else c.is_(None) for c in columns]
            stmt = select(Case).where(Case.workflow == name, Case.workflow_version == version, Case.state == state)
            if chain is not None:
                stmt = stmt.where(Case.code == chain)
            if not own:
                stmt = stmt.where(or_(*empty))
            for case in session.scalars(stmt):
                missing = case.missing(rule.requires)
                if missing:
                    breaks.append(Break(case.code, 0, f"the case is {state!r} without {', '.join(missing)}",
                                        ", ".join(missing), "-"))
    return breaks
