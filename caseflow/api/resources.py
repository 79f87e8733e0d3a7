"""The API resources. Each one is thin: parse, call the same operation as the HTML view, shape the
answer. Errors are the domain exceptions, answered once as application/problem+json (web.py)."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from caseflow.api import schemas as out
from caseflow.api.auth import api_login_required
from caseflow.audit.hashing import format_ts
from caseflow.audit.log import events_for_chain
from caseflow.audit.verify import verify_at_one_moment
from caseflow.auth.models import Organisation
from caseflow.cases import operations
from caseflow.cases.history import text_of
from caseflow.cases.models import Case
from caseflow.cases.queries import case_page
from caseflow.cases.schemas import IntakeEditSchema, IntakeSchema
from caseflow.cases.scope import hidden_sections, sees_section
from caseflow.db import utcnow
from caseflow.errors import (
    BadHeader,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    StaleVersion,
    ValidationFailed,
)
from caseflow.exports.operations import (
    export_to_file,
    needs_background,
    record_export,
    start_export_job,
    temp_export_path,
)
from caseflow.exports.workbook import ExportFilters
from caseflow.extensions import db
from caseflow.handover.models import Handover
from caseflow.i18n import current_language
from caseflow.jobs import storage
from caseflow.jobs.operations import enqueue, file_available, get_job, take_passphrase
from caseflow.policy import may, require, scope_rule
from caseflow.reports.operations import make_period_report
from caseflow.reports.period import as_dict
from caseflow.review.schemas import VoteSchema
from caseflow.web import after_commit, commit_before_answer, writes
from caseflow.workflow.engine import (
    available_transitions,
    check_may_fire,
    get_workflow,
    workflow_of,
)

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="Cases, transitions, history, exports")

#: the ``include`` query parameter, for the answers that carry a case
INCLUDE = {"in": "query", "name": "include", "required": False, "schema": {"type": "string", "enum": ["actions"]},
           "description": "actions: the transitions open to you now, each allowed or with the reason why not"}


@blp.before_request
def check_include():
    """An unknown ``include`` is refused before anything is done (a transition is not fired and then
    answered with an error); a caller not signed in hears 401 first, from the view."""
    if current_user.is_authenticated:
        includes()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ProblemOut(Schema):
    """RFC 9457 problem details; a refusal about the case's state (409) or version (412) adds what
    the caller needs to try again."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "messages per field (or per header, e.g. If-Match)"})
    state = fields.String(metadata={"description": "409, 412: the case's state now"})
    version = fields.Integer(metadata={"description": "409, 412: the case's version now (its ETag)"})
    available = fields.List(fields.String(), metadata={"description": "409: the actions possible now"})
    change = fields.String(metadata={"description": "412: the action that changed the case since"})
    changed_by = fields.String(metadata={"description": "412: who took it"})
    changed_at = fields.String(metadata={"description": "412: when (ISO 8601, UTC)"})
    request_id = fields.String(metadata={"description": "the request's id, as in the X-Request-Id header and the "
                                                        "server's log line"})


PROBLEMS = {code: {"description": text, "content": {"application/problem+json": {"schema": ProblemOut}}}
            for code, text in {400: "Bad request", 401: "No or bad token", 403: "Role or remit refuses",
                               404: "Not found (or outside your remit)", 409: "Not possible in this state",
                               412: "Stale version (If-Match)", 422: "Invalid input or a workflow rule refuses",
                               428: "If-Match is required"}.items()}


def problems(*codes):
    return blp.doc(responses={c: PROBLEMS[c] for c in (400, 401, *codes)})


def json_body(required: bool = True) -> dict:
    data = request.get_json(silent=True)
    if data is None and (required or request.get_data()):
        raise ValidationFailed(_("Send a JSON object."), errors={"_body": [_("Send a JSON object.")]})
    if data is not None and not isinstance(data, dict):
        raise ValidationFailed(_("Send a JSON object."), errors={"_body": [_("Send a JSON object.")]})
    return data or {}


