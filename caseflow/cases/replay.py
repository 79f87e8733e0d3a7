"""The case record held against its chain: replaying a case's audit events must give the state and
the version the ``cases`` row holds. A row changed behind the application's back
(``UPDATE cases SET state = 'closed'``) no longer matches the history that should have made it.

Registered with ``audit.verify`` as a record check, so ``audit verify`` (CLI, auditor page, the
case page's verdict) reports it like a broken link, naming the field that differs.
"""

from __future__ import annotations

from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.audit.verify import Break, record_check
from caseflow.cases.models import Case

#: the event that opens a case (version 1, the workflow's initial state)
OPENED = "case_registered"


@record_check
def cases_match_their_history(session, chain: str | None) -> list[Break]:
    from caseflow.workflow.engine import workflows

    triggers = {name: set(wf.triggers()) for name, wf in workflows().items()}
    rows = select(Case.code, Case.workflow, Case.state, Case.version)
    events = (select(AuditEvent.chain, AuditEvent.seq, AuditEvent.action, AuditEvent.to_state)
              .where(AuditEvent.case_id.is_not(None)).order_by(AuditEvent.chain, AuditEvent.seq))
    if chain is not None:
        rows, events = rows.where(Case.code == chain), events.where(AuditEvent.chain == chain)
    cases = {code: (wf, state, version) for code, wf, state, version in session.execute(rows)}
    replayed: dict[str, list] = {}
    for ev_chain, seq, action, to_state in session.execute(events.execution_options(yield_per=5000)):
        if ev_chain not in cases:
            continue
        r = replayed.setdefault(ev_chain, [None, 0, seq])
        if action == OPENED:
            r[0], r[1] = to_state, 1
        elif action in triggers.get(cases[ev_chain][0], ()):
            r[0], r[1] = to_state, r[1] + 1
        r[2] = seq
    breaks = []
    for code, (_wf, state, version) in sorted(cases.items()):
        r = replayed.get(code)
        if r is None:
            breaks.append(Break(code, 0, "the case has no history that made it", "case_registered", "-"))
        elif r[0] != state:
            breaks.append(Break(code, r[2], "the case record differs from its history: state", str(r[0]), state))
        elif r[1] != version:
            breaks.append(Break(code, r[2], "the case record differs from its history: version", str(r[1]),
                                str(version)))
    return breaks
