"""Verbs on the case record. They add and flush; the request or CLI command commits."""

from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy import select

from caseflow.assessment.age import refresh_age
from caseflow.audit.hashing import plain
from caseflow.audit.log import record
from caseflow.cases.models import IDENTIFYING_FIELDS, Case, CaseCodeCounter
from caseflow.cases.schemas import intake_schema, sealed_record_fields
from caseflow.cases.scope import can_see_identity, can_view
from caseflow.db import is_sqlite, utcnow, write_intent
from caseflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from caseflow.policy import require
from caseflow.schemas import translate_errors
from caseflow.sealing.identity import seal_with_master
from caseflow.workflow.engine import append_event, fire, get_workflow, update_clocks, workflow_of, workflows


def next_case_code(session, prefix: str, year: int) -> str:
    """Prefix, year and a sequence: pseudonymous, never derived from the child's name."""
    stmt = select(CaseCodeCounter).where(CaseCodeCounter.prefix == prefix, CaseCodeCounter.year == year)
    if not is_sqlite(session):
        stmt = stmt.with_for_update()
    counter = session.scalar(stmt)
    if counter is None:
        counter = CaseCodeCounter(prefix=prefix, year=year, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return f"{prefix}-{year}-{counter.last:05d}"


def load_intake(data: dict, wf) -> dict:
    try:
        return intake_schema(wf)().load(data or {})
    except ValidationError as exc:
        raise ValidationFailed(errors=translate_errors(exc.messages)) from None


def check_registration(data: dict, actor, wf) -> dict:
    """What a registration would record, validated, nothing written (the "check your answers" step
    and ``register_case`` alike)."""
    from flask_babel import gettext as _

    require(actor, "register_cases", _("Only registrars open cases."))
    values = load_intake(data, wf)
    if not any(v not in (None, "", False) for v in values.values()):
        raise ValidationFailed(_("An empty registration opens no case."), errors={
            "_schema": [_("Give at least one fact about the child (sex, claimed age, region, encounter…).")]})
    return values


def register_case(session, data: dict, actor, *, workflow: str, source: dict | None = None) -> Case:
    """Open a case in the initial state of the workflow in force; clocks start from their anchors
    (the handover clock at the encounter)."""
    wf = get_workflow(workflow)
    values = check_registration(data, actor, wf)
    now = utcnow()
    secret = IDENTIFYING_FIELDS + wf.sealed_own_fields()
    own = {k: plain(v) for k, v in values.items() if k in wf.fields and k not in secret}
    case = Case(
        code=next_case_code(session, wf.settings["case_code_prefix"], now.year),
        workflow=wf.name,
        workflow_version=wf.version,
        workflow_fields=own or None,
        state=wf.initial,
        version=1,
        state_entered_at=now,
        created_at=now,
        created_by_id=actor.id,
        registering_org_id=actor.organisation_id,
        **{k: v for k, v in values.items() if k not in wf.fields},
    )
    for k in secret:  # a workflow's identifying fields and free text are sealed with the names
        if k in wf.fields and values.get(k) not in (None, ""):
            case.set_value(k, values[k])
    session.add(case)
    session.flush()
    refresh_age(session, case)
    update_clocks(wf, case, now)
    sealed = set(secret) | sealed_record_fields(wf)  # the event's sealed part: these, and free text
    public = {k: v for k, v in values.items() if k not in sealed}
    identifying = {k: v for k, v in values.items() if k in sealed}
    details = {"fields": public, "workflow_version": wf.version}
    if source:
        details["source"] = source
    append_event(session, case, "case_registered", actor=actor, details=details, identifying=identifying or None)
    return case


def edit_intake(session, case: Case, data: dict, actor, *, expected_version: int | None) -> Case:
    fire(session, case, workflow_of(case).trigger_with_schema("intake"), actor, data,
         expected_version=expected_version)
    return case


def act(session, case: Case, trigger: str, actor, data: dict | None, *, expected_version: int | None = None):
    """The one operation behind an action on a case, whether a page's form or the API asks for it:
    the workflow file says which actions exist, who may take them and what they write (``fire``)."""
    return fire(session, case, trigger, actor, data, expected_version=expected_version)


def workflow_names() -> list[str]:
    return list(workflows())


def get_case(session, code: str, user, *, for_update: bool = False) -> Case:
    """A case by code, only within the user's remit (404 either way: no hint that it exists).
    ``for_update``: read it locked, once, for a transition that follows in this transaction."""
    from flask_babel import gettext as _
    from sqlalchemy.orm import joinedload

    # its clocks in the same round trip (every answer shows them; every transition updates them), and
    # for a transition its data key (what the event and the rows say in free text is sealed with it)
    stmt = select(Case).where(Case.code == code).options(joinedload(Case.clocks))
    if for_update:
        stmt = stmt.options(joinedload(Case.key_row))
    if for_update and not is_sqlite(session):
        stmt = stmt.with_for_update(of=Case)
    case = session.execute(stmt).unique().scalar_one_or_none()
    if case is None or not can_view(user, case):
        raise NotFound(_("No case %(code)s in your remit.", code=code))
    if for_update and (not is_sqlite(session) or write_intent.get()):
        case.mark_locked(session)  # SQLite: the writer's transaction is BEGIN IMMEDIATE already
    return case


def check_purpose(case: Case | None, user, purpose: str | None) -> str:
    """A purpose the user's role may give (for this case's workflow, or any), or a 422 naming it."""
    from flask_babel import gettext as _

    flows = [workflow_of(case)] if case is not None else list(workflows().values())
    if not any(purpose in {p.code for p in wf.purposes_for(user.role)} for wf in flows):
        raise ValidationFailed(_("Say why you need to see who the child is."),
                               errors={"purpose": [_("Choose one of the purposes offered.")]})
    return purpose


def reveal_identity(session, case: Case, user, purpose: str | None = None) -> dict:
    """The identifying fields, for a role the workflow lets see them, for a purpose it may give;
    every reveal is recorded with that purpose."""
    from flask_babel import gettext as _

    if not can_see_identity(user, case) or not can_view(user, case):
        raise Forbidden(_("Your role may not see who this child is."))
    if case.identity_erased:
        raise Conflict(_("This child's identity was erased at the end of its retention period."))
    purpose = check_purpose(case, user, purpose)
    record(session, "identity_viewed", actor=user, chain=case.audit_chain, case_id=case.id,
           from_state=case.state, to_state=case.state,
           details={"fields": list(case.identifying_fields()), "purpose": purpose})
    return {f: case.value(f) for f in case.identifying_fields()}


def record_edit_view(session, case: Case, user, fields: list[str]) -> None:
    """The registration's edit form pre-fills who the child is: a view like any other, whose purpose
    is the one the workflow's file names for it (``identity.on_edit``)."""
    purpose = workflow_of(case).identity_uses.get("on_edit")
    record(session, "identity_viewed", actor=user, chain=case.audit_chain, case_id=case.id,
           from_state=case.state, to_state=case.state, details={"fields": fields, "purpose": purpose})


def record_identity_search(session, user, *, purpose: str, query: dict, found: int, where: str) -> None:
    """A search by name (the list's search, an import's duplicate check) shows identities too: it
    is recorded with its purpose, the names searched for kept in the event's identifying part."""
    record(session, "identity_searched", actor=user, details={"purpose": purpose, "found": found, "where": where},
           identifying={"query": query}, seal=seal_with_master)

