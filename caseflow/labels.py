"""Field labels of every form and record, in the reader's language (one table for all stages)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from caseflow.i18n import label

FIELD_LABELS = {
    "given_name": _l("Given name"),
    "family_name": _l("Family name"),
    "other_names": _l("Other names or aliases"),
    "sex": _l("Sex"),
    "date_of_birth": _l("Date of birth"),
    "claimed_age": _l("Claimed age (years)"),
    "age_estimated": _l("Age or date of birth is estimated"),
    "nationality": _l("Nationality"),
    "languages": _l("Languages"),
    "region": _l("Region"),
    "cercle": _l("Cercle"),
    "commune": _l("Commune"),
    "encounter_type": _l("How the child was encountered"),
    "encounter_at": _l("Encounter date and time (UTC)"),
    "encounter_place": _l("Encounter place"),
    "apprehending_unit": _l("Apprehending unit"),
    "detaining_authority": _l("Detaining authority"),
    "facility_type": _l("Facility type"),
    "facility_reference": _l("Facility reference"),
    "separated_from_adults": _l("Separated from adults"),
    "legal_counsel": _l("Has legal counsel"),
    "family_notified_at": _l("Family notified (UTC)"),
    "unicef_notified_at": _l("UNICEF notified (UTC)"),
    "charges": _l("Charges"),
    "charge_category": _l("Charge category"),
    "ill_treatment_reported": _l("Ill-treatment reported"),
    "custody_start": _l("Custody start (UTC)"),
    "custody_end": _l("Custody end (UTC)"),
    "alleged_group": _l("Alleged armed group"),
    "association_roles": _l("Roles while associated"),
    "girl_mother": _l("Girl mother"),
    "protection_concerns": _l("Protection concerns"),
    "consent_services": _l("Consent to services"),
    "consent_reporting": _l("Consent to non-identifiable reporting"),
    "consent_by": _l("Consent given by"),
    # workflow payloads
    "comment": _l("Comment"),
    "reason_for_doubt": _l("Reason for serious doubt about the age (written)"),
    "assessor_org_id": _l("Assessing organisation"),
    "grounds": _l("Grounds of the appeal"),
    "consent": _l("Informed consent to the assessment"),
    "guardian_present": _l("Guardian or trusted adult present"),
    "methods": _l("Methods used, in order"),
    "independence_declared": _l(
        "I declare that I am independent of anyone who will care for or be responsible for this child"
    ),
    "min_age": _l("Minimum age (years)"),
    "max_age": _l("Maximum age (years)"),
    "findings": _l("Findings"),
    "concluded_on": _l("Assessment concluded on"),
    "transferred_at": _l("Transferred on (date and time, UTC)"),
    "receiving_authority": _l("Juvenile justice authority receiving the child"),
    "explained_on": _l("Result explained to the child on"),
    "outcome": _l("Vote"),
    "offence_category": _l("Offence category"),
    "reasons": _l("Reasons"),
    "receiving_org_id": _l("Receiving organisation"),
    "child_consent": _l("The child gave informed consent"),
    "guardian_consent": _l("A parent or guardian gave informed consent"),
    "consent_notes": _l("How consent was obtained"),
    "offence_date": _l("Date of the alleged offence"),
    "next_review_date": _l("Next review date"),
    "reason": _l("Reason"),
    "handing_officer": _l("Officer handing over"),
    "handing_unit": _l("Unit handing over"),
    "receiving_person": _l("Person receiving the child"),
    "handed_over_at": _l("Date and time of handover (UTC)"),
    "place": _l("Place"),
    "child_condition": _l("Condition of the child"),
    "medical_check": _l("Medical check done"),
    "medical_notes": _l("Medical notes"),
    "document_reference": _l("Document reference"),
    "service_type": _l("Service"),
    "provider": _l("Provider"),
    "referred_on": _l("Referred on"),
    "status": _l("Status"),
    "notes": _l("Notes"),
    "referral_id": _l("Referral"),
    "visit_date": _l("Visit date"),
    "visit_type": _l("Visit type"),
    "risk_level": _l("Risk level"),
    "next_visit_date": _l("Next visit date"),
    "code": _l("Code"),
    "starts_on": _l("First day"),
    "ends_on": _l("Last day"),
    "workflow": _l("Workflow"),
    "closed_reason": _l("Closure reason"),
}

HELP = {
    "reason_for_doubt": _l("Assessment is never routine: describe the serious doubt (at least 20 characters)."),
    "methods": _l("From least to most intrusive: documents, interview, psychosocial, medical (last)."),
    "min_age": _l("The minimum is the age used (benefit of the doubt)."),
    "encounter_at": _l("The handover clock starts here."),
    "receiving_org_id": _l("The civilian child-protection organisation that will receive the child."),
    "offence_category": _l("Cooking, cleaning or driving are support tasks, not crimes."),
}


class FileLabel:
    """Labels a workflow file gives ({en, fr}), read in the reader's language when shown."""

    __slots__ = ("labels",)

    def __init__(self, labels: dict):
        self.labels = labels

    def __str__(self) -> str:
        return label(self.labels)

    def __eq__(self, other) -> bool:
        return isinstance(other, FileLabel) and other.labels == self.labels

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.labels.items())))


