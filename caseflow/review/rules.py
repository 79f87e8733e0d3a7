"""Guards and decide steps of the joint review: rounds, votes, quorum, and the rules of each
decision (the evolve steps that write them: ``evolve.py``)."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from caseflow import vocab
from caseflow.assessment.age import ADULT, age_at
from caseflow.assessment.models import AgeAssessment
from caseflow.assessment.rules import latest_concluded, open_request
from caseflow.auth.models import Organisation
from caseflow.auth.roles import CARING_KINDS
from caseflow.review.evolve import decided, open_round, own_vote
from caseflow.review.models import ReviewRound, Vote
from caseflow.review.outcomes import VOTE_OUTCOMES
from caseflow.review.quorum import quorum_status
from caseflow.review.schemas import (
    DecisionSchema,
    DeferDecisionSchema,
    DiversionDecisionSchema,
    JuvenileJusticeDecisionSchema,
    RecusalSchema,
    ReleaseDecisionSchema,
    ReopenSchema,
    VoteSchema,
)
from caseflow.workflow.registry import condition, effect, evolves, guard, register_schema, setting_rule, waiting

register_schema("vote", VoteSchema)
register_schema("decision", DecisionSchema)
register_schema("decision_release", ReleaseDecisionSchema)
register_schema("decision_diversion", DiversionDecisionSchema)
register_schema("decision_juvenile_justice", JuvenileJusticeDecisionSchema)
register_schema("decision_defer", DeferDecisionSchema)
register_schema("reopen", ReopenSchema)
register_schema("recusal", RecusalSchema)


@waiting("reviewer")
def not_yet_voted(stmt, user, case_id):
    """A reviewer is waited for where a round is open and they have not voted in it."""
    from sqlalchemy import exists

    open_round = select(ReviewRound.id).where(ReviewRound.case_id == case_id, ReviewRound.closed_at.is_(None))
    voted = exists(select(Vote.id).join(ReviewRound, Vote.round_id == ReviewRound.id).where(
        ReviewRound.case_id == case_id, ReviewRound.closed_at.is_(None), Vote.voter_id == user.id))
    return stmt.where(exists(open_round), ~voted)


def rounds_of(ctx) -> list[ReviewRound]:
    """The case's rounds in order, as guards, decide and evolve steps share them."""
    return ctx.rows.of(ReviewRound)


def current_round(ctx) -> ReviewRound | None:
    """The open round (the latest not closed), as ``ReviewRound.current`` reads it."""
    return open_round(ctx.rows)


def round_status(ctx):
    """The open round's quorum and outcome (computed once for the guards that ask)."""
    rnd = current_round(ctx)
    if rnd is None:
        return None
    return ctx.remember(("quorum", rnd.number, len(rnd.votes)), lambda: quorum_status(ctx.workflow.quorum, rnd.votes))


@effect("open_review_round")
def open_review_round(ctx):
    """Every entry into review has an open round; an existing open round carries on."""
    if current_round(ctx) is None:
        rounds = rounds_of(ctx)
        ctx.details["round"] = (rounds[-1].number if rounds else 0) + 1


@effect("supersede_review_round")
def supersede_review_round(ctx):
    """New facts (a concluded assessment or appeal) end the open round without a decision, so its
    votes, cast on the old facts, do not carry over; ``open_review_round`` then opens the next."""
    rnd = current_round(ctx)
    if rnd is not None:
        ctx.details["superseded_round"] = rnd.number


def standing_recusal(ctx):
    """The actor's recusal that still holds on this case (any round), or None."""
    standing = ctx.remember("recusals", lambda: ReviewRound.standing_recusals(rounds_of(ctx)))
    return standing.get(ctx.actor.id)


def recused_refusal(ctx) -> str | None:
    held = standing_recusal(ctx)
    if held is None:
        return None
    return _("You recused yourself from this case on %(day)s; withdraw the recusal, with a reason, to take part "
             "again.", day=format_date(held.recused_at))


