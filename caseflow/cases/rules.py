"""Guards, decide steps, schemas and clock anchors of the case record, registered with the engine:
intake edits, corrections of the facts decisions used, closure, the transfer to juvenile justice
(the evolve steps that write them: ``evolve.py``)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select

from caseflow import vocab
from caseflow.audit.hashing import plain
from caseflow.cases import checks  # noqa: F401 - registers the record checks with audit verify
from caseflow.cases.evolve import transferred
from caseflow.cases.schemas import (
    DECISIVE_FACTS,
    ClosureSchema,
    CorrectionSchema,
    IntakeEditSchema,
    JusticeTransferSchema,
    coherence_errors,
    sealed_record_fields,
    split_changes,
)
from caseflow.clock import end_of_day
from caseflow.handover.models import Handover
from caseflow.labels import field_label
from caseflow.review.models import ReviewRound
from caseflow.schemas import CommentSchema
from caseflow.workflow.registry import anchor, due_date, effect, guard, register_schema

register_schema("comment", CommentSchema)
register_schema("intake", IntakeEditSchema)
register_schema("correction", CorrectionSchema)
register_schema("closure", ClosureSchema)


@guard("intake_complete")
def intake_complete(ctx):
    missing = ctx.subject.missing(ctx.workflow.required)
    if missing:
        return _("The registration is not complete: %(fields)s.", fields=", ".join(field_label(f) for f in missing))
    return None


def facts_in_use(session, case) -> bool:
    """Has a decision or a handover rested on the case's facts? (A decided review round, not one
    superseded; or a recorded handover.)"""

    decided = exists().where(ReviewRound.case_id == case.id, ReviewRound.decision.is_not(None))
    handed = exists().where(Handover.case_id == case.id)
    return bool(session.scalar(select(decided | handed)))


def _record_after(case, data: dict) -> dict:
    return {f: data.get(f, getattr(case, f)) for f in
            ("custody_start", "custody_end", "encounter_at", "date_of_birth", "girl_mother", "sex")}


def record_refusal(ctx) -> dict | None:
    """What the record would contradict after this change: the facts with each other, the
    encounter with a recorded handover, and a recorded encounter time removed."""

    case, data = ctx.subject, ctx.data
    if case.identity_erased:  # an edit or a correction alike: an erased identity is never written again
        sealed = sealed_record_fields(ctx.workflow)
        secret = [f for f in data if f in sealed and data[f] not in (None, "")]
        if secret:
            return {f: _("This child's identity was erased at the end of its retention period; it is not "
                         "recorded again.") for f in secret}
    if "encounter_at" in data and data["encounter_at"] is None and case.encounter_at is not None:
        return {"encounter_at": _("Once recorded, the encounter time can be corrected but not removed.")}
    cleared = [f for f in ctx.workflow.required if f in data and data[f] in (None, "", [])
               and case.value(f) not in (None, "", [])]
    if cleared:  # an optional field may be cleared; one the review needs may be changed, not emptied
        return {f: _("%(field)s is needed for the joint review: it can be changed but not left empty.",
                     field=field_label(f)) for f in cleared}
    errors = coherence_errors(_record_after(case, data))
    if errors:
        return {k: str(v) for k, v in errors.items()}
    enc = data.get("encounter_at")
    if enc is not None:
        handover = Handover.latest(ctx.session, case.id)
        if handover is not None and enc > handover.handed_over_at:
            return {"encounter_at": _("The encounter cannot be after the handover that followed it.")}
    return None


@guard("intake_edit_allowed")
def intake_edit_allowed(ctx):
    """A plain edit may not change a fact a decision or the handover used (that is a correction),
    nor leave the record contradicting itself."""
    if ctx.data is None:
        return None
    changed = [f for f in DECISIVE_FACTS if f in ctx.data and ctx.data[f] != getattr(ctx.subject, f)]
    if changed and facts_in_use(ctx.session, ctx.subject):
        message = _("A decision or the handover used this fact: use “Correct the record” and give a reason.")
        return {f: message for f in changed}
    return record_refusal(ctx)


@guard("correction_valid")
def correction_valid(ctx):
    if ctx.data is None:
        return None
    return record_refusal(ctx)


def _changes(ctx, keys) -> tuple[dict, dict]:
    """Each field sent that changes, as before → after (identifying ones and free text apart, in
    the event's sealed part); ``evolve.py`` sets them."""
    case, public, identifying = ctx.subject, {}, {}
    secret = sealed_record_fields(ctx.workflow)
    for key in keys:
        old, new = case.value(key), ctx.data[key]
        if plain(old) != plain(new):
            (identifying if key in secret else public)[key] = [plain(old), plain(new)]
    return public, identifying


@effect("apply_intake_changes")
def apply_intake_changes(ctx):
    public, identifying = _changes(ctx, list(ctx.data or {}))
    ctx.details["changes"] = public
    if identifying:
        ctx.identifying["changes"] = identifying
    if not public and not identifying:
        ctx.details["note"] = "no field changed"


@effect("apply_correction")
def apply_correction(ctx):
    """The corrected facts, old and new, with the reason; the age used follows (clocks and the
    handover's hours are recomputed by the engine and by ``remeasure_handover``)."""
    public, identifying = _changes(ctx, [k for k in DECISIVE_FACTS if k in ctx.data])
    ctx.identifying["reason"] = ctx.data["reason"]  # free text: in the event's sealed part
    ctx.details["corrections"] = public
    if identifying:
        ctx.identifying["corrections"] = identifying


# --- closure -----------------------------------------------------------------------------------

def closure_rules(ctx) -> dict:
    return ctx.transition.options.get("closure_reasons") or {}


def reasons_open_to(ctx) -> list[str]:
    """The closure reasons this actor may give in this state (the workflow file says which)."""
    out = []
    for reason, rule in closure_rules(ctx).items():
        rule = rule or {}
        if ctx.actor.role not in rule.get("roles", ctx.transition.roles):
            continue
        if "states" in rule and ctx.subject.state not in rule["states"]:
            continue
        out.append(reason)
    return out


@guard("closure_allowed")
def closure_allowed(ctx):
    """Closure from any open state, for a reason this role may give in this state (the workflow
    file's reasons; whose cases a role may close at all is its remit, the policy's scope)."""
    allowed = reasons_open_to(ctx)
    if not allowed:
        return _("Your role may not close the case in this state.")
    if ctx.data is not None and ctx.data["reason"] not in allowed:
        return {"reason": _("In this state your role may close the case only as: %(reasons)s.",
                            reasons=", ".join(str(vocab.CLOSURE_REASONS[r]) for r in allowed))}
    return None


# --- clocks ------------------------------------------------------------------------------------

@anchor("encounter")
def encounter(case):
    return case.encounter_at


@anchor("state_entered")
def state_entered(case):
    return case.state_entered_at


@due_date("next_review_date")
def next_review_due(case):
    return end_of_day(case.next_review_date) if case.next_review_date else None


# --- custody that changes on the record: the transfer to the juvenile justice system --------------
# The custody continues (the child is still detained, by another authority, in another facility),
# so the transfer changes the case record itself; the time since the encounter is measured as a
# handover's is.

register_schema("justice_transfer", JusticeTransferSchema)


@guard("transfer_after_encounter")
def transfer_after_encounter(ctx):
    """As for a handover: the clock starts at the encounter, and a transfer cannot come before it."""
    if ctx.subject.encounter_at is None:
        return _("The encounter time is not recorded: correct the record first.")
    if ctx.data is not None and ctx.data["transferred_at"] < ctx.subject.encounter_at:
        return {"transferred_at": _("The transfer cannot be before the encounter.")}
    return None


@effect("record_justice_transfer", needs=("settings.handover_time_limit_hours",))
def record_justice_transfer(ctx):
    """The child leaves the detaining force for the juvenile justice system: the custody continues
    (the child is still detained, by another authority, in another facility, both recorded as they
    change), and the time since the encounter is measured against the handover limit, as a
    handover's is, late flag included."""
    case, data = ctx.subject, ctx.data
    limit = ctx.settings["handover_time_limit_hours"]
    changes = {field: [plain(getattr(case, field)), plain(new)] for field, new in transferred(data).items()
               if plain(getattr(case, field)) != plain(new)}
    seconds = int((data["transferred_at"] - case.encounter_at).total_seconds())
    changes, sealed = split_changes(ctx.workflow, changes)
    if sealed:
        ctx.identifying["changes"] = sealed
    ctx.details.update({"changes": changes, "hours_since_encounter": seconds // 3600, "elapsed_seconds": seconds,
                        "limit_hours": limit, "late": seconds > limit * 3600})
