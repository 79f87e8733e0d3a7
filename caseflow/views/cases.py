"""HTML pages of cases: list, registration, the case page, and one form per workflow action."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from caseflow import vocab
from caseflow.assessment.age import age_band, effective_age
from caseflow.assessment.models import AgeAssessment
from caseflow.audit.log import events_for_chain
from caseflow.audit.verify import verify_at_one_moment
from caseflow.auth.models import Organisation
from caseflow.cases import operations
from caseflow.cases.history import details_shown
from caseflow.cases.models import Case
from caseflow.cases.queries import case_page, distinct_values, regions
from caseflow.cases.schemas import intake_schema
from caseflow.cases.scope import can_see_identity, sees_section
from caseflow.db import utcnow
from caseflow.errors import DomainError, Forbidden, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.forms import answers, build_form, form_data
from caseflow.handover.models import Handover
from caseflow.i18n import label
from caseflow.labels import field_label
from caseflow.policy import requires
from caseflow.reintegration.models import FollowUp, Referral
from caseflow.review.models import ReviewRound
from caseflow.review.quorum import quorum_status
from caseflow.schemas import parse_id, parse_page
from caseflow.views.listing import list_rows
from caseflow.web import commit_before_answer, writes
from caseflow.workflow.engine import (
    available_transitions,
    get_workflow,
    payload_schema,
    state_choices,
    workflow_of,
    workflows,
)

bp = Blueprint("cases", __name__, url_prefix="/cases")
#: questions answered yes or no: unanswered, they read "Unknown"


class PostForm(FlaskForm):
    """A form with nothing but its CSRF token (buttons that post)."""


#: what a row of the list shows (templates/cases/list.html), and what its state's label needs
LIST_COLUMNS = (Case.code, Case.workflow, Case.workflow_version, Case.state, Case.sex, Case.age_at_encounter,
                Case.region, Case.encounter_at, Case.created_at, Case.next_due_at)


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    """GET filters travel in the URL (no child data there); a name search is POSTed, never in a URL."""
    args = request.args
    name = purpose = None
    if request.method == "POST":
        if not PostForm().validate_on_submit():
            raise ValidationFailed(_("The form expired; please reload the page."))
        if not can_see_identity(current_user):
            raise Forbidden(_("Your role may not see who this child is."))
        name = (request.form.get("name") or "").strip()[:120] or None
        if name:
            purpose = operations.check_purpose(None, current_user, request.form.get("purpose"))
    page = parse_page(args.get("page"))
    dates, filter_errors = encounter_range(args)
    result = case_page(
        db.session, current_user, state=args.get("state") or None, region=args.get("region") or None,
        sex=args.get("sex") or None, overdue=args.get("overdue") == "1", code=args.get("code") or None,
        age_band=args.get("age_band") or None, detaining_authority=args.get("detaining_authority") or None,
        organisation_id=parse_id(args.get("organisation_id")), name=name, sort=args.get("sort", "created"), page=page,
        workflow=args.get("workflow") or None, columns=LIST_COLUMNS, mine=args.get("mine") == "1",
        risk=args.get("risk") if args.get("risk") in vocab.RISK_LEVELS else None, **dates,
    )
    if name:  # the names asked for are themselves identifying: recorded apart, with the purpose
        operations.record_identity_search(db.session, current_user, purpose=purpose, query={"name": name},
                                          found=result.total, where="case_list")
    return render_template(
        "cases/list.html", page=result, states=state_choices(args.get("workflow")), all_workflows=list(workflows()),
        filter_errors=filter_errors, risk_labels=vocab.RISK_LEVELS, rows=list_rows(result.items, utcnow()),
        filtered=any(args.get(k) for k in FILTER_KEYS),
        regions=regions(db.session, current_user), args=args,
        sex_labels=vocab.SEX, authorities=distinct_values(db.session, current_user, Case.detaining_authority),
        organisations=db.session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        may_search_names=can_see_identity(current_user), name=name, post_form=PostForm(),
        purposes=purpose_choices(None), purpose=purpose), 422 if filter_errors else 200


#: the list's filters in the address (the fold opens when one is set)
FILTER_KEYS = ("code", "state", "workflow", "region", "sex", "age_band", "detaining_authority", "organisation_id",
               "overdue", "mine", "risk", "from", "to")


def encounter_range(args) -> tuple[dict, dict]:
    """The encounter dates a list is filtered by (``from``, ``to``: days, inclusive), and what is wrong
    with them (not a date; the end before the start)."""
    from datetime import date

    out, errors = {}, {}
    for key, name in (("from", "encounter_from"), ("to", "encounter_to")):
        raw = (args.get(key) or "").strip()
        if raw:
            try:
                out[name] = date.fromisoformat(raw)
            except ValueError:
                errors[key] = _("Not a valid date.")
    if "encounter_from" in out and "encounter_to" in out and out["encounter_to"] < out["encounter_from"]:
        errors["to"] = _("The end is before the start.")
        out.pop("encounter_to")
    return out, errors


def purpose_choices(case) -> list[tuple[str, str]]:
    """The purposes the user's role may give to see an identity (this case's workflow, or any)."""
    flows = [workflow_of(case)] if case is not None else list(workflows().values())
    seen: dict[str, str] = {}
    for wf in flows:
        for p in wf.purposes_for(current_user.role):
            seen.setdefault(p.code, label(p.label))
    return list(seen.items())


@bp.route("/new", methods=["GET", "POST"])
@requires("register_cases")
def new():
    """Registration in the workflow chosen (``?workflow=``, in the URL: no child data there); the
    form asks what that workflow's file asks for."""
    chosen = request.args.get("workflow") or current_app.config["DEFAULT_WORKFLOW"]
    if chosen not in workflows():
        raise NotFound(_("Unknown workflow %(name)s.", name=chosen))
    wf = get_workflow(chosen)
    schema_cls = intake_schema(wf)
    form = PostForm()
    values, errors = {}, {}
    if request.method == "POST":
        values = form_data(request.form, schema_cls)
        step = request.form.get("step")
        if not form.validate_on_submit():
            errors = {"_schema": [_("The form expired; please send it again.")]}
        elif step != "change":  # "change": back to the form with what was typed
            try:
                if step == "confirm":
                    case = operations.register_case(db.session, values, current_user, workflow=wf.name)
                    flash(_("Case %(code)s registered.", code=case.code), "success")
                    return redirect(url_for("cases.show", code=case.code))
                loaded = operations.check_registration(values, current_user, wf)
            except ValidationFailed as exc:
                db.rollback()
                errors = exc.errors
            else:  # GOV.UK's "check your answers": what will be recorded, in words, before it is
                fields = build_form(schema_cls, db.session, values, needed=wf.required)
                sections, unanswered = answers(fields, loaded)
                return render_template("cases/check.html", form=form, wf=wf, sections=sections,
                                       unanswered=unanswered, posted=hidden_values(values),
                                       all_workflows=workflows(), label=label)
    fields = build_form(schema_cls, db.session, values, errors, needed=wf.required)
    status = 422 if errors else 200
    return render_template("cases/new.html", form=form, fields=fields, errors=errors, wf=wf,
                           all_workflows=workflows(), label=label), status


