"""Verbs of the screening stage: a campaign opened. They add and flush; the caller commits."""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import ValidationError

from caseflow.audit.log import record
from caseflow.errors import Conflict, ValidationFailed
from caseflow.policy import require
from caseflow.schemas import translate_errors
from caseflow.screening.models import Campaign
from caseflow.screening.schemas import CampaignSchema


#: who opens a campaign: the registrars who screen (with the forces), and no one else
def create_campaign(session, data: dict, actor) -> Campaign:
    require(actor, "open_campaigns", _("Your role may not do this."))
    try:
        values = CampaignSchema().load(data or {})
    except ValidationError as exc:
        raise ValidationFailed(errors=translate_errors(exc.messages)) from None
    if Campaign.by_code(session, values["code"]) is not None:
        raise Conflict(_("A campaign with this code exists already."))
    campaign = Campaign(created_by_id=actor.id, **values)
    session.add(campaign)
    session.flush()
    record(session, "campaign_opened", actor=actor, details={
        "code": campaign.code, "region": campaign.region, "place": campaign.place, "unit": campaign.unit,
        "starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat()})
    return campaign
