"""A case's statistical facts, noted with every event that changes them.

The facts are what the Secretary-General's figures count (``domain.md``, "Reporting"), never a name:
sex, the age used at the encounter, place, detaining authority, facility, charge, nationality, the
times of the encounter and of custody, the decisions, the age assessments, the handover, closure.

When an event is appended to a case's chain, ``note`` works out which facts it changed and puts
them into the event's details (``"facts": {key: new value}``), so they are hashed into the chain;
``keep`` then closes the case's current ``CaseFacts`` row at the event's time and opens the next.
Folding the ``facts`` changes of a chain's events gives the current row back (``fold``): the figures
rest on the audit trail, and ``audit verify`` reports a row that differs from it.

Each part of the facts is read from its rows by the stage that owns them, in its ``evolve.py``
(``@registry.facts``): the case's own columns (``cases/evolve.py``), the age assessments, the
decisions, the handover — a new stage adds its part there, and nothing here changes. Only what a
change touched is read again: each evolve step says which parts it changes (``@evolves(..., touches=...)``)
and the engine hands that to ``note`` (a vote touches none).
``tests/test_workflow_stateful.py`` holds the kept facts equal to the facts read afresh after
every step, so an effect that forgets to say what it touches fails there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from caseflow.audit.hashing import plain
from caseflow.cases.models import Case
from caseflow.reports.models import CaseFacts
from caseflow.workflow import registry
from caseflow.workflow.engine import append_event, catalogue, workflow_of


def read_all(session, case) -> dict:
    """Every part of the case's facts, read from the rows now."""
    facts: dict = {}
    for part in sorted(registry.FACT_PARTS):
        facts.update(plain(registry.FACT_PARTS[part](session, case)))
    return facts


def diff(before: dict, after: dict) -> dict:
    return {k: v for k, v in after.items() if before.get(k) != v or k not in before}


def fold(changes: Iterable[dict]) -> dict:
    """The facts that a chain's successive ``facts`` changes add up to."""
    facts: dict = {}
    for change in changes:
        facts.update(change)
    return facts


@dataclass
class Noted:
    """Facts changed by the event about to be appended; ``keep`` files them once it exists."""

    session: Session
    case: Case
    previous: CaseFacts | None
    facts: dict
    changes: dict

    @property
    def details(self) -> dict:
        return {"facts": self.changes}

    def keep(self, ev) -> None:
        if self.previous is not None:
            self.session.execute(update(CaseFacts).where(CaseFacts.id == self.previous.id)
                                 .values(valid_to=ev.occurred_at))
        self.session.add(CaseFacts(case_id=self.case.id, receiving_org_id=self.facts.get("receiving_org_id"),
                                   valid_from=ev.occurred_at, valid_to=None, event_id=ev.id, action=ev.action,
                                   facts=self.facts))


def current(session, case_id: int) -> CaseFacts | None:
    return session.scalar(select(CaseFacts).where(CaseFacts.case_id == case_id, CaseFacts.valid_to.is_(None)))


def note(session, case, touched: frozenset[str] | None = None) -> Noted | None:
    """The facts the event about to be appended changed on ``case`` (``touched``: the parts its
    effects say they changed; None: any), or None when it changed none (a vote) or its workflow is
    not one the period statistics count (a screening)."""

    if not workflow_of(case).period_statistics:
        return None
    parts = set(registry.FACT_PARTS) if touched is None else set(touched) & set(registry.FACT_PARTS)
    if not parts:
        return None  # a vote, a recusal: nothing read, nothing written
    session.flush()
    previous = current(session, case.id)
    if previous is None:
        parts = set(registry.FACT_PARTS)  # a new case, or one from before the facts were kept: all of them
    facts = dict(previous.facts) if previous is not None else {}
    for part in sorted(parts):
        facts.update(plain(registry.FACT_PARTS[part](session, case)))
    changes = diff(previous.facts if previous is not None else {}, facts)
    if not changes:
        return None
    return Noted(session, case, previous, facts, changes)


#: the event that files the facts of a case from before they were kept (see ``backfill``)
FACTS_RECORDED = "facts_recorded"


def backfill(session) -> int:
    """Cases with no kept facts (registered before migration 0012): an event on each one's chain
    files its facts as they are now, from now on. Returns how many; a second run finds none."""

    counted = sorted({wf.name for wf in catalogue().versions.values() if wf.period_statistics})
    missing = select(Case.id).where(Case.workflow.in_(counted),
                                    ~select(CaseFacts.id).where(CaseFacts.case_id == Case.id).exists())
    ids = list(session.scalars(missing.order_by(Case.id)))
    for case_id in ids:
        case = session.get(Case, case_id)
        append_event(session, case, FACTS_RECORDED, actor=None, details={}, from_state=case.state)
    return len(ids)
