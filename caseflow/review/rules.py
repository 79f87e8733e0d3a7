"""Guards and effects of the joint review: rounds, votes, quorum, and the rules of each decision."""

from __future__ import annotations

from flask_babel import gettext as _

from caseflow import vocab
from caseflow.assessment.age import ADULT, effective_age
from caseflow.assessment.models import AgeAssessment
from caseflow.auth.models import Organisation
from caseflow.auth.roles import CARING_KINDS
from caseflow.review.models import ReviewRound, Vote
from caseflow.review.quorum import quorum_status
from caseflow.review.schemas import (
    DecisionSchema,
    DeferDecisionSchema,
    DiversionDecisionSchema,
    JuvenileJusticeDecisionSchema,
    ReleaseDecisionSchema,
    ReopenSchema,
    VoteSchema,
)
from caseflow.workflow.registry import effect, guard, register_schema

register_schema("vote", VoteSchema)
register_schema("decision", DecisionSchema)
register_schema("decision_release", ReleaseDecisionSchema)
register_schema("decision_diversion", DiversionDecisionSchema)
register_schema("decision_juvenile_justice", JuvenileJusticeDecisionSchema)
register_schema("decision_defer", DeferDecisionSchema)
register_schema("reopen", ReopenSchema)


def current_round(ctx) -> ReviewRound | None:
    return ReviewRound.current(ctx.session, ctx.subject.id)


@effect("open_review_round")
def open_review_round(ctx):
    """Every entry into review has an open round; an existing open round carries on."""
    if current_round(ctx) is not None:
        return
    rounds = ReviewRound.for_case(ctx.session, ctx.subject.id)
    number = (rounds[-1].number if rounds else 0) + 1
    ctx.session.add(ReviewRound(case_id=ctx.subject.id, number=number, opened_at=ctx.now))
    ctx.session.flush()
    ctx.details["round"] = number


@guard("round_open")
def round_open(ctx):
    return None if current_round(ctx) is not None else _("No review round is open.")


@effect("record_vote")
def record_vote(ctx):
    rnd = current_round(ctx)
    actor, data = ctx.actor, ctx.data
    existing = next((v for v in rnd.votes if v.voter_id == actor.id), None)
    if existing is None:
        existing = Vote(round_id=rnd.id, voter_id=actor.id, organisation_id=actor.organisation_id,
                        organisation_kind=actor.organisation.kind, cast_at=ctx.now, **data)
        ctx.session.add(existing)
        rnd.votes.append(existing)
    else:
        ctx.details["replaces"] = {"outcome": existing.outcome, "offence_category": existing.offence_category}
        existing.outcome = data["outcome"]
        existing.offence_category = data["offence_category"]
        existing.reasons = data["reasons"]
        existing.cast_at = ctx.now
    ctx.details["round"] = rnd.number


@guard("quorum_met")
def quorum_met(ctx):
    rnd = current_round(ctx)
    if rnd is None:
        return _("No review round is open.")
    status = quorum_status(ctx.workflow.quorum, rnd.votes)
    return None if status.met else _("No quorum yet: %(why)s", why=status.missing)


def _majority_guard(outcome: str):
    def check(ctx):
        rnd = current_round(ctx)
        if rnd is None:
            return _("No review round is open.")
        status = quorum_status(ctx.workflow.quorum, rnd.votes)
        if status.majority != outcome:
            if status.majority is None:
                return _("The votes have no majority yet.")
            return _("The majority of the round voted for “%(outcome)s”.",
                     outcome=vocab.VOTE_OUTCOMES[status.majority])
        return None

    return check


def _decide_effect(outcome: str):
    def apply(ctx):
        rnd = current_round(ctx)
        data = ctx.data or {}
        rnd.decision = outcome
        rnd.decision_reasons = data.get("reasons")
        rnd.offence_category = data.get("offence_category")
        rnd.next_review_date = data.get("next_review_date")
        rnd.decided_by_id = ctx.actor.id
        rnd.closed_at = ctx.now
        status = quorum_status(ctx.workflow.quorum, rnd.votes)
        ctx.details.update({"round": rnd.number, "decision": outcome, "tally": status.tally,
                            "dissent": status.votes - status.tally.get(outcome, 0)})
        ctx.session.flush()

    return apply


for _outcome in vocab.VOTE_OUTCOMES:
    guard(f"majority_{_outcome}")(_majority_guard(_outcome))
    effect(f"decide_{_outcome}")(_decide_effect(_outcome))


@guard("receiver_is_partner")
def receiver_is_partner(ctx):
    if ctx.data is None:
        return None
    org = ctx.session.get(Organisation, ctx.data["receiving_org_id"])
    if org is None or not org.active or org.kind not in CARING_KINDS:
        return _("The receiving organisation must be an active civilian child-protection partner.")
    return None


@effect("set_receiving_org")
def set_receiving_org(ctx):
    ctx.subject.receiving_org_id = ctx.data["receiving_org_id"]


@effect("set_next_review")
def set_next_review(ctx):
    ctx.subject.next_review_date = ctx.data["next_review_date"]


@guard("juvenile_justice_allowed")
def juvenile_justice_allowed(ctx):
    """Only at or above the minimum age of criminal responsibility at the alleged offence, and only
    for an offence other than association or support tasks (Paris Principles 8.7)."""
    macr = ctx.settings["minimum_age_criminal_responsibility"]
    case = ctx.subject
    data = ctx.data
    at = (data or {}).get("offence_date") or case.encounter_at
    age = effective_age(ctx.session, case, at)
    if age.years is None or age.years < macr:
        return _("Juvenile justice is not allowed: the age at the alleged offence is not shown to be at "
                 "least %(macr)d (benefit of the doubt).", macr=macr)
    if data is not None and data.get("offence_category") != "other_offence":
        return _("Juvenile justice is not allowed for association or support tasks alone.")
    rnd = current_round(ctx)
    if rnd is not None and data is not None:
        others = [v for v in rnd.votes if v.outcome == "juvenile_justice" and v.offence_category != "other_offence"]
        if others:
            return _("Votes for juvenile justice must each name another offence than association or support tasks.")
    return None


@guard("not_a_child_allowed")
def not_a_child_allowed(ctx):
    """Only after a concluded assessment finding 18 or more at the encounter, appeal window over."""
    case = ctx.subject
    last = AgeAssessment.latest_concluded(ctx.session, case.id)
    if last is None:
        return _("“Not a child” needs a concluded age assessment.")
    if AgeAssessment.open_request(ctx.session, case.id):
        return _("An age assessment or appeal is under way.")
    age = effective_age(ctx.session, case, case.encounter_at)
    if age.years is None or age.years < ADULT:
        return _("The assessment does not show an age of 18 or more at the encounter (benefit of the doubt).")
    if last.appeal_deadline is None or ctx.now.date() <= last.appeal_deadline:
        return _("The appeal window is open until %(day)s.", day=last.appeal_deadline)
    return None


@guard("diversion_consent")
def diversion_consent(ctx):
    if ctx.data is None:
        return None
    if not (ctx.data.get("child_consent") and ctx.data.get("guardian_consent")):
        return _("Diversion needs the informed consent of the child and of a parent or guardian.")
    return None


@effect("close_case_not_a_child")
def close_case_not_a_child(ctx):
    ctx.subject.closed_reason = "determined_adult"
    ctx.subject.closed_at = ctx.now


@effect("reopen_case")
def reopen_case(ctx):
    ctx.details["closed_reason"] = ctx.subject.closed_reason
    ctx.subject.closed_reason = None
    ctx.subject.closed_at = None
