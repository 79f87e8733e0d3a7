"""Closed vocabularies of the domain, with their labels in every UI language.

Each is a mapping code → lazy label; schemas validate against the codes, templates show the labels.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SEX = {"female": _l("Female"), "male": _l("Male"), "unknown": _l("Unknown")}

ENCOUNTER_TYPES = {
    "captured": _l("Captured"),
    "surrendered": _l("Surrendered"),
    "escaped": _l("Escaped"),
    "released_by_group": _l("Released by the group"),
    "arrested": _l("Arrested"),
}

FACILITY_TYPES = {
    "civilian_infrastructure": _l("Civilian infrastructure"),
    "informal_detention": _l("Informal detention"),
    "intelligence_premises": _l("Intelligence premises"),
    "juvenile_detention_centre": _l("Juvenile detention centre"),
    "military_facility": _l("Military facility"),
    "prison": _l("Prison"),
    "other": _l("Other"),
}

OFFENCE_CATEGORIES = {
    "association_only": _l("Association only"),
    "support_tasks": _l("Support tasks (cooking, cleaning, driving, …)"),
    "other_offence": _l("Another offence is alleged"),
}

#: what the child is charged with, for the reports (the charges themselves are free text)
CHARGE_CATEGORIES = {
    "association": _l("Association with an armed group"),
    "terrorism": _l("Terrorism-related offence"),
    "state_security": _l("Other offence against State security"),
    "weapons": _l("Weapons or explosives offence"),
    "ordinary": _l("Ordinary criminal offence"),
    "none": _l("No charge brought"),
}

CONSENT = {"given": _l("Given"), "refused": _l("Refused")}

ASSESSMENT_METHODS = {
    "documents": _l("Documents"),
    "interview": _l("Interview"),
    "psychosocial": _l("Psychosocial assessment"),
    "medical": _l("Medical examination"),
}
#: least to most intrusive; methods must be used in this order
METHOD_ORDER = tuple(ASSESSMENT_METHODS)

SERVICE_TYPES = {
    "interim_care": _l("Interim care"),
    "family_tracing": _l("Family tracing and reunification"),
    "health": _l("Health"),
    "psychosocial": _l("Psychosocial support"),
    "education": _l("Education"),
    "vocational": _l("Vocational training and livelihoods"),
    "life_skills": _l("Life skills"),
    "legal_aid": _l("Legal aid"),
}

REFERRAL_STATUSES = {
    "referred": _l("Referred"),
    "accepted": _l("Accepted"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "declined": _l("Declined"),
}

FOLLOW_UP_TYPES = {
    "home_visit": _l("Home visit"),
    "phone": _l("Phone call"),
    "office": _l("Office visit"),
    "school": _l("School or training visit"),
}

RISK_LEVELS = {"high": _l("High"), "medium": _l("Medium"), "low": _l("Low")}

CLOSURE_REASONS = {
    "reintegrated": _l("Reintegration completed"),
    "determined_adult": _l("Determined to be an adult"),
    "deceased": _l("Deceased"),
    "escaped": _l("Escaped"),
    "transferred": _l("Transferred to another country or programme"),
    "released_before_review": _l("Released by the detaining authority before review"),
    "aged_out": _l("Aged out of follow-up"),
    "lost_contact": _l("Lost contact"),
    "other": _l("Other"),
}

YES_NO_UNKNOWN = {"yes": _l("Yes"), "no": _l("No"), "unknown": _l("Unknown")}

#: what the age used rests on (``assessment.age``'s basis)
AGE_BASES = {
    "assessed": _l("the age assessment (the minimum of its range)"),
    "consent_refused": _l("assessment refused: treated as a child"),
    "date_of_birth": _l("the date of birth"),
    "claimed": _l("the age claimed at the encounter"),
    "unknown": _l("nothing known"),
}
