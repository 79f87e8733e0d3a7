"""The detention-list template: one column per intake field, with English and French headers;
either language (or the field code) is recognised on import."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import force_locale

from caseflow import vocab
from caseflow.cases.schemas import INTAKE_FIELDS
from caseflow.labels import FIELD_LABELS

#: columns a detention list must have (values may still be blank on a row)
REQUIRED_COLUMNS = ("sex", "detaining_authority", "facility_type", "encounter_at")

CODED = {"sex": vocab.SEX, "encounter_type": vocab.ENCOUNTER_TYPES, "facility_type": vocab.FACILITY_TYPES,
         "charge_category": vocab.CHARGE_CATEGORIES}
BOOLEAN_WORDS = {"yes": True, "oui": True, "y": True, "o": True, "true": True, "1": True, "vrai": True,
                 "no": False, "non": False, "n": False, "false": False, "0": False, "faux": False}


def header_for(field: str, lang: str) -> str:
    with force_locale(lang):
        return str(FIELD_LABELS[field])


def header_index(names=INTAKE_FIELDS) -> dict[str, str]:
    """Every accepted header (lower-cased) → field code, for these fields (a workflow's)."""
    index = {}
    for f in names:
        index[f.lower()] = f
        for lang in ("en", "fr"):
            index[header_for(f, lang).strip().lower()] = f
    return index


def coded_value(field: str, value, mapping: dict | None = None) -> str:
    """A code, or its label in English or French, → the code."""
    text = str(value).strip()
    mapping = mapping if mapping is not None else CODED[field]
    if text in mapping:
        return text
    for code in mapping:
        for lang in ("en", "fr"):
            with force_locale(lang):
                if str(mapping[code]).strip().lower() == text.lower():
                    return code
    return text  # the schema will say it is not one of the choices


def cell_to_input(field: str, value, boolean_fields: set[str], choices: dict | None = None):
    """Excel cell value → what the registration form would have sent."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if field in boolean_fields:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        return BOOLEAN_WORDS.get(word, word)
    if choices is not None or field in CODED:
        return coded_value(field, value, choices)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
