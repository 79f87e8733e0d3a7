"""The statistics' hooks into the engine and into ``audit verify``: facts noted with every case event,
and the kept facts held against the events that carry them."""

from __future__ import annotations

from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.audit.verify import Break, Chains, record_check
from caseflow.cases.models import Case
from caseflow.reports import facts
from caseflow.reports.models import CaseFacts
from caseflow.workflow import registry

registry.observer(facts.note)


@record_check
def facts_match_their_history(session, chains: Chains) -> list[Break]:
    """Each case's current facts must be what its events' ``facts`` changes fold to."""
    kept_q = (select(Case.code, CaseFacts.facts).join(CaseFacts, CaseFacts.case_id == Case.id)
              .where(CaseFacts.valid_to.is_(None)))
    events_q = (select(AuditEvent.chain, AuditEvent.seq, AuditEvent.details["facts"])  # only what it reads
                .where(AuditEvent.case_id.is_not(None)).order_by(AuditEvent.chain, AuditEvent.seq))
    kept_q, events_q = chains.where(kept_q, Case.code), chains.where(events_q, AuditEvent.chain)
    kept = dict(session.execute(kept_q).all())
    folded: dict[str, list] = {}
    for ev_chain, seq, change in session.execute(events_q.execution_options(yield_per=5000)):
        if change:
            f = folded.setdefault(ev_chain, [{}, seq])
            f[0].update(change)
            f[1] = seq
    breaks = []
    for code in sorted(set(kept) | set(folded)):
        expected, seq = folded.get(code, [{}, 0])
        found = kept.get(code, {})
        differing = sorted(k for k in set(expected) | set(found) if expected.get(k) != found.get(k))
        if differing:
            breaks.append(Break(code, seq, "the statistics' facts differ from the history: " + ", ".join(differing),
                                ", ".join(f"{k}={expected.get(k)}" for k in differing[:3]),
                                ", ".join(f"{k}={found.get(k)}" for k in differing[:3])))
    return breaks
