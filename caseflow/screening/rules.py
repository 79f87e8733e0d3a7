"""Guards, effects, schemas and field types of screening, registered with the engine. What screening
shares with the detained-child workflow (age assessment, handover, reintegration) is those stages'
rules; these are only what screening adds: the campaign, the screening outcome, clearance."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _
from marshmallow import ValidationError, fields

from caseflow.assessment.age import ADULT, age_at
from caseflow.assessment.rules import latest_concluded, open_request
from caseflow.extensions import db
from caseflow.screening import evolve  # noqa: F401 - registers its evolve steps
from caseflow.screening.models import Campaign
from caseflow.screening.operations import create_campaign
from caseflow.screening.schemas import ClearanceSchema, SeparationSchema
from caseflow.workflow.registry import effect, field_type, guard, record_maker, register_schema

register_schema("clearance", ClearanceSchema)


@record_maker("campaign")
def make_campaign(session, data, actor):
    return create_campaign(session, data, actor)
register_schema("separation", SeparationSchema)


class CampaignCode(fields.String):
    """The code of a screening campaign that exists; the form offers them all."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip()
        if Campaign.by_code(db.session, code) is None:
            raise ValidationError(_("No screening campaign has this code."))
        return code


def _campaign_choices(session) -> list[tuple[str, str]]:
    from sqlalchemy import select

    return [(c.code, c.title) for c in session.scalars(select(Campaign).order_by(Campaign.starts_on.desc()))]


@field_type("campaign")
def campaign_field(spec):
    return CampaignCode(metadata={"choices_from": _campaign_choices})


def campaign_of(ctx) -> Campaign | None:
    code = ctx.subject.value("campaign")
    return ctx.remember("campaign", lambda: Campaign.by_code(ctx.session, code) if code else None)


@guard("screened_within_campaign")
def screened_within_campaign(ctx):
    """The screening happened in its campaign: the campaign is named, and the screening's time (the
    encounter with the screening team) falls within its dates."""
    campaign = campaign_of(ctx)
    if campaign is None:
        return {"campaign": _("Name the screening campaign.")}
    screened = ctx.subject.encounter_at
    if screened is None:
        return _("The time of the screening is not recorded.")
    if not campaign.covers(screened.date()):
        return _("The screening (%(day)s) falls outside campaign %(code)s (%(start)s – %(end)s).",
                 day=format_date(screened.date()), code=campaign.code, start=format_date(campaign.starts_on),
                 end=format_date(campaign.ends_on))
    return None


@guard("found_adult")
def found_adult(ctx):
    """Clearance needs an age of 18 or more at the screening, shown with the same standards and the
    same benefit of the doubt as for a detained child: a concluded assessment's minimum (its appeal
    window over), else a date of birth that is not an estimate. A claimed age, an estimate or nothing
    known never clears: the person is separated as a child."""
    if open_request(ctx):
        return _("An age assessment or appeal is under way.")
    case, assessment = ctx.subject, latest_concluded(ctx)
    if assessment is not None:
        if assessment.appeal_deadline is None or ctx.now.date() <= assessment.appeal_deadline:
            return _("The appeal window is open until %(day)s.", day=format_date(assessment.appeal_deadline))
    elif case.date_of_birth is None or case.age_estimated is not False:
        return _("Only a documented date of birth or an age assessment can show an age of 18 or more; "
                 "with a doubt, the person is separated as a child.")
    age = age_at(case, assessment, case.encounter_at)
    if age.years is None or age.years < ADULT:
        return _("The age used at the screening is under 18 (benefit of the doubt): separate, never clear.")
    return None


@effect("record_screening_outcome")
def record_screening_outcome(ctx):
    """The outcome this transition stands for (its ``options.outcome`` in the workflow file)."""
    outcome = ctx.transition.options.get("outcome")
    if outcome:
        ctx.details["screening_outcome"] = outcome
