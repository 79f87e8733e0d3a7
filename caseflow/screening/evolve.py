"""Screening's evolve step: the outcome a screening transition records, kept in the case's own
fields, where the campaign's figures read it (live and in replay)."""

from __future__ import annotations

from caseflow.workflow import registry
from caseflow.workflow.fold import Happened, Rows


@registry.evolves("record_screening_outcome")
def _outcome(rows: Rows, ev: Happened):
    outcome = ev.details.get("screening_outcome")
    if outcome:
        rows.subject.set_value("screening_outcome", outcome)
