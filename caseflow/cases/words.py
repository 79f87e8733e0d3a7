"""Audit events in words: the labels of actions, fields, codes and values that a history needs, in
the reader's language — for the case page, the auditor's workbook and the statistics alike."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import current_app, g
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseflow import vocab
from caseflow.auth.models import Organisation
from caseflow.auth.roles import ORG_KIND_LABELS, ROLE_LABELS, Role
from caseflow.extensions import db
from caseflow.handover.models import format_elapsed
from caseflow.i18n import current_language, label
from caseflow.labels import FIELD_LABELS
from caseflow.reintegration.models import Referral
from caseflow.review.outcomes import VOTE_OUTCOMES
from caseflow.workflow.engine import workflows

ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")
ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")

#: events that are not workflow transitions
ACTION_LABELS = {
    "case_registered": _l("Case registered"),
    "identity_viewed": _l("Identity viewed"),
    "case_exported": _l("Case history exported"),
    "case_imported": _l("Case imported"),
    "login": _l("Signed in"),
    "logout": _l("Signed out"),
    "login_failed": _l("Failed sign-in"),
    "login_throttled": _l("Sign-in refused: too many failures"),
    "user_created": _l("User created"),
    "user_disabled": _l("User disabled"),
    "user_enabled": _l("User enabled"),
    "user_role_changed": _l("Role changed"),
    "user_password_set": _l("Password set"),
    "user_language_changed": _l("Language changed"),
    "organisation_created": _l("Organisation created"),
    "organisation_disabled": _l("Organisation disabled"),
    "organisation_enabled": _l("Organisation enabled"),
    "cases_exported": _l("Cases exported"),
    "cases_imported": _l("Detention list imported"),
    "report_made": _l("Statistics made"),
    "facts_recorded": _l("Statistical facts filed"),
    "file_deleted": _l("File deleted"),
    "audit_verified": _l("Every chain verified"),
    "digest_taken": _l("Daily digest taken"),
    "campaign_opened": _l("Screening campaign opened"),
    "workflow_migrated": _l("Moved to the workflow's new version"),
    "workflow_cases_migrated": _l("Cases moved to a new version of their workflow"),
    "identity_searched": _l("Children searched by name"),
    "second_factor_enrolled": _l("Second factor set up"),
    "second_factor_failed": _l("Wrong second-factor code"),
    "second_factor_reset": _l("Second factor reset"),
    "recovery_code_used": _l("Recovery code used"),
    "identity_erased": _l("Identity erased"),
    "erasure_approved": _l("Erasure approved"),
    "erasures_proposed": _l("Erasures proposed"),
    "master_key_rotated": _l("Master key rotated"),
    "chain_heads_signed": _l("Chain heads signed after verification"),
    "chain_verified": _l("History verified and its head signed"),
    "protection_report_exported": _l("Data-protection report exported"),
}

#: fields whose values are codes of a vocabulary
CODED = {
    "sex": vocab.SEX, "encounter_type": vocab.ENCOUNTER_TYPES, "facility_type": vocab.FACILITY_TYPES,
    "outcome": VOTE_OUTCOMES, "decision": VOTE_OUTCOMES, "offence_category": vocab.OFFENCE_CATEGORIES,
    "consent": vocab.CONSENT, "service_type": vocab.SERVICE_TYPES, "status": vocab.REFERRAL_STATUSES,
    "visit_type": vocab.FOLLOW_UP_TYPES, "risk_level": vocab.RISK_LEVELS, "reason": vocab.CLOSURE_REASONS,
    "closed_reason": vocab.CLOSURE_REASONS, "charge_category": vocab.CHARGE_CATEGORIES, "age_basis": vocab.AGE_BASES,
}

DETAIL_LABELS = {
    "round": _l("Round"), "tally": _l("Votes"), "dissent": _l("Dissenting votes"), "late": _l("Late"),
    "hours_since_encounter": _l("Hours since the encounter"), "limit_hours": _l("Time limit (hours)"),
    "effective_age_at_encounter": _l("Age used at the encounter"), "age_basis": _l("Basis of the age"),
    "appeal_deadline": _l("Appeal possible until"), "replaces": _l("Replaces the vote"),
    "referral_id": _l("Referral"), "note": _l("Note"), "fields": _l("Fields"), "source": _l("Source"),
    "elapsed_seconds": _l("Time since the encounter"), "reason": _l("Reason"),
    "age_at_encounter": _l("Age used at the encounter"), "rerouted": _l("Sent back"),
    "superseded_round": _l("Round closed by new facts"), "withdrawn_vote": _l("Vote withdrawn"),
    "majority_by": _l("Voices counted by"), "by_least_restrictive_rule": _l("Reached by the least-restrictive rule"),
    "handover": _l("Handover"), "because": _l("Because"), "to": _l("To"), "decision": _l("Decision"),
    "changes": _l("Changes"), "corrections": _l("Corrections"), "payload": _l("Details"),
    "workflow_version": _l("Workflow version"), "purpose": _l("Purpose"), "found": _l("Found"),
    "where": _l("Where"), "second_factor": _l("Second factor"),
    "migrated": _l("Moved to a new version of the workflow"),
    "erasure": _l("Erasure"), "due_since": _l("Due since"), "retention_days": _l("Retention (days)"),
    "approved_by": _l("Approved by"), "auditor": _l("Auditor"), "admin": _l("Administrator"),
    "new_facts": _l("New facts"), "votes_set_aside": _l("Votes cast on the earlier facts set aside"),
    "recused_in_round": _l("Recused in round"),
    "organisation": _l("Organisation"), "role": _l("Role"), "user": _l("Person"), "kind": _l("Kind"),
    "job": _l("Background job"), "import": _l("Imported from the list"), "sha256": _l("The file's SHA-256"),
    "row": _l("Row"),
}

#: values of the history that are codes too
DETAIL_CODES = {
    "majority_by": {"institution": _l("institution"), "member": _l("member")},
    "because": {"decision_lost_its_legal_basis": _l("the decision lost its legal basis")},
    "where": {"case_list": _l("the case list's search by name"), "import": _l("an import's duplicate check")},
}


class Words:
    """Every label an audit event may need, resolved once per language (exports call this per row)."""

    def __init__(self):
        self.fields = {k: str(v) for k, v in FIELD_LABELS.items()}
        self.details = {k: str(v) for k, v in DETAIL_LABELS.items()}

        self.coded = {k: {code: str(label) for code, label in m.items()}
                      for k, m in (CODED | DETAIL_CODES).items()}
        self.coded["role"] = {str(code): str(lbl) for code, lbl in ROLE_LABELS.items()}
        self.coded["kind"] = {str(code): str(lbl) for code, lbl in ORG_KIND_LABELS.items()}
        self.actions = {k: str(v) for k, v in ACTION_LABELS.items()}
        for wf in current_app.extensions["caseflow.catalogue"].versions.values():
            for name, spec in wf.fields.items():  # a workflow's own choices, in words too
                if spec.choices:
                    self.coded.setdefault(name, {code: label(lbl) for code, lbl in spec.choices.items()})
            purposes = self.coded.setdefault("purpose", {})  # why an identity was seen
            for code, p in wf.identity_purposes.items():
                purposes.setdefault(code, label(p.label))
        self.yes, self.no = str(_l("Yes")), str(_l("No"))
        self.workflow_actions: dict[str, dict[str, str]] = {}

    @staticmethod
    def organisation(org_id: int) -> str:
        """An organisation's name (history shows names, not ids), read once per request or export."""
        names = g.get("caseflow_org_names")
        if names is None or org_id not in names:
            names = g.caseflow_org_names = dict(db.session.execute(select(Organisation.id, Organisation.name)).all())
        return names.get(org_id) or str(org_id)

    @staticmethod
    def referral(referral_id: int) -> str:
        """A referral as what it is (its service and the day it was made), never its database id."""
        known = g.setdefault("caseflow_referrals", {})
        if referral_id not in known:
            known[referral_id] = db.session.execute(select(Referral.service_type, Referral.referred_on)
                                                    .where(Referral.id == referral_id)).first()
        row = known[referral_id]
        if row is None:
            return str(_l("a referral no longer on record"))
        return f"{vocab.SERVICE_TYPES.get(row[0], row[0])} ({format_date(row[1])})"

    def name(self, key) -> str:
        return self.details.get(key) or self.fields.get(key, key)

    def value(self, key, value) -> str:
        if value is None or value == "":
            return "—"
        if key.endswith("_org_id") and isinstance(value, int):
            return self.organisation(value)
        if key == "referral_id" and isinstance(value, int) and not isinstance(value, bool):
            return self.referral(value)
        if isinstance(value, bool):
            return self.yes if value else self.no
        if key == "elapsed_seconds" and isinstance(value, int):
            return format_elapsed(value)
        if isinstance(value, str):
            if key in self.coded:
                return self.coded[key].get(value, value)
            if ISO_DATETIME.match(value):
                return format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")), "short")
            if ISO_DATE.match(value):
                try:
                    return format_date(date.fromisoformat(value))
                except ValueError:  # not a real day (2026-02-30): shown as written
                    return value
            return value
        if isinstance(value, list):
            return ", ".join(self.value(key, v) for v in value)
        if isinstance(value, dict):
            return "; ".join(f"{self.name(k)}: {self.value(k, v)}" for k, v in value.items())
        return str(value)

    def action(self, wf, action: str) -> str:
        table = self.workflow_actions.get(wf.name)
        if table is None:
            table = self.workflow_actions[wf.name] = {}
            for t in wf.transitions:
                table.setdefault(t.trigger, label(t.label))
        return table.get(action) or self.actions.get(action, action)


