"""Input schemas of the joint-review stage: a vote, and each kind of decision."""

from __future__ import annotations

from caseflow import vocab
from caseflow.review.outcomes import VOTE_OUTCOMES
from caseflow.schemas import InputSchema, YesNo, choice, organisation, past_date, planned_date, required_text


class VoteSchema(InputSchema):
    outcome = choice(VOTE_OUTCOMES, required=True)
    offence_category = choice(vocab.OFFENCE_CATEGORIES, required=True)
    reasons = required_text(4000, 5)


class DecisionSchema(InputSchema):
    reasons = required_text(4000, 5)
    offence_category = choice(vocab.OFFENCE_CATEGORIES, required=True)


class ReleaseDecisionSchema(DecisionSchema):
    receiving_org_id = organisation("partner_ngo", required=True)


class DiversionDecisionSchema(ReleaseDecisionSchema):
    child_consent = YesNo(required=True)
    guardian_consent = YesNo(required=True)
    consent_notes = required_text(2000, 1)


class JuvenileJusticeDecisionSchema(DecisionSchema):
    offence_date = past_date(required=True)


class DeferDecisionSchema(DecisionSchema):
    next_review_date = planned_date(required=True)


class ReopenSchema(InputSchema):
    reason = required_text(2000, 5)


class RecusalSchema(InputSchema):
    reason = required_text(2000, 5)
