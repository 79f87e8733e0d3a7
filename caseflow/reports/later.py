"""Changes recorded after a report's "as of" time that would change its figures: corrections of the
facts it counted (the encounter time, the age used, custody dates, ...) and cases registered later
about a detention in the period. Listed beside the report, never folded into it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.cases.scope import visible_to
from caseflow.cases.words import action_label
from caseflow.reports.models import CaseFacts
from caseflow.reports.remit import and_scope
from caseflow.workflow.engine import get_workflow

#: facts whose later change rewrites what a past period counted (its dimensions and its times)
RESTATING = {
    "sex": _l("Sex"), "age": _l("Age used"), "region": _l("Region"), "authority": _l("Detaining authority"),
    "facility": _l("Facility type"), "charge": _l("Charge category"), "nationality": _l("Nationality"),
    "encounter_at": _l("Encounter"), "custody_start": _l("Custody start"), "custody_end": _l("Custody end"),
    "closed_at": _l("Closure"), "handover": _l("Handover"),
}
LIMIT = 200


def _before(value, upper: datetime) -> bool:
    if isinstance(value, dict):
        value = value.get("at")
    return bool(value) and datetime.fromisoformat(value) < upper


def later_changes(session, p, user) -> tuple[list[dict], int]:
    stmt = (select(Case.code, Case.workflow, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.details,
                   CaseFacts.facts, CaseFacts.event_id)
            .join(CaseFacts, CaseFacts.case_id == Case.id)
            .join(AuditEvent, AuditEvent.id == CaseFacts.event_id)
            .where(CaseFacts.valid_from > p.as_of)
            .order_by(CaseFacts.valid_from, CaseFacts.id))
    stmt = and_scope(stmt, user).where(visible_to(user))  # codes only of cases the user may see
    out, total = [], 0
    for code, workflow, at, action, details, kept, _event in session.execute(stmt.execution_options(yield_per=2000)):
        changed = (details or {}).get("facts") or {}
        registered_later = set(changed) >= {"workflow", "registering_org_id"}
        if registered_later:
            times = [kept.get(k) for k in ("encounter_at", "custody_start")]
            if not any(_before(v, p.upper) for v in times):
                continue
            keys = ["encounter_at"]
        else:
            keys = [k for k in RESTATING if k in changed]
            if not keys:
                continue
        total += 1
        if len(out) < LIMIT:
            out.append({"case": code, "recorded_at": at, "action": action_label(get_workflow(workflow), action),
                        "facts": [str(RESTATING[k]) for k in keys], "registered_later": registered_later})
    return out, total