def hidden_values(values: dict) -> list[tuple[str, str]]:
    """What was typed, as (name, value) pairs for hidden inputs (a list gives one pair per item):
    carried in the POST body to the next step, never in a URL."""
    out = []
    for name, v in values.items():
        for item in (v if isinstance(v, list) else [v]):
            if item is not None:
                out.append((name, str(item)))
    return out


def record_rows(case, wf) -> list[tuple[str, str, str, object]]:
    """The record as its workflow's registration asks for it: (name, label, kind, value), a choice
    shown by its label, a yes/no question left unanswered shown "Unknown"."""
    from datetime import date, datetime

    from marshmallow import fields as mf

    rows = []
    secret = case.identifying_fields()
    for name, f in intake_schema(wf)().fields.items():
        if name in secret:
            continue
        v = case.value(name)
        choices = (f.metadata or {}).get("choices")
        if isinstance(f, mf.Boolean):
            kind = "yes_no"
        elif isinstance(f, mf.Date | mf.DateTime):
            kind = "when"
            if isinstance(v, str):  # a workflow's own date, kept as ISO text
                v = (datetime if isinstance(f, mf.DateTime) else date).fromisoformat(v)
        else:
            kind = "text"
            if choices and v is not None:
                v = str(choices.get(v, v))
        rows.append((name, field_label(name), kind, v))
    for name, spec in wf.fields.items():  # what the workflow recorded itself (an outcome)
        if not spec.entered:
            v = case.value(name)
            rows.append((name, field_label(name), "text", label(spec.choices[v]) if v in spec.choices else v))
    return rows


