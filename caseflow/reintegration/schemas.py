"""Input schemas of reintegration: referrals, their updates, follow-up visits, closure."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, validates_schema

from caseflow import vocab
from caseflow.reintegration.models import Referral
from caseflow.schemas import InputSchema, choice, past_date, planned_date, record_id, required_text, text


class ReferralSchema(InputSchema):
    service_type = choice(vocab.SERVICE_TYPES, required=True)
    provider = required_text(200)
    referred_on = past_date(required=True)
    status = choice(vocab.REFERRAL_STATUSES, load_default="referred")
    notes = text(4000)


def referral_choices(session, case) -> list[tuple[str, str]]:
    """The case's referrals, as its update form offers them (never a number to type)."""
    from flask_babel import format_date

    return [(str(r.id), f"{vocab.SERVICE_TYPES.get(r.service_type, r.service_type)} — {r.provider} "
                        f"({format_date(r.referred_on)}, {vocab.REFERRAL_STATUSES.get(r.status, r.status)})")
            for r in Referral.for_case(session, case.id)]


class ReferralUpdateSchema(InputSchema):
    referral_id = record_id(required=True, metadata={"case_choices": referral_choices})
    status = choice(vocab.REFERRAL_STATUSES, required=True)
    notes = text(4000)


class FollowUpSchema(InputSchema):
    identifying_fields = ("findings",)

    visit_date = past_date(required=True)
    visit_type = choice(vocab.FOLLOW_UP_TYPES, required=True)
    findings = required_text(4000)
    risk_level = choice(vocab.RISK_LEVELS, required=True)
    next_visit_date = planned_date()

    @validates_schema
    def _next_after(self, data, **_kw):
        nxt = data.get("next_visit_date")
        if nxt and nxt <= data.get("visit_date", nxt):
            raise ValidationError({"next_visit_date": [str(_l("The next visit comes after this one."))]})