#: the record's facts a review round weighs: the age, the encounter and the charges. An edit or a
#: correction of one while a round is open supersedes the round (its votes were cast on the old
#: facts) and opens the next, as a concluded assessment does
REVIEW_FACTS = frozenset({"claimed_age", "date_of_birth", "age_estimated", "encounter_at", "charges",
                          "charge_category", "alleged_group", "association_roles"})


@effect("new_round_on_new_facts")
def new_round_on_new_facts(ctx):
    changed = set()
    for part in (ctx.details, ctx.identifying):
        for key in ("changes", "corrections"):
            changed.update((part.get(key) or {}).keys())
    touched = sorted(changed & REVIEW_FACTS)
    rnd = current_round(ctx)
    if not touched or rnd is None:
        return
    ctx.details.update({"superseded_round": rnd.number, "round": rnd.number + 1, "new_facts": touched,
                        "votes_set_aside": bool(rnd.votes)})


@guard("round_open")
def round_open(ctx):
    rnd = current_round(ctx)
    if rnd is None:
        return _("No review round is open.")
    return recused_refusal(ctx)


@guard("recusal_standing")
def recusal_standing(ctx):
    if current_round(ctx) is None:
        return _("No review round is open.")
    if standing_recusal(ctx) is None:
        return _("You have not recused yourself from this case.")
    return None


@effect("record_vote")
def record_vote(ctx):
    rnd = current_round(ctx)
    existing = own_vote(rnd, ctx.actor.id)
    if existing is not None:
        ctx.details["replaces"] = {"outcome": existing.outcome, "offence_category": existing.offence_category}
    ctx.details["round"] = rnd.number


@effect("record_recusal")
def record_recusal(ctx):
    """A member with a conflict of interest leaves the round; a vote already cast is withdrawn."""
    rnd = current_round(ctx)
    own = own_vote(rnd, ctx.actor.id)
    if own is not None:
        ctx.details["withdrawn_vote"] = {"outcome": own.outcome, "offence_category": own.offence_category}
    ctx.forget("recusals")
    ctx.details["round"] = rnd.number


@effect("withdraw_recusal")
def withdraw_recusal(ctx):
    """The member takes part again (in this round and the next), for the reason given; the recusal
    and its reason stay on the record."""
    held = standing_recusal(ctx)
    ctx.forget("recusals")
    ctx.details["round"] = current_round(ctx).number
    ctx.details["recused_in_round"] = held.round.number


@guard("quorum_met", needs=("quorum",))
def quorum_met(ctx):
    status = round_status(ctx)
    if status is None:
        return _("No review round is open.")
    return None if status.met else _("No quorum yet: %(why)s", why=status.missing)


@guard("decider_took_part", needs=("quorum",))
def decider_took_part(ctx):
    """The decision is taken by a member of an institution that voted in the round, not recused."""
    rnd = current_round(ctx)
    if rnd is None:
        return _("No review round is open.")
    refusal = recused_refusal(ctx)
    if refusal:
        return refusal
    if ctx.actor.organisation_id not in {v.organisation_id for v in rnd.votes}:
        return _("Only a member of an institution that voted in this round can record its decision.")
    return None


def _majority_guard(outcome: str):
    def check(ctx):
        status = round_status(ctx)
        if status is None:
            return _("No review round is open.")
        if status.majority != outcome:
            if status.majority is None:
                return _("The votes have no majority yet.")
            return _("The round has reached “%(outcome)s”.", outcome=VOTE_OUTCOMES[status.majority])
        return None

    return check


def _decide_effect(outcome: str):
    def decide(ctx):
        rnd, status = current_round(ctx), round_status(ctx)
        ctx.details.update({
            "round": rnd.number, "decision": outcome, "tally": status.tally, "majority_by": status.majority_by,
            "by_least_restrictive_rule": status.by_rule,
            "dissent": status.votes - (status.member_tally or {}).get(outcome, 0),
        })

    return decide


