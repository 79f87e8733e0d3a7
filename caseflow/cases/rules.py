"""Guards, effects, schemas and clock anchors of the case record, registered with the engine."""

from __future__ import annotations

from flask_babel import gettext as _

from caseflow.audit.hashing import plain
from caseflow.cases.models import IDENTIFYING_FIELDS
from caseflow.cases.schemas import IntakeEditSchema
from caseflow.schemas import CommentSchema
from caseflow.workflow.registry import anchor, effect, guard, register_schema

register_schema("comment", CommentSchema)
register_schema("intake", IntakeEditSchema)


@guard("intake_complete")
def intake_complete(ctx):
    missing = ctx.subject.missing_for_review()
    if missing:
        from caseflow.labels import field_label

        return _("The registration is not complete: %(fields)s.", fields=", ".join(field_label(f) for f in missing))
    return None


@effect("apply_intake_changes")
def apply_intake_changes(ctx):
    """Set the fields sent; record each change as before → after (identifying ones apart)."""
    case, public, identifying = ctx.subject, {}, {}
    for key, new in (ctx.data or {}).items():
        old = getattr(case, key)
        if old == new:
            continue
        setattr(case, key, new)
        target = identifying if key in IDENTIFYING_FIELDS else public
        target[key] = [plain(old), plain(new)]
    if public or identifying:
        from caseflow.assessment.age import refresh_age

        refresh_age(ctx.session, case)
    ctx.details["changes"] = public
    if identifying:
        ctx.identifying["changes"] = identifying
    if not public and not identifying:
        ctx.details["note"] = "no field changed"


@anchor("encounter")
def encounter(case):
    return case.encounter_at


@anchor("state_entered")
def state_entered(case):
    return case.state_entered_at
