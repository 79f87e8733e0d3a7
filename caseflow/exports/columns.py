"""The columns of the auditor's workbook. History columns are in a fixed order: the offline
verifier reads them by position, so headers can be in any language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: (key, header, width); keys marked * are the hashed fields the verifier needs
HISTORY = [
    ("chain", _l("Case code"), 16),          # *
    ("seq", _l("Seq"), 6),                   # *
    ("time", _l("Time (UTC)"), 20),
    ("at", _l("Time, as hashed"), 29),       # *
    ("actor_id", _l("Actor id"), 9),         # *
    ("actor_name", _l("Actor"), 22),         # *
    ("actor_role", _l("Role"), 11),          # *
    ("actor_org", _l("Organisation"), 28),   # *
    ("action", _l("Action code"), 20),       # *
    ("action_label", _l("Action"), 28),
    ("from_state", _l("From"), 16),          # *
    ("to_state", _l("To"), 16),              # *
    ("words", _l("Details"), 60),
    ("details", _l("Details, as hashed (JSON)"), 40),  # *
    ("ident_digest", _l("Identifying data digest"), 20),  # *
    ("identifying", _l("Identifying data (JSON)"), 30),   # * when present
    ("request_id", _l("Request id"), 17),    # *
    ("client_addr", _l("Client address"), 15),  # *
    ("hash_version", _l("Hash version"), 8),
    ("prev_hash", _l("Previous hash"), 20),  # *
    ("hash", _l("Hash"), 20),                # *
    ("case_id", _l("Case id"), 9),           # * (hash version 2)
]
HISTORY_KEYS = [k for k, _h, _w in HISTORY]
#: History columns whose values the application generates, never raw user text, written as they are:
#: codes, numbers, hashes, naive UTC datetimes, its own labels, and its canonical JSON (which escapes
#: every control character and begins with "{", so it can be neither a formula nor hide content)
HISTORY_TRUSTED = frozenset(HISTORY_KEYS.index(k) for k in (
    "chain", "seq", "time", "at", "actor_id", "actor_role", "action", "action_label", "from_state", "to_state",
    "details", "ident_digest", "identifying", "request_id", "client_addr", "hash_version", "prev_hash", "hash",
    "case_id"))

#: the workbook's sheets, in order (the verifier finds them by position, whatever their titles' language)
SHEETS = ["about", "cases", "history", "decisions", "assessments", "handovers", "referrals"]
#: the History columns written for reading, sealed (the others are what each event's hash covers)
HISTORY_READ = [HISTORY_KEYS.index(k) for k in ("time", "action_label", "words", "hash_version")]

CASES = [
    ("code", _l("Case code"), 16),
    ("state", _l("State"), 20),
    ("sex", _l("Sex"), 9),
    ("effective_age", _l("Age used"), 9),
    ("age_basis", _l("Basis of the age"), 16),
    ("age_band", _l("Age band"), 10),
    ("region", _l("Region"), 14),
    ("detaining_authority", _l("Detaining authority"), 22),
    ("facility_type", _l("Facility type"), 22),
    ("encounter_at", _l("Encounter (UTC)"), 19),
    ("registered_at", _l("Registered (UTC)"), 19),
    ("decided_at", _l("Release decided (UTC)"), 19),
    ("handed_over_at", _l("Handed over (UTC)"), 19),
    ("hours_to_handover", _l("Hours from encounter to handover"), 12),
    ("late", _l("Late handover"), 9),
    ("running_clocks", _l("Running clocks"), 40),
    ("receiving_org", _l("Receiving organisation"), 26),
    ("closed_reason", _l("Closure reason"), 16),
    ("workflow", _l("Workflow"), 22),
    ("workflow_fields", _l("Fields of this workflow"), 40),
]
IDENTITY_COLUMNS = [
    ("given_name", _l("Given name"), 16),
    ("family_name", _l("Family name"), 16),
    ("other_names", _l("Other names or aliases"), 18),
    ("date_of_birth", _l("Date of birth"), 12),
]

DECISIONS = [
    ("code", _l("Case code"), 16), ("round", _l("Round"), 7), ("opened_at", _l("Opened (UTC)"), 19),
    ("decided_at", _l("Decided (UTC)"), 19), ("decision", _l("Decision"), 30),
    ("offence_category", _l("Offence category"), 22), ("votes", _l("Votes"), 30),
    ("dissent", _l("Dissenting votes"), 10),
    ("reasons", _l("Reasons"), 40), ("next_review_date", _l("Next review date"), 12),
]
ASSESSMENTS = [
    ("code", _l("Case code"), 16), ("requested_at", _l("Requested (UTC)"), 19), ("appeal", _l("Appeal"), 7),
    ("assessor_org", _l("Assessing organisation"), 26), ("status", _l("Status"), 10), ("consent", _l("Consent"), 10),
    ("methods", _l("Methods"), 28), ("min_age", _l("Minimum age (years)"), 9),
    ("max_age", _l("Maximum age (years)"), 9),
    ("concluded_at", _l("Concluded (UTC)"), 19), ("appeal_deadline", _l("Appeal possible until"), 12),
]
HANDOVERS = [
    ("code", _l("Case code"), 16), ("handed_over_at", _l("Handed over (UTC)"), 19),
    ("hours", _l("Hours since the encounter"), 10), ("late", _l("Late"), 7),
    ("receiving_org", _l("Receiving organisation"), 26), ("handing_unit", _l("Unit handing over"), 22),
    ("place", _l("Place"), 20), ("medical_check", _l("Medical check done"), 9),
    ("document_reference", _l("Document reference"), 16),
]
REFERRALS = [
    ("code", _l("Case code"), 16), ("service_type", _l("Service"), 26), ("provider", _l("Provider"), 24),
    ("referred_on", _l("Referred on"), 12), ("status", _l("Status"), 12), ("updated_at", _l("Updated (UTC)"), 19),
]