def case_facts(case) -> dict:
    """What the case page shows: only the sections this user sees in the case's state (need to
    know, the workflow file's ``sections``); the others are not even read."""
    session = db.session
    wf = workflow_of(case)
    sees = {s: sees_section(current_user, case, s) for s in wf.sections}
    shown = lambda section: sees.get(section, True)  # noqa: E731
    rounds = ReviewRound.for_case(session, case.id) if shown("review") else []
    current = next((r for r in rounds if r.closed_at is None), None)
    events = events_for_chain(session, case.audit_chain)
    verdict = verify_at_one_moment(case.audit_chain)  # the same verdict as `audit verify --case`
    age = effective_age(session, case)
    return {
        "wf": wf,
        "age": age,
        "age_band": age_band(age.years),
        "assessments": AgeAssessment.for_case(case) if shown("assessment") else [],
        "rounds": rounds,
        "current_round": current,
        "quorum": quorum_status(wf.quorum, current.votes) if current else None,
        "handover": Handover.latest(session, case.id) if shown("handover") else None,
        "referrals": Referral.for_case(session, case.id) if shown("reintegration") else [],
        "follow_ups": FollowUp.for_case(session, case.id) if shown("reintegration") else [],
        "sees": sees,
        "withheld": lambda e: not shown(wf.section_of(e.action)),
        "clocks": sorted(case.clocks, key=lambda c: c.started_at),
        "events": events,
        "shown_details": details_shown(session, wf, [e for e in events if shown(wf.section_of(e.action))]),
        "verdict": verdict,
        "actions": available_transitions(session, case, current_user),
        "intake_fields": record_rows(case, wf),
        "identifying_fields": [(f, field_label(f)) for f in intake_schema(wf).identifying_fields],
        "can_see_identity": can_see_identity(current_user, case),
        "purposes": purpose_choices(case),
        "vocab": vocab,
        "now": utcnow(),
    }


@bp.route("/<code>")
@login_required
def show(code):
    case = operations.get_case(db.session, code, current_user)
    return render_template("cases/show.html", case=case, identity=None, post_form=PostForm(), **case_facts(case))


@bp.route("/<code>/identity", methods=["POST"])
@login_required
def identity(code):
    case = operations.get_case(db.session, code, current_user)
    form = PostForm()
    if not form.validate_on_submit():
        raise ValidationFailed(_("The form expired; please reload the page."))
    try:
        shown = operations.reveal_identity(db.session, case, current_user, request.form.get("purpose"))
    except ValidationFailed as exc:
        db.rollback()
        return render_template("cases/show.html", case=case, identity=None, post_form=PostForm(),
                               purpose_error=exc.errors.get("purpose"), **case_facts(case)), 422
    commit_before_answer()  # the view is recorded, and the write lock let go, before the page is built
    return render_template("cases/show.html", case=case, identity=shown, post_form=PostForm(), **case_facts(case))


@bp.route("/<code>/act/<trigger>", methods=["GET", "POST"])
@login_required
@writes  # the registration's edit form shows the identity it pre-fills, and records that view
def act(code, trigger):
    case = operations.get_case(db.session, code, current_user, for_update=request.method == "POST")
    wf = workflow_of(case)
    transition = wf.transition_for(trigger, case.state) or next(iter(wf.by_trigger(trigger)), None)
    if transition is None:
        raise NotFound(_("There is no action %(trigger)s in this workflow.", trigger=trigger))
    schema_cls = payload_schema(wf, transition)
    form = PostForm()
    values, errors, problem = {}, {}, None
    if transition.schema == "intake" and request.method == "GET":
        values = {f: case.value(f) for f in schema_cls().fields}
        secret = [f for f in case.identifying_fields() if values.get(f) not in (None, "")]
        if secret:  # the form shows who the child is
            if not can_see_identity(current_user, case):
                values = {k: v for k, v in values.items() if k not in secret}
            else:
                operations.record_edit_view(db.session, case, current_user, secret)
    if request.method == "POST":
        values = form_data(request.form, schema_cls,
                           current=case.value if transition.schema == "intake" else None) if schema_cls else {}
        if not form.validate_on_submit():
            problem = _("The form expired; please send it again.")
        else:
            try:
                operations.act(db.session, case, trigger, current_user, values,
                               expected_version=_int(request.form.get("version")))
            except DomainError as exc:
                db.rollback()
                if exc.status in (403, 404):
                    raise
                errors, problem = exc.errors, exc.detail
                status = exc.status
                case = operations.get_case(db.session, code, current_user)
                stale = exc.type_slug == "stale-version"
                now = ({f: case.value(f) for f in values if f not in case.identifying_fields()}
                       if stale and transition.schema == "intake" else None)  # theirs, beside the user's
                fields = build_form(schema_cls, db.session, values, errors, case=case, now=now,
                                    needed=wf.required if transition.schema == "intake" else ()) if schema_cls else []
                return render_template("cases/act.html", case=case, transition=transition, label=label,
                                       fields=fields, form=form, problem=problem, wf=wf, stale=stale), status
            flash(_("Done: %(action)s.", action=label(transition.label)), "success")
            return redirect(url_for("cases.show", code=case.code))
    fields = build_form(schema_cls, db.session, values, errors, case=case,
                        needed=wf.required if transition.schema == "intake" else ()) if schema_cls else []
    return render_template("cases/act.html", case=case, transition=transition, label=label, fields=fields,
                           form=form, problem=problem, wf=wf, stale=False)


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return -1