def learn_workflow_fields(workflows) -> None:
    """The labels of the fields workflow files declare join the one table (at start-up)."""
    for wf in workflows:
        for name, spec in wf.fields.items():
            FIELD_LABELS.setdefault(name, FileLabel(spec.label))


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


#: the rules (guards) a workflow file names, in words: what must hold for the action
RULE_LABELS = {
    "actor_is_receiving_org": _l("only the organisation that received the child"),
    "appeal_window_open": _l("the appeal window is open"),
    "assessment_dates_coherent": _l("the assessment's dates follow the request"),
    "assessor_independent": _l("the assessor is independent of those who care for the child"),
    "assessor_org_valid": _l("an active assessors' organisation is named"),
    "closure_allowed": _l("a closure reason this role may give in this state"),
    "correction_keeps_decisions_coherent": _l("the correction leaves the decisions coherent"),
    "correction_valid": _l("the corrected record does not contradict itself"),
    "decider_took_part": _l("recorded by a member of an institution that voted"),
    "diversion_consent": _l("the child's (and guardian's) informed consent"),
    "found_adult": _l("18 or more, shown by a document or a concluded assessment"),
    "handover_after_encounter": _l("the handover comes after the encounter"),
    "intake_complete": _l("the registration is complete"),
    "intake_edit_allowed": _l("a fact a decision used is corrected, not edited"),
    "juvenile_justice_allowed": _l("at or above the minimum age of criminal responsibility, for a charged offence"),
    "no_open_assessment": _l("no age assessment under way"),
    "not_a_child_allowed": _l("a concluded assessment found 18 or more, its appeal window over"),
    "quorum_met": _l("the quorum has voted"),
    "receiver_is_partner": _l("the receiver is an active child-protection partner"),
    "recusal_standing": _l("you have recused yourself from this case"),
    "referral_of_case": _l("a referral of this case"),
    "round_open": _l("a review round is open and you are not recused"),
    "screened_within_campaign": _l("screened within its campaign's dates"),
    "transfer_after_encounter": _l("the transfer comes after the encounter"),
}

#: a workflow file's settings, in words (the unit follows the value)
SETTING_LABELS = {
    "appeal_window_days": _l("Appeal window (days)"),
    "assessment_max_days": _l("Time for an age assessment (days)"),
    "case_code_prefix": _l("Case code prefix"),
    "diversion_review_days": _l("Review of a diversion measure (days)"),
    "follow_up_interval_days": _l("Between follow-up visits (days)"),
    "handover_time_limit_hours": _l("Handover time limit (hours)"),
    "identity_retention_days": _l("Identity kept after closure (days)"),
    "minimum_age_criminal_responsibility": _l("Minimum age of criminal responsibility (years)"),
    "re_review_interval_days": _l("Periodic re-review of juvenile justice (days)"),
    "reintegration_referral_days": _l("Referral to reintegration after the handover (days)"),
    "review_decision_days": _l("Joint review decision due (days)"),
}


def rule_label(name: str) -> str:
    """A rule in words; the generated ``majority_<outcome>`` rules name their outcome."""
    if name.startswith("majority_"):
        from flask_babel import gettext

        outcome = name.removeprefix("majority_")
        return gettext("the round has reached “%(outcome)s”", outcome=term("outcome", outcome))
    return str(RULE_LABELS.get(name, name))


def setting_label(name: str) -> str:
    return str(SETTING_LABELS.get(name, name))


#: ``name -> {code: label}``: the words of a rules package's codes that a workflow file names (the
#: review's outcomes in ``quorum.least_restrictive_first``), for the pages that show the file
VOCABULARIES: dict[str, dict] = {}


def vocabulary(name: str, terms: dict) -> dict:
    VOCABULARIES[name] = terms
    return terms


def term(vocabulary_name: str, code: str) -> str:
    """A code in words (the code itself when no package gave it words)."""
    return str(VOCABULARIES.get(vocabulary_name, {}).get(code, code))
