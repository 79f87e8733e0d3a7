"""Input schemas of the case record (registration form, intake edits, detention-list import)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from caseflow import vocab
from caseflow.cases.models import IDENTIFYING_FIELDS
from caseflow.schemas import InputSchema, choice, clean_input, not_in_future, text, utc_datetime


def _not_future_date(value: date) -> None:
    if value > date.today():
        raise ValidationError(str(_l("Cannot be in the future.")))


class IntakeSchema(InputSchema):
    identifying_fields = IDENTIFYING_FIELDS

    given_name = text(120)
    family_name = text(120)
    other_names = text(200)
    sex = choice(vocab.SEX)
    date_of_birth = fields.Date(validate=_not_future_date)
    claimed_age = fields.Integer(validate=validate.Range(min=0, max=30))
    age_estimated = fields.Boolean()
    nationality = text(80)
    languages = text(200)
    region = text(80)
    cercle = text(80)
    commune = text(80)
    encounter_type = choice(vocab.ENCOUNTER_TYPES)
    encounter_at = utc_datetime(validate=not_in_future)
    encounter_place = text(200)
    apprehending_unit = text(200)
    detaining_authority = text(200)
    facility_type = choice(vocab.FACILITY_TYPES)
    facility_reference = text(80)
    separated_from_adults = fields.Boolean(allow_none=True)
    legal_counsel = fields.Boolean(allow_none=True)
    family_notified_at = utc_datetime(validate=not_in_future)
    unicef_notified_at = utc_datetime(validate=not_in_future)
    charges = text(2000)
    ill_treatment_reported = fields.Boolean(allow_none=True)
    custody_start = utc_datetime(validate=not_in_future)
    custody_end = utc_datetime(validate=not_in_future)
    alleged_group = text(200)
    association_roles = text(2000)
    girl_mother = fields.Boolean(allow_none=True)
    protection_concerns = text(4000)
    consent_services = fields.Boolean(allow_none=True)
    consent_reporting = fields.Boolean(allow_none=True)
    consent_by = text(200)

    @validates_schema
    def _coherent(self, data, **_kw):
        errors = {}
        start, end = data.get("custody_start"), data.get("custody_end")
        if start and end and end < start:
            errors["custody_end"] = [str(_l("Custody cannot end before it starts."))]
        enc = data.get("encounter_at")
        if start and enc and start < enc.replace(hour=0, minute=0, second=0, microsecond=0):
            errors["custody_start"] = [str(_l("Custody cannot start before the encounter day."))]
        dob = data.get("date_of_birth")
        if dob and enc and dob > enc.date():
            errors["date_of_birth"] = [str(_l("The child cannot be born after the encounter."))]
        if data.get("girl_mother") and data.get("sex") == "male":
            errors["girl_mother"] = [str(_l("Only for girls."))]
        if errors:
            raise ValidationError(errors)


#: every intake field, in form order
INTAKE_FIELDS = tuple(IntakeSchema().fields)


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
        out = {}
        for key, value in data.items():
            if key in ("csrf_token", "version"):
                continue
            if isinstance(value, str):
                value = clean_input(value) or None
            out[key] = value
        return out