def if_match() -> int | None:
    """The version the caller saw. ``*`` matches whatever the case's current version is (RFC 9110
    §13.1.1): the change is made without a stale-version check."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired(_("Send the case's version (its ETag) in If-Match."))
    if header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1]
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        message = _("If-Match must be the case's ETag, like \"3\".")
        raise BadHeader(message, errors={"If-Match": [message]})
    return int(value)


def fire_checked(case, trigger: str, data: dict, *, precondition: bool = True) -> dict:
    """Fire with the version If-Match names, and give back what its guards and effects read (the
    answer's availability reuses it). Who may act is asked before the precondition is read: a role
    that may not act hears 403 whatever its If-Match says."""
    check_may_fire(case, trigger, current_user)
    version = if_match() if precondition else None
    try:
        return operations.act(db.session, case, trigger, current_user, data, expected_version=version).memo
    except StaleVersion as exc:
        raise PreconditionFailed(exc.detail, extra=exc.extra) from None


def trigger_for(case, schema: str) -> str:
    """The action of the case's workflow that takes this payload (the registration edit, the vote)."""

    trigger = workflow_of(case).trigger_with_schema(schema)
    if trigger is None:
        raise NotFound(_("This case's workflow has no such action."))
    return trigger


def handover_out(case) -> dict | None:
    h = Handover.latest(db.session, case.id) if case.receiving_org_id else None
    if h is None:
        return None
    return {"handed_over_at": h.handed_over_at, "elapsed_seconds": h.elapsed_seconds, "elapsed": h.elapsed_text,
            "hours_since_encounter": h.hours_since_encounter, "late": h.late}


def case_out(case, memo: dict | None = None, actions: bool = False) -> dict:
    wf = workflow_of(case)
    lang, now = current_language(), utcnow()
    return {
        "code": case.code, "workflow": case.workflow, "workflow_version": case.workflow_version,
        "workflow_fields": {k: v for k, v in (case.workflow_fields or {}).items()
                            if k not in case.identifying_fields()}, "state": case.state,
        "state_label": wf.state_label(case.state, lang), "version": case.version, "created_at": case.created_at,
        "sex": case.sex, "age_at_encounter": case.age_at_encounter, "age_basis": case.age_basis,
        "region": case.region, "cercle": case.cercle, "commune": case.commune,
        "encounter_type": case.encounter_type, "encounter_at": case.encounter_at,
        "detaining_authority": case.detaining_authority, "facility_type": case.facility_type,
        "charge_category": case.charge_category, "nationality": case.nationality,
        "receiving_organisation": case.receiving_org.name if case.receiving_org else None,
        "handover": handover_out(case) if sees_section(current_user, case, "handover") else None,
        "hidden_sections": hidden_sections(current_user, case),
        "closed_reason": case.closed_reason,
        "clocks": [{"name": c.name, "label": wf.clocks[c.name].label[lang] if c.name in wf.clocks else c.name,
                    "started_at": c.started_at, "due_at": c.due_at,
                    "overdue": bool(c.due_at and c.due_at < now)} for c in case.clocks if c.stopped_at is None],
    } | ({"available_transitions": [
        {"trigger": a.trigger, "label": a.label, "allowed": a.allowed, "reason": a.reason}
        for a in available_transitions(db.session, case, current_user, memo=memo)]} if actions else {})


#: what ``?include=`` may add to a case's answer
INCLUDES = frozenset({"actions"})


def includes() -> frozenset[str]:
    """``?include=actions``: what the answer adds on request. The actions open to the caller (every
    transition's guards evaluated) cost more than the rest of the answer, so an answer carries them
    only when asked; a transition's answer has the new state and version either way."""
    asked = frozenset(v.strip() for v in request.args.get("include", "").split(",") if v.strip())
    unknown = asked - INCLUDES
    if unknown:
        shown = [v[:40] for v in sorted(unknown)[:5]]  # the caller's own words, bounded
        message = _("Unknown value for include: %(values)s (known: %(known)s).",
                    values=", ".join(shown), known=", ".join(sorted(INCLUDES)))
        raise ValidationFailed(message, errors={"include": [message]})
    return asked


#: one instance for every answer (marshmallow's fields are built per instance; dumping keeps no state)
CASE_OUT = out.CaseOut()


def case_response(case, status: int = 200, memo: dict | None = None):
    """The case as CaseOut, with its version as the ETag."""
    response = current_app.json.response(CASE_OUT.dump(case_out(case, memo, actions="actions" in includes())))
    response.status_code = status
    response.headers["ETag"] = f'"{case.version}"'
    return response


@blp.route("/cases")
@blp.arguments(out.CaseListQuery, location="query", as_kwargs=True)
@blp.response(200, out.CasePageOut)
@problems(422)
@api_login_required
def list_cases(page, per_page, state=None, region=None, overdue=False, q=None, workflow=None):
    """Cases in your remit, newest first."""
    result = case_page(db.session, current_user, state=state, region=region, overdue=overdue, code=q,
                       page=page, per_page=per_page, workflow=workflow, columns=SUMMARY_COLUMNS)
    args = {k: v for k, v in request.args.items() if k != "page"}

    def link(n):
        return url_for("api.list_cases", page=n, **args)

    # written as CasePageOut would dump it (tests/test_api.py holds the two equal), without its
    # field-by-field work on every row: that was a quarter of a list's time
    return current_app.json.response({
        "items": [summary(row) for row in result.items], "total": result.total, "total_is_capped": result.more,
        "page": result.page, "per_page": result.per_page,
        "links": {"self": link(result.page), "next": link(result.page + 1) if result.has_next else None,
                  "prev": link(result.page - 1) if result.page > 1 else None}})


#: a list item's fields (CaseSummaryOut's), read as columns of the cases table
SUMMARY_FIELDS = tuple(out.CaseSummaryOut().fields)
SUMMARY_COLUMNS = tuple(getattr(Case, f) for f in SUMMARY_FIELDS)


def summary(row) -> dict:
    """One list item as CaseSummaryOut writes it: plain values, times in ISO 8601 with their zone."""
    return {f: v.isoformat() if isinstance(v, datetime) else v for f, v in zip(SUMMARY_FIELDS, row, strict=True)}


@blp.route("/cases", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": IntakeSchema}}})
@blp.response(201, out.CaseOut)
@problems(400, 403, 422)
@api_login_required
def create_case():
    """Register a child (registrars), in the workflow ``workflow`` names (its fields: GET
    /workflows/{name}; none named: the default one). Identifying fields may be sent; they are never
    returned."""
    data = json_body()
    chosen = data.pop("workflow", None) or current_app.config["DEFAULT_WORKFLOW"]
    if not isinstance(chosen, str) or chosen not in operations.workflow_names():
        raise ValidationFailed(_("Unknown workflow."), errors={"workflow": [_("Unknown workflow.")]})
    case = operations.register_case(db.session, data, current_user, workflow=chosen)
    response = case_response(case, 201)
    response.headers["Location"] = url_for("api.get_case", code=case.code)
    return response


@blp.route("/cases/<code>")
@blp.doc(parameters=[INCLUDE])
@blp.response(200, out.CaseOut)
@problems(404)
@api_login_required
def get_case(code):
    """One case: state, version (also the ETag), clocks; what you may do now with ``?include=actions``."""
    case = operations.get_case(db.session, code, current_user)
    return case_response(case)


@blp.route("/cases/<code>", methods=["PATCH"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": IntakeEditSchema}}},
         parameters=[{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}, INCLUDE])
@blp.response(200, out.CaseOut)
@problems(400, 403, 404, 409, 412, 422, 428)
@api_login_required
def patch_case(code):
    """Edit registration fields; send only those that change, with If-Match."""
    case = operations.get_case(db.session, code, current_user, for_update=True)
    data = json_body()
    memo = fire_checked(case, trigger_for(case, "intake"), data)
    commit_before_answer()
    return case_response(case, memo=memo)


@blp.route("/cases/<code>/transitions/<trigger>", methods=["POST"])
@blp.doc(requestBody={"required": False, "content": {"application/json": {"schema": {"type": "object"}}}},
         parameters=[{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}, INCLUDE])
@blp.response(200, out.CaseOut)
@problems(400, 403, 404, 409, 412, 422, 428)
@api_login_required
def transition(code, trigger):
    """Fire a workflow transition; the payload is the transition's schema (GET /workflows/{name})."""
    case = operations.get_case(db.session, code, current_user, for_update=True)
    data = json_body(required=False)
    memo = fire_checked(case, trigger, data)
    commit_before_answer()
    return case_response(case, memo=memo)


@blp.route("/cases/<code>/votes", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": VoteSchema}}},
         parameters=[INCLUDE])
@blp.response(200, out.CaseOut)
@problems(400, 403, 404, 409, 422)
@api_login_required
def vote(code):
    """A reviewer's vote in the current round (a second vote replaces the first)."""
    case = operations.get_case(db.session, code, current_user, for_update=True)
    memo = fire_checked(case, trigger_for(case, "vote"), json_body(), precondition=False)
    commit_before_answer()
    return case_response(case, memo=memo)


@blp.route("/cases/<code>/history")
@blp.response(200, out.HistoryOut)
@problems(404)
@api_login_required
def history(code):
    """The case's audit events with their hashes (identifying values withheld, their digest shown;
    the free text kept in each event's sealed part, opened, in ``sealed_text``)."""
    case = operations.get_case(db.session, code, current_user)
    events = events_for_chain(db.session, case.audit_chain)

    wf = workflow_of(case)

    def seen(e):  # need to know: the details of a section this role does not see are withheld
        return sees_section(current_user, case, wf.section_of(e.action))

    def details(e):
        return e.details if seen(e) else {"withheld": "need to know"}

    text = text_of(db.session, wf, [e for e in events if seen(e)])

    return {"code": case.code, "verified": verify_at_one_moment(case.audit_chain).ok,
            "events": [{**{k: getattr(e, k) for k in (
                "chain", "seq", "actor_id", "actor_name", "actor_role", "actor_org", "action", "from_state",
                "to_state", "ident_digest", "request_id", "client_addr", "hash_version", "prev_hash",
                "hash")}, "details": details(e), "sealed_text": text.get(e.id, {}),
                "occurred_at": format_ts(e.occurred_at)} for e in events]}


@blp.route("/exports/cases.xlsx")
@blp.arguments(out.ExportQuery, location="query", as_kwargs=True)
@blp.doc(responses={200: {"description": "The auditor's workbook",
                          "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
@problems(403, 422)
@api_login_required
@writes
def export_cases(state=None, date_from=None, date_to=None, region=None, organisation_id=None, code=None,
                 identity=False, purpose=None):
    """The auditor's workbook, with the same filters as the export page; the export is recorded."""
    import os

    filters = ExportFilters(states=state or [], date_from=date_from, date_to=date_to, region=region,
                            organisation_id=organisation_id, codes=code or [])
    require(current_user, "export_many", _("Only auditors export cases."))

    asked_async = "respond-async" in request.headers.get("Prefer", "")
    # identifying data leaves only encrypted, its passphrase given once by the job: always a job
    if asked_async or identity or needs_background(db.session, current_user, filters):
        job = start_export_job(db.session, current_user, filters, identity, purpose=purpose)
        after_commit(lambda: enqueue(job.id))
        headers = {"Location": url_for("api.job", job_id=job.id)}
        if asked_async:
            headers["Preference-Applied"] = "respond-async"
        return Response(status=202, headers=headers)
    path = temp_export_path()
    try:
        outcome = export_to_file(db.session, current_user, filters, identity, path)
        with open(path, "rb") as fh:
            data = fh.read()
    finally:
        os.unlink(path)
    record_export(db.session, current_user, outcome)
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="cases.xlsx"'})


@blp.route("/organisations")
@blp.response(200, out.OrganisationListOut)
@problems()
@api_login_required
def organisations():
    """The organisations a payload may name (``receiving_org_id``: partners; ``assessor_org_id``:
    assessors), and the caller's own; auditors and administrators see them all."""
    from sqlalchemy import or_, select

    stmt = select(Organisation).order_by(Organisation.name)
    if scope_rule(current_user) != "all" and not may(current_user, "manage_people"):
        stmt = stmt.where(or_(Organisation.id == current_user.organisation_id,
                              (Organisation.active.is_(True)) & Organisation.kind.in_(("partner_ngo", "assessor"))))
    return {"items": [{"id": o.id, "name": o.name, "kind": o.kind, "active": o.active}
                      for o in db.session.scalars(stmt)]}


@blp.route("/workflows/<name>")
@blp.response(200, out.WorkflowOut)
@problems(404)
@api_login_required
def workflow(name):
    """States, transitions (roles, guards, payload schema), settings and quorum of a workflow."""
    wf = get_workflow(name)
    return {"name": wf.name, "version": wf.version, "label": wf.label, "initial": wf.initial, "states": wf.states,
            "transitions": [{"trigger": t.trigger, "sources": list(t.sources), "dest": t.dest, "roles": list(t.roles),
                             "guards": list(t.guards), "schema": t.schema, "label": t.label} for t in wf.transitions],
            "settings": wf.settings, "quorum": wf.quorum, "required": list(wf.required),
            "identity_purposes": {code: {"label": p.label, "roles": list(p.roles)}
                                  for code, p in wf.identity_purposes.items()}}


@blp.route("/audit/verify")
@blp.arguments(out.VerifyQuery, location="query", as_kwargs=True)
@blp.response(200, out.VerifyOut)
@problems(403, 422)
@api_login_required
def audit_verify(case=None):
    """The integrity verdict of every chain, or of one case's (auditors)."""
    require(current_user, "verify_audit", _("Only auditors verify the audit trail."))
    report = verify_at_one_moment(case)
    return {"ok": report.ok, "events": report.events, "chains": report.chains,
            "events_per_second": int(report.rate),
            "first_break": report.first_break.describe() if report.first_break else None,
            "first_break_in_words": report.first_break.in_words() if report.first_break else None}


@blp.route("/reports/period")
@blp.doc(parameters=[
    {"in": "query", "name": "from", "required": True, "schema": {"type": "string", "format": "date"}},
    {"in": "query", "name": "to", "required": True, "schema": {"type": "string", "format": "date"},
     "description": "inclusive; not after the as-of time"},
    {"in": "query", "name": "as_of", "schema": {"type": "string", "format": "date-time"},
     "description": "the records as they stood then (default: now)"},
    {"in": "query", "name": "by", "schema": {"type": "string", "example": "sex,age_band"},
     "description": "one or two of: sex, age_band, region, authority, facility, charge, nationality"},
], responses={200: {"description": "The period report: every table, withheld cells as \"<5\" or \"x\""}})
@problems(403, 422)
@api_login_required
@writes
def period_report():
    """Statistics for a period, as of a time, disaggregated, with small counts withheld; recorded."""

    report = make_period_report(db.session, request.args, current_user, output="json")
    return as_dict(report)


@blp.route("/jobs/<job_id>")
@blp.doc(responses={200: {"description": "The job: kind, state, progress, result, error, timings, its file's link"}})
@problems(404)
@api_login_required
def job(job_id):
    """One of your jobs (an export started with ``Prefer: respond-async`` or past the inline limit)."""

    j = get_job(db.session, job_id, current_user)
    result = {k: v for k, v in (j.result or {}).items() if k != "passphrase"}
    return {
        "passphrase_available": bool((j.result or {}).get("passphrase")),
        "id": j.id, "kind": j.kind, "state": j.state, "total": j.total, "done": j.done, "percent": j.percent,
        "attempts": j.attempts, "result": result, "error": j.error,
        "created_at": j.created_at.isoformat(), "started_at": j.started_at.isoformat() if j.started_at else None,
        "finished_at": j.finished_at.isoformat() if j.finished_at else None,
        "file": url_for("api.job_file", job_id=j.id) if file_available(j) else None,
        "file_expires_at": j.file.expires_at.isoformat() if file_available(j) else None,
    }


@blp.route("/jobs/<job_id>/passphrase", methods=["POST"])
@blp.doc(responses={200: {"description": "An encrypted file's passphrase, given once (then 404)"}})
@problems(404)
@api_login_required
def job_passphrase(job_id):
    """The passphrase of your job's encrypted file (an export with identifying data): given once, in
    this answer, and removed from the job; a second call answers 404."""

    shown = take_passphrase(db.session, get_job(db.session, job_id, current_user))
    if shown is None:
        raise NotFound(_("This job has no passphrase to give (none, or already given)."))
    return {"passphrase": shown}


@blp.route("/jobs/<job_id>/file")
@blp.doc(responses={200: {"description": "The job's file", "content": {XLSX: {"schema": {"type": "string",
                                                                                            "format": "binary"}}}}})
@problems(404)
@api_login_required
def job_file(job_id):
    """The file a job made, streamed; 404 once it is deleted (after its retention period)."""

    j = get_job(db.session, job_id, current_user)
    if not file_available(j):
        raise NotFound(_("This job has no file (not ready yet, or deleted after its retention period)."))
    return storage.download(j.file)
