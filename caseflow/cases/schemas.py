"""Input schemas of the case record (registration form, intake edits, detention-list import)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, pre_load, validates_schema

from caseflow import clock, vocab
from caseflow.assessment.age import whole_years_between
from caseflow.cases.models import IDENTIFYING_FIELDS
from caseflow.labels import FileLabel
from caseflow.schemas import (
    InputSchema,
    YesNo,
    age_years,
    choice,
    clean_input,
    past_date,
    past_datetime,
    refuse_unstorable,
    required_text,
    text,
    whole_number,
)
from caseflow.workflow import registry

#: the oldest age a case of this kind records (claimed, or from a date of birth)
MAX_AGE = 30


def coherence_errors(values: dict) -> dict[str, str]:
    """Facts of one record that contradict each other: used on a registration's values, and on a
    record as an edit or a correction would leave it."""
    errors = {}
    start, end = values.get("custody_start"), values.get("custody_end")
    if start and end and end < start:
        errors["custody_end"] = str(_l("Custody cannot end before it starts."))
    enc = values.get("encounter_at")
    if start and enc and start < enc.replace(hour=0, minute=0, second=0, microsecond=0):
        errors["custody_start"] = str(_l("Custody cannot start before the encounter day."))
    dob = values.get("date_of_birth")
    if dob and enc and dob > enc.date():
        errors["date_of_birth"] = str(_l("The child cannot be born after the encounter."))
    elif dob and whole_years_between(dob, enc.date() if enc else clock.today()) > MAX_AGE:
        errors["date_of_birth"] = str(_l("This date of birth gives an age over 30: check the year."))
    if values.get("girl_mother") and values.get("sex") == "male":
        errors["girl_mother"] = str(_l("Only for girls."))
    return errors


class IntakeSchema(InputSchema):
    identifying_fields = IDENTIFYING_FIELDS

    given_name = text(120)
    family_name = text(120)
    other_names = text(200)
    sex = choice(vocab.SEX)
    date_of_birth = past_date()
    claimed_age = age_years(0, MAX_AGE)
    age_estimated = YesNo(allow_none=True)
    nationality = text(80)
    languages = text(200)
    region = text(80)
    cercle = text(80)
    commune = text(80)
    encounter_type = choice(vocab.ENCOUNTER_TYPES)
    encounter_at = past_datetime()
    encounter_place = text(200)
    apprehending_unit = text(200)
    detaining_authority = text(200)
    facility_type = choice(vocab.FACILITY_TYPES)
    facility_reference = text(80)
    separated_from_adults = YesNo(allow_none=True)
    legal_counsel = YesNo(allow_none=True)
    family_notified_at = past_datetime()
    unicef_notified_at = past_datetime()
    charges = text(2000)
    charge_category = choice(vocab.CHARGE_CATEGORIES)
    ill_treatment_reported = YesNo(allow_none=True)
    custody_start = past_datetime()
    custody_end = past_datetime()
    alleged_group = text(200)
    association_roles = text(2000)
    girl_mother = YesNo(allow_none=True)
    protection_concerns = text(4000)
    consent_services = YesNo(allow_none=True)
    consent_reporting = YesNo(allow_none=True)
    consent_by = text(200)

    @validates_schema
    def _coherent(self, data, **_kw):
        errors = coherence_errors(data)
        if errors:
            raise ValidationError({k: [v] for k, v in errors.items()})


#: every intake field, in form order
INTAKE_FIELDS = tuple(IntakeSchema().fields)

def own_field(spec):
    """The marshmallow field of a field a workflow file declares."""

    if spec.type in registry.FIELD_TYPES:
        return registry.FIELD_TYPES[spec.type](spec)
    if spec.type == "choice":
        return choice({code: FileLabel(lbl) for code, lbl in spec.choices.items()})
    if spec.type == "date":
        return past_date()
    if spec.type == "whole_number":
        return whole_number(spec.minimum or 0, spec.maximum if spec.maximum is not None else 10**6)
    if spec.type == "yes_no":
        return YesNo(allow_none=True)
    return text(spec.max_length or (4000 if spec.type == "long_text" else 200))


def intake_schema(wf, *, edit: bool = False) -> type:
    """The registration (or intake edit) schema of a workflow: the shared fields its file asks
    for (``record.intake``; all when it names none) and its own ``fields``, made once per loaded
    workflow (kept on it: two apps with different files never share one)."""
    made = wf.__dict__.setdefault("_intake_schemas", {})
    key = edit
    if key not in made:
        base = IntakeEditSchema if edit else IntakeSchema
        own = {name: own_field(spec) for name, spec in wf.fields.items() if spec.entered}
        cls = type(f"{base.__name__}_{wf.name}_{wf.version}", (base,), dict(own))
        shared = [f for f in (wf.intake or INTAKE_FIELDS)]
        keep = tuple(shared) + tuple(own)
        for name in list(cls._declared_fields):
            if name not in keep:
                del cls._declared_fields[name]
        cls.identifying_fields = tuple(f for f in wf.identifying_fields(IDENTIFYING_FIELDS) if f in keep)
        cls.workflow_fields = tuple(own)
        cls.field_order = keep
        made[key] = cls
    return made[key]




class IntakeEditSchema(IntakeSchema):
    """An edit: the same fields; only the keys sent change, and a blank value clears the field.
    What changes is recorded field by field (before → after), not as a payload."""

    audit_payload = False

    def on_bind_field(self, field_name, field_obj):
        field_obj.allow_none = True

    @pre_load
    def _blank_is_missing(self, data, **_kw):
        if not isinstance(data, dict):
            return data
        refuse_unstorable(data)
        out = {}
        for key, value in data.items():
            if key in ("csrf_token", "version"):
                continue
            if isinstance(value, str):
                value = clean_input(value) or None
            out[key] = value
        return out

    @classmethod
    def for_workflow(cls, wf) -> type:
        """The engine asks: the edit of this workflow's record asks for its fields."""
        return intake_schema(wf, edit=True)