for _outcome in VOTE_OUTCOMES:
    guard(f"majority_{_outcome}", needs=("quorum",))(_majority_guard(_outcome))
    effect(f"decide_{_outcome}")(_decide_effect(_outcome))
    evolves(f"decide_{_outcome}", touches=("decisions",))(decided)


@guard("receiver_is_partner")
def receiver_is_partner(ctx):
    if ctx.data is None:
        return None
    org = ctx.session.get(Organisation, ctx.data["receiving_org_id"])
    if org is None or not org.active or org.kind not in CARING_KINDS:
        return _("The receiving organisation must be an active civilian child-protection partner.")
    return None


def latest_assessment(ctx) -> AgeAssessment | None:
    return latest_concluded(ctx)


def offence_date_refusal(case, offence: date) -> dict | None:
    """The alleged offence happened before the encounter (which ended it) and after the birth."""
    if case.encounter_at is not None and offence > case.encounter_at.date():
        return {"offence_date": _("The alleged offence cannot be after the encounter (%(day)s).",
                                  day=format_date(case.encounter_at.date()))}
    if case.date_of_birth is not None and offence < case.date_of_birth:
        return {"offence_date": _("The alleged offence cannot be before the date of birth.")}
    return None


def below_macr(ctx, offence: date | None) -> bool:
    """Benefit of the doubt: unknown, or under the minimum age of criminal responsibility then."""
    macr = ctx.settings["minimum_age_criminal_responsibility"]
    age = age_at(ctx.subject, latest_assessment(ctx), offence)
    return age.years is None or age.years < macr


#: the charges (``charge_category``) that allege an offence other than association: juvenile justice
#: is for an offence the case records, never for one the decision would add
OFFENCE_CHARGES = frozenset({"terrorism", "state_security", "weapons", "ordinary"})


def uncharged_offence(case) -> str:
    recorded = vocab.CHARGE_CATEGORIES.get(case.charge_category) if case.charge_category else None
    return _("Juvenile justice needs a charge of another offence than association recorded on the case (recorded "
             "now: %(charge)s); correct the record first if the charge is wrong.",
             charge=str(recorded) if recorded else _("no charge"))


#: the lowest minimum age of criminal responsibility a country's file may set: the Committee on the
#: Rights of the Child, General Comment No. 24 (2019) §22, "not below 14 years of age"
LOWEST_MACR = 14


@setting_rule("minimum_age_criminal_responsibility")
def macr_floor(value) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value < LOWEST_MACR:
        return (f"must be at least {LOWEST_MACR}: the Committee on the Rights of the Child (General Comment "
                f"No. 24, 2019) says the minimum age of criminal responsibility is not below {LOWEST_MACR}")
    return None


@guard("juvenile_justice_allowed", needs=("settings.minimum_age_criminal_responsibility",))
def juvenile_justice_allowed(ctx):
    """Only at or above the minimum age of criminal responsibility at the alleged offence (a date the
    decision must give, no later than the encounter), and only for an offence other than association
    or support tasks (Paris Principles 8.7)."""
    macr = ctx.settings["minimum_age_criminal_responsibility"]
    case, data = ctx.subject, ctx.data
    if data is None:  # what the page offers: the offence came before the encounter, so that age bounds it
        if below_macr(ctx, case.encounter_at):
            return _("Juvenile justice is not allowed: the age at the alleged offence is not shown to be at "
                     "least %(macr)d (benefit of the doubt).", macr=macr)
        if case.charge_category not in OFFENCE_CHARGES:
            return uncharged_offence(case)
        return None
    offence = data["offence_date"]
    refusal = offence_date_refusal(case, offence)
    if refusal:
        return refusal
    if below_macr(ctx, offence):
        return {"offence_date": _("Juvenile justice is not allowed: the age at the alleged offence is not shown "
                                  "to be at least %(macr)d (benefit of the doubt).", macr=macr)}
    if data.get("offence_category") != "other_offence":
        return {"offence_category": _("Juvenile justice is not allowed for association or support tasks alone.")}
    if case.charge_category not in OFFENCE_CHARGES:
        return {"offence_category": uncharged_offence(case)}
    rnd = current_round(ctx)
    if rnd is not None:
        others = [v for v in rnd.votes if v.outcome == "juvenile_justice" and v.offence_category != "other_offence"]
        if others:
            return _("Votes for juvenile justice must each name another offence than association or support tasks.")
    return None


