"""Input schemas of the age-assessment stage."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validates_schema

from caseflow import vocab
from caseflow.schemas import (
    InputSchema,
    YesNo,
    age_years,
    choice,
    organisation,
    past_date,
    required_text,
    text,
)

#: a doubt must be serious and written: a few words do not make one
MIN_DOUBT_LENGTH = 20


class AssessmentRequestSchema(InputSchema):
    reason_for_doubt = required_text(4000, MIN_DOUBT_LENGTH)
    assessor_org_id = organisation("assessor", required=True)


class AppealSchema(InputSchema):
    grounds = required_text(4000, 10)
    assessor_org_id = organisation("assessor", required=True)


class AssessmentResultSchema(InputSchema):
    identifying_fields = ("consent_by", "findings")

    consent = choice(vocab.CONSENT, required=True)
    consent_by = required_text(200)
    guardian_present = YesNo(required=True)
    methods = fields.List(choice(vocab.ASSESSMENT_METHODS), load_default=list)
    independence_declared = YesNo(required=True)
    min_age = age_years(0, 40)
    max_age = age_years(0, 40)
    findings = text(4000)
    concluded_on = past_date()  # the day the assessor concluded; today when not given
    explained_on = past_date(required=True)

    @validates_schema
    def _coherent(self, data, **_kw):
        errors = {}
        if not data.get("independence_declared"):
            errors["independence_declared"] = [str(_l("The assessor must declare independence."))]
        if data.get("consent") == "given":
            methods = data.get("methods") or []
            if not methods:
                errors["methods"] = [str(_l("Name the methods used."))]
            elif len(set(methods)) != len(methods):
                errors["methods"] = [str(_l("A method is listed twice."))]
            else:
                order = [vocab.METHOD_ORDER.index(m) for m in methods]
                if order != sorted(order):
                    errors["methods"] = [str(_l(
                        "Methods go from least to most intrusive: documents, interview, psychosocial, medical."))]
            lo, hi = data.get("min_age"), data.get("max_age")
            if lo is None:
                errors["min_age"] = [str(_l("The minimum age is required."))]
            if hi is None:
                errors["max_age"] = [str(_l("The maximum age is required."))]
            if lo is not None and hi is not None and lo > hi:
                errors["max_age"] = [str(_l("The maximum cannot be below the minimum."))]
        elif data.get("min_age") is not None or data.get("max_age") is not None:
            errors["consent"] = [str(_l("Without consent no age range is recorded: the person is treated as a child."))]
        explained, concluded = data.get("explained_on"), data.get("concluded_on")
        if explained and concluded and explained < concluded:
            errors["explained_on"] = [str(_l("The result cannot be explained before the assessment concluded."))]
        if errors:
            raise ValidationError(errors)
