"""The case record held against its chain: folding a case's audit events (``workflow.fold``, each
stage's ``evolve.py``) must give what the rows hold — state, version, closure reason, receiving
organisation, the review rounds with their votes and decisions, the age assessments, the handovers,
the referrals and the follow-up visits. A row changed behind the application's back (a state set by
an UPDATE, a vote's outcome rewritten, a handover deleted) no longer matches the history that
should have made it.

Registered with ``audit.verify`` as record checks, so ``audit verify`` (CLI, auditor page, the case
page's verdict) reports them like a broken link, naming the field that differs.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import String, or_, select

from caseflow.assessment import evolve as _assessment  # noqa: F401 - each stage registers its part
from caseflow.audit.models import AuditEvent
from caseflow.audit.verify import Break, Chains, record_check
from caseflow.cases import evolve as _case  # noqa: F401
from caseflow.cases.evolve import OPENED
from caseflow.cases.models import Case
from caseflow.handover import evolve as _handover  # noqa: F401
from caseflow.reintegration import evolve as _reintegration  # noqa: F401
from caseflow.review import evolve as _review  # noqa: F401
from caseflow.workflow.engine import catalogue
from caseflow.workflow.fold import Record, differences, fold, projections


def record_of(events, versions: dict, workflow: str) -> Record:
    """One case's rows as its events make them, from a case that no session holds."""
    return fold(events, versions, workflow, opened=OPENED,
                blank=lambda ev: Case(code=getattr(ev, "chain", None), workflow=workflow))


def rows_of(session, case_ids: list[int]) -> dict[int, dict]:
    """What the rows hold, part by part, for these cases (a few queries a part in all)."""
    out: dict[int, dict] = defaultdict(dict)
    for chunk in range(0, len(case_ids), 5000):
        ids = case_ids[chunk:chunk + 5000]
        for p in projections():
            for case_id, value in p.rows(session, ids).items():
                out[case_id][p.name] = value
    return out


def record_differences(case, x: Record, rows: dict) -> list[tuple[str, str, str]]:
    """(field, expected, found), the first ones first."""
    diffs = [(name, str(want), str(have)) for name, want, have in
             (("state", x.state, case.state), ("version", x.version, case.version)) if want != have]
    return diffs + differences(x, rows)


@record_check
def cases_match_their_history(session, chains: Chains) -> list[Break]:
    wfs = catalogue().versions
    cases_q = select(Case.id, Case.code, Case.workflow, Case.state, Case.version)
    events_q = (select(AuditEvent.chain, AuditEvent.seq, AuditEvent.action, AuditEvent.from_state,
                       AuditEvent.to_state, AuditEvent.actor_id, AuditEvent.occurred_at, AuditEvent.details)
                .where(AuditEvent.case_id.is_not(None)).order_by(AuditEvent.chain, AuditEvent.seq))
    cases_q, events_q = chains.where(cases_q, Case.code), chains.where(events_q, AuditEvent.chain)
    cases = {c.code: c for c in session.execute(cases_q)}
    by_chain: dict[str, list] = defaultdict(list)
    for ev in session.execute(events_q.execution_options(yield_per=5000)):
        if ev.chain in cases:
            by_chain[ev.chain].append(ev)
    rows = rows_of(session, [c.id for c in cases.values()])
    breaks = []
    for code, case in sorted(cases.items()):
        events = by_chain.get(code)
        if not events:
            breaks.append(Break(code, 0, "the case has no history that made it", OPENED, "-"))
            continue
        try:
            x = record_of(events, wfs, case.workflow)
        except Exception as exc:  # noqa: BLE001 - a stored event no evolve step can take is a finding, not a 500
            breaks.append(Break(code, 0, f"the case's history cannot be replayed ({type(exc).__name__})",
                                "a history its evolve steps take", "-"))
            continue
        diffs = record_differences(case, x, rows.get(case.id, {}))
        if diffs:
            name, want, have = diffs[0]
            breaks.append(Break(code, x.seq, f"the case record differs from its history: {name}", want, have))
    return breaks


@record_check
def cases_meet_their_states(session, chains: Chains) -> list[Break]:
    """What each state requires of the record (its ``requires`` in the workflow file: a closed case
    has a reason), held on every case: the check the database's CHECK constraints made, now read
    from the workflow files so no state name is written in the schema."""

    table = Case.__table__.c
    breaks = []
    for (name, version), wf in sorted(catalogue().versions.items()):
        for state, rule in wf.state_rules.items():
            columns = [table[f] for f in rule.requires if f in table]
            own = [f for f in rule.requires if f not in table]
            if not columns and not own:
                continue
            empty = [or_(c.is_(None), c == "") if isinstance(c.type, String) else c.is_(None) for c in columns]
            stmt = chains.where(select(Case).where(Case.workflow == name, Case.workflow_version == version,
                                                   Case.state == state), Case.code)
            if not own:
                stmt = stmt.where(or_(*empty))
            for case in session.scalars(stmt):
                missing = case.missing(rule.requires)
                if missing:
                    breaks.append(Break(case.code, 0, f"the case is {state!r} without {', '.join(missing)}",
                                        ", ".join(missing), "-"))
    return breaks
