"""The case record's evolve steps: the fields an edit, a correction, a closure or a transfer to
juvenile justice writes (live and in replay) — and the case's own part of the record compared with
its history (the receiving organisation, the closure's reason), read from replayed rows and from
``cases``. The other parts are their stages'
(``<stage>/evolve.py``); ``cases/checks.py`` holds them all against the rows. The statistics' facts
of the case's own columns are here too, each stage's beside its evolve steps."""

from __future__ import annotations

from sqlalchemy import select

from caseflow.assessment.age import settle_age
from caseflow.assessment.models import AgeAssessment
from caseflow.audit.hashing import plain
from caseflow.cases.models import Case
from caseflow.cases.schemas import DECISIVE_FACTS
from caseflow.workflow import registry
from caseflow.workflow.fold import Happened, Projection, Rows

#: the event that opens a case (version 1, the workflow's initial state)
OPENED = "case_registered"


def _part() -> dict:
    return {"closed_reason": None, "receiving_org_id": None}


def _set_fields(rows: Rows, ev: Happened, keys) -> None:
    """The fields sent that change, set; the age at the encounter follows (noted in the event
    when it changes)."""
    case = rows.subject
    changed = False
    for key in keys:
        if key in ev.payload and plain(case.value(key)) != plain(ev.payload[key]):
            case.set_value(key, ev.payload[key])
            changed = True
    if changed:
        before = case.age_at_encounter

        def age() -> dict | None:
            after = settle_age(case, rows.of(AgeAssessment)).years
            return {"age_at_encounter": [before, after]} if after != before else None

        ev.settle(age)
        case.age_at_encounter = (ev.details.get("age_at_encounter") or [None, case.age_at_encounter])[1]


@registry.evolves("apply_intake_changes", touches=("case",))
def _edit(rows: Rows, ev: Happened):
    _set_fields(rows, ev, list(ev.payload))


@registry.evolves("apply_correction", touches=("case",))
def _correct(rows: Rows, ev: Happened):
    _set_fields(rows, ev, [k for k in DECISIVE_FACTS if k in ev.payload])


@registry.evolves("close_case", touches=("case",))
def _close(rows: Rows, ev: Happened):
    case = rows.subject
    case.closed_reason, case.closed_at, case.next_review_date = ev.payload.get("reason"), ev.at, None


def transferred(payload: dict) -> dict:
    """The case's fields a transfer to juvenile justice changes, from what the payload says."""
    return {field: payload[key] for field, key in (("detaining_authority", "receiving_authority"),
                                                   ("facility_type", "facility_type"),
                                                   ("facility_reference", "facility_reference"))
            if key in payload}


@registry.evolves("record_justice_transfer", touches=("case",))
def _transfer(rows: Rows, ev: Happened):
    for field, value in transferred(ev.payload).items():
        setattr(rows.subject, field, value)


def rows(session, ids: list[int]) -> dict[int, dict]:
    return {r.id: {"closed_reason": r.closed_reason, "receiving_org_id": r.receiving_org_id}
            for r in session.execute(select(Case.id, Case.closed_reason, Case.receiving_org_id)
                                     .where(Case.id.in_(ids)))}


def differences(want: dict, have: dict) -> list[tuple[str, str, str]]:
    return [(name, str(want[key]), str(have[key])) for key, name in
            (("closed_reason", "closed reason"), ("receiving_org_id", "receiving organisation"))
            if want[key] != have[key]]


registry.projection(Projection("case", 10, _part, rows, differences,
                               lambda rows: {"closed_reason": rows.subject.closed_reason,
                                             "receiving_org_id": rows.subject.receiving_org_id}))


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
