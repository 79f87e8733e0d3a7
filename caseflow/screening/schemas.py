"""Input of the screening stage: a campaign, a clearance, a separation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from caseflow.schemas import InputSchema, organisation, past_date, required_text, text


class CampaignSchema(InputSchema):
    code = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9-]{1,39}$", error=str(_l("2 to 40 letters, digits or dashes."))))
    region = required_text(80)
    place = required_text(200)
    unit = required_text(200)
    starts_on = past_date(required=True)
    ends_on = fields.Date(required=True)

    @validates_schema
    def _in_order(self, data, **_kw):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError({"ends_on": [str(_l("A campaign cannot end before it starts."))]})


class ClearanceSchema(InputSchema):
    """Why the person is cleared as 18 or more: the document or assessment it rests on."""

    reasons = required_text(2000, 10)


class SeparationSchema(InputSchema):
    """A person found (or presumed) under 18 leaves the ranks for a civilian child-protection partner."""

    receiving_org_id = organisation("partner_ngo", required=True)
    reasons = text(2000)
