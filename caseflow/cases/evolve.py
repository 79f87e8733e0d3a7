"""The case's own part of its record as its events make it (the receiving organisation, the
closure's reason) — and the same read from ``cases``. The other parts are their stages'
(``<stage>/evolve.py``); ``cases/checks.py`` holds them all against the rows. The statistics' facts
of the case's own columns are here too, each stage's beside its evolve steps."""

from __future__ import annotations

from sqlalchemy import select

from caseflow.cases.models import Case
from caseflow.workflow import registry
from caseflow.workflow.fold import Projection, Record

#: the event that opens a case (version 1, the workflow's initial state)
OPENED = "case_registered"


def _part() -> dict:
    return {"closed_reason": None, "receiving_org_id": None}


@registry.evolves("set_receiving_org")
def _receiver(x: Record, ev, payload, details, _effect):
    x.part("case")["receiving_org_id"] = payload.get("receiving_org_id")


@registry.evolves("close_case")
def _close(x: Record, ev, payload, details, _effect):
    x.part("case")["closed_reason"] = payload.get("reason")


@registry.evolves("close_case_not_a_child")
def _close_adult(x: Record, ev, payload, details, _effect):
    x.part("case")["closed_reason"] = "determined_adult"


@registry.evolves("reopen_case")
def _reopen(x: Record, ev, payload, details, _effect):
    x.part("case")["closed_reason"] = None


def rows(session, ids: list[int]) -> dict[int, dict]:
    return {r.id: {"closed_reason": r.closed_reason, "receiving_org_id": r.receiving_org_id}
            for r in session.execute(select(Case.id, Case.closed_reason, Case.receiving_org_id)
                                     .where(Case.id.in_(ids)))}


def differences(want: dict, have: dict) -> list[tuple[str, str, str]]:
    return [(name, str(want[key]), str(have[key])) for key, name in
            (("closed_reason", "closed reason"), ("receiving_org_id", "receiving organisation"))
            if want[key] != have[key]]


registry.projection(Projection("case", 10, _part, rows, differences))


#: fact key → the case column it is read from
CASE_COLUMNS = {
    "workflow": "workflow", "sex": "sex", "age": "age_at_encounter", "region": "region",
    "authority": "detaining_authority", "facility": "facility_type", "charge": "charge_category",
    "nationality": "nationality", "encounter_at": "encounter_at", "custody_start": "custody_start",
    "custody_end": "custody_end", "closed_at": "closed_at", "closed_reason": "closed_reason",
    "registering_org_id": "registering_org_id", "receiving_org_id": "receiving_org_id",
}


@registry.facts("case")
def facts(session, case) -> dict:
    return {key: getattr(case, column) for key, column in CASE_COLUMNS.items()}
