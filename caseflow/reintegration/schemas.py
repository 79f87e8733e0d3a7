"""Input schemas of reintegration: referrals, their updates, follow-up visits, closure."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validates_schema

from caseflow import vocab
from caseflow.schemas import InputSchema, choice, required_text, text


def _not_future(value: date) -> None:
    if value > date.today():
        raise ValidationError(str(_l("Cannot be in the future.")))


class ReferralSchema(InputSchema):
    service_type = choice(vocab.SERVICE_TYPES, required=True)
    provider = required_text(200)
    referred_on = fields.Date(required=True, validate=_not_future)
    status = choice(vocab.REFERRAL_STATUSES, load_default="referred")
    notes = text(4000)


class ReferralUpdateSchema(InputSchema):
    referral_id = fields.Integer(required=True)
    status = choice(vocab.REFERRAL_STATUSES, required=True)
    notes = text(4000)


class FollowUpSchema(InputSchema):
    identifying_fields = ("findings",)

    visit_date = fields.Date(required=True, validate=_not_future)
    visit_type = choice(vocab.FOLLOW_UP_TYPES, required=True)
    findings = required_text(4000)
    risk_level = choice(vocab.RISK_LEVELS, required=True)
    next_visit_date = fields.Date()

    @validates_schema
    def _next_after(self, data, **_kw):
        nxt = data.get("next_visit_date")
        if nxt and nxt <= data.get("visit_date", nxt):
            raise ValidationError({"next_visit_date": [str(_l("The next visit comes after this one."))]})


CLOSING_REASONS = {k: v for k, v in vocab.CLOSURE_REASONS.items() if k != "determined_adult"}


class ClosureSchema(InputSchema):
    reason = choice(CLOSING_REASONS, required=True)
    notes = text(2000)