_WORDS: dict[str, Words] = {}


def words() -> Words:
    lang = current_language()
    if lang not in _WORDS:
        _WORDS[lang] = Words()
    return _WORDS[lang]


def details_in_words(details: dict | None, w: Words | None = None) -> list[str]:
    w = w or words()
    out = []
    for key, value in (details or {}).items():
        if key == "facts":
            continue  # the statistics' copy of what the other details say
        if key in ("changes", "corrections"):
            for f, (old, new) in value.items():
                out.append(f"{w.fields.get(f, f)}: {w.value(f, old)} → {w.value(f, new)}")
        elif key in ("payload", "fields") and isinstance(value, dict):
            out.extend(f"{w.fields.get(k, k)}: {w.value(k, v)}" for k, v in value.items())
        elif key in ("fields", "new_facts") and isinstance(value, list):
            out.append(f"{w.name(key)}: " + ", ".join(w.fields.get(f, f) for f in value))
        elif key == "handover" and isinstance(value, dict):
            out.extend(f"{w.name(k)}: {w.value(k, old)} → {w.value(k, new)}" for k, (old, new) in value.items())
        elif key == "tally":
            out.append(f"{w.name(key)}: " + ", ".join(f"{w.value('outcome', k)} {v}" for k, v in value.items()))
        else:
            out.append(f"{w.name(key)}: {w.value(key, value)}")
    return out


def role_label(role: str | None) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role or ""


def action_label(wf, action: str) -> str:
    return words().action(wf, action)


def actions_in_words(triggers) -> str:
    """Triggers (a refusal's ``available``) as the actions' labels, whichever workflow has them."""

    w, out = words(), []
    for trigger in triggers or ():
        wf = next((wf for wf in workflows().values() if wf.by_trigger(trigger)), None)
        out.append(w.action(wf, trigger) if wf is not None else trigger)
    return ", ".join(out)