def adult_not_shown(ctx) -> bool:
    age = age_at(ctx.subject, latest_assessment(ctx), ctx.subject.encounter_at)
    return age.years is None or age.years < ADULT


@guard("not_a_child_allowed")
def not_a_child_allowed(ctx):
    """Only after a concluded assessment finding 18 or more at the encounter, appeal window over."""
    last = latest_assessment(ctx)
    if last is None:
        return _("“Not a child” needs a concluded age assessment.")
    if open_request(ctx):
        return _("An age assessment or appeal is under way.")
    if adult_not_shown(ctx):
        return _("The assessment does not show an age of 18 or more at the encounter (benefit of the doubt).")
    if last.appeal_deadline is None or ctx.now.date() <= last.appeal_deadline:
        return _("The appeal window is open until %(day)s.", day=format_date(last.appeal_deadline))
    return None


def standing_decision(ctx) -> ReviewRound | None:
    """The decided round the case stands on now: no round open, and the case still in the state that
    decision led to (a later closure or re-review means it no longer stands)."""
    if current_round(ctx) is not None:
        return None
    rnd = next((r for r in reversed(rounds_of(ctx)) if r.decision is not None), None)
    if rnd is None:
        return None
    dest = {t.dest for t in ctx.workflow.transitions if f"decide_{rnd.decision}" in t.effects}
    # the child's transfer out of the force carries the decision out (to the measure, to juvenile justice)
    dest |= {t.dest for t in ctx.workflow.transitions if set(t.sources) & dest and set(t.effects) & TRANSFERS}
    return rnd if ctx.subject.state in dest else None


#: the effects that take the child out of the force as a decision said: the decision stands after them
TRANSFERS = frozenset({"record_handover", "record_justice_transfer"})


@condition("decision_lost_its_legal_basis", needs=("settings.minimum_age_criminal_responsibility",))
def decision_lost_its_legal_basis(ctx):
    """After a correction: a referral to juvenile justice whose child was under the minimum age at the
    offence, or a "not a child" whose age at the encounter is no longer 18 or more."""
    rnd = standing_decision(ctx)
    if rnd is None:
        return False
    if rnd.decision == "juvenile_justice":
        return below_macr(ctx, rnd.offence_date or ctx.subject.encounter_at)
    if rnd.decision == "not_a_child":
        return adult_not_shown(ctx)
    return False


@guard("correction_keeps_decisions_coherent")
def correction_keeps_decisions_coherent(ctx):
    """A corrected encounter or birth date may not put a recorded offence after the encounter or
    before the birth."""
    if ctx.data is None:
        return None
    rnd = standing_decision(ctx)
    if rnd is None or rnd.offence_date is None:
        return None
    enc = ctx.data.get("encounter_at", ctx.subject.encounter_at)
    dob = ctx.data.get("date_of_birth", ctx.subject.date_of_birth)
    if enc is not None and rnd.offence_date > enc.date():
        return {"encounter_at": _("The juvenile-justice decision records an offence on %(day)s, after this time.",
                                  day=format_date(rnd.offence_date))}
    if dob is not None and rnd.offence_date < dob:
        return {"date_of_birth": _("The juvenile-justice decision records an offence on %(day)s, before this date.",
                                   day=format_date(rnd.offence_date))}
    return None


@guard("diversion_consent")
def diversion_consent(ctx):
    if ctx.data is None:
        return None
    if not (ctx.data.get("child_consent") and ctx.data.get("guardian_consent")):
        return _("Diversion needs the informed consent of the child and of a parent or guardian.")
    return None


@effect("reopen_case")
def reopen_case(ctx):
    ctx.details["closed_reason"] = ctx.subject.closed_reason