#: facts that decisions and the handover clock rest on: once used, corrected, never edited
DECISIVE_FACTS = ("encounter_at", "date_of_birth", "claimed_age")


class CorrectionSchema(InputSchema):
    """A correction of a fact that a decision used: a reason, and the new values (old and new both
    go into the audit event, and what depends on them is recomputed)."""

    identifying_fields = ("date_of_birth",)
    audit_payload = False

    encounter_at = past_datetime()
    date_of_birth = past_date(allow_none=True)
    claimed_age = age_years(0, MAX_AGE, allow_none=True)
    reason = required_text(2000, 10)

    @validates_schema
    def _something(self, data, **_kw):
        if not any(f in data for f in DECISIVE_FACTS):
            raise ValidationError({"_schema": [str(_l("Give the corrected value of at least one fact."))]})


class ClosureSchema(InputSchema):
    """Why a case closes; which roles may give which reason in which state is the workflow's."""

    reason = choice({k: v for k, v in vocab.CLOSURE_REASONS.items() if k != "determined_adult"}, required=True)
    notes = text(2000)


class JusticeTransferSchema(InputSchema):
    """The child's transfer from the detaining force to the juvenile justice system: who handed the
    child over, to which authority, when, and the facility the child is held in from then on."""

    transferred_at = past_datetime(required=True)
    handing_officer = required_text(200)
    handing_unit = required_text(200)
    receiving_authority = required_text(200)
    facility_type = choice(vocab.FACILITY_TYPES, required=True)
    facility_reference = text(80)


def sealed_record_fields(wf) -> frozenset[str]:
    """The record's fields an event keeps only in its sealed part: what identifies the child, and
    every free text of the intake (see ``caseflow.schemas.IN_CLEAR`` for what stays in clear)."""
    return frozenset(wf.identifying_fields(IDENTIFYING_FIELDS)) | intake_schema(wf).sealed_fields()


def split_changes(wf, changes: dict) -> tuple[dict, dict]:
    """A change's ``{field: [old, new]}`` as (what the event says in clear, what it seals)."""
    sealed = sealed_record_fields(wf)
    return ({f: v for f, v in changes.items() if f not in sealed}, {f: v for f, v in changes.items() if f in sealed})
