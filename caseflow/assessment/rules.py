"""Guards and decide steps of the age-assessment stage (its evolve steps: ``evolve.py``)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import format_date
from flask_babel import gettext as _

from caseflow.assessment.models import AgeAssessment
from caseflow.assessment.schemas import AppealSchema, AssessmentRequestSchema, AssessmentResultSchema
from caseflow.auth.models import Organisation
from caseflow.auth.roles import CARING_KINDS, OrgKind
from caseflow.workflow.registry import effect, guard, register_schema, waiting

register_schema("assessment_request", AssessmentRequestSchema)
register_schema("assessment_result", AssessmentResultSchema)
register_schema("assessment_appeal", AppealSchema)


def case_assessments(ctx) -> list[AgeAssessment]:
    """The case's assessments, as guards, decide steps and evolve steps share them."""
    return ctx.rows.of(AgeAssessment)


def open_request(ctx) -> AgeAssessment | None:
    return next((a for a in reversed(case_assessments(ctx)) if a.status == "requested"), None)


def latest_concluded(ctx) -> AgeAssessment | None:
    return next((a for a in reversed(case_assessments(ctx)) if a.status == "concluded"), None)


def _assessor_org_refusal(ctx, org_id):
    org = ctx.session.get(Organisation, org_id)
    if org is None or not org.active:
        return _("Choose an active organisation of assessors.")
    if org.kind != OrgKind.assessor:
        return _("Age assessment must be done by independent assessors, not by %(org)s.", org=org.name)
    return None


@waiting("assessor")
def assessment_requested_of_them(stmt, user, case_id):
    """An assessor is waited for where their organisation was asked and has not concluded."""
    from sqlalchemy import exists, select

    return stmt.where(exists(select(AgeAssessment.id).where(
        AgeAssessment.case_id == case_id, AgeAssessment.status == "requested",
        AgeAssessment.assessor_org_id == user.organisation_id)))


@guard("assessor_org_valid")
def assessor_org_valid(ctx):
    if ctx.data is None:
        return None
    return _assessor_org_refusal(ctx, ctx.data["assessor_org_id"])


@guard("no_open_assessment")
def no_open_assessment(ctx):
    if open_request(ctx):
        return _("An age assessment is already under way.")
    return None


@guard("assessor_independent")
def assessor_independent(ctx):
    """Independent of anyone who will care for or be responsible for the child."""
    org = ctx.actor.organisation
    case = ctx.subject
    if org.kind in CARING_KINDS or (case.receiving_org_id is not None and case.receiving_org_id == org.id):
        return _("An assessor from an organisation that will care for the child is not independent.")
    request = open_request(ctx)
    if request is None:
        return _("No age assessment has been requested.")
    if request.assessor_org_id != org.id:
        return _("This assessment was assigned to %(org)s.", org=request.assessor_org.name)
    return None


@guard("appeal_window_open")
def appeal_window_open(ctx):
    last = latest_concluded(ctx)
    if last is None:
        return _("There is no concluded age assessment to appeal.")
    if last.consent == "refused":
        return _("Consent was refused: the person is already treated as a child.")
    if last.appeal_deadline is None or ctx.now.date() > last.appeal_deadline:
        return _("The appeal window closed on %(day)s.", day=format_date(last.appeal_deadline))
    if open_request(ctx):
        return _("An age assessment is already under way.")
    return None


@guard("assessment_dates_coherent")
def assessment_dates_coherent(ctx):
    """The assessment concludes, and is explained to the child, after it was requested: the appeal
    window cannot be made to close before it opens."""
    if ctx.data is None:
        return None
    request = open_request(ctx)
    if request is None:
        return _("No age assessment has been requested.")
    requested = request.requested_at.date()
    concluded = ctx.data.get("concluded_on") or ctx.now.date()
    if concluded < requested:
        return {"concluded_on": _("Cannot be before the assessment was requested (%(day)s).",
                                  day=format_date(requested))}
    if ctx.data["explained_on"] < requested:
        return {"explained_on": _("Cannot be before the assessment was requested (%(day)s).",
                                  day=format_date(requested))}
    if ctx.data["explained_on"] < concluded:
        return {"explained_on": _("The result cannot be explained before the assessment concluded.")}
    return None


@effect("request_assessment")
def request_assessment(ctx):
    if "grounds" in ctx.data:  # the grounds are sealed with the payload's free text: the event says "appeal"
        ctx.details["appeal"] = True


@effect("conclude_assessment", needs=("settings.appeal_window_days",))
def conclude_assessment(ctx):
    """The appeal window runs from the later of the conclusion, the explanation to the child and the
    day the result is recorded: a result recorded late (explained weeks ago) still leaves the whole
    window."""
    data = ctx.data
    assessed_on = data.get("concluded_on") or ctx.now.date()
    ctx.details["appeal_deadline"] = (max(data["explained_on"], assessed_on, ctx.now.date())
                                      + timedelta(days=ctx.settings["appeal_window_days"]))
