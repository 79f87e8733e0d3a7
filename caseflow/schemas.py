"""Shared pieces of the input schemas (marshmallow)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, pre_load, validate

from caseflow import clock

#: characters XML 1.0 cannot carry (C0 controls but tab, newline and return; U+FFFE, U+FFFF; lone
#: surrogates): refused at the door, since an export must be able to write everything stored
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: DEL hides content; it is dropped
DEL = "\x7f"
UNSTORABLE_MESSAGE = "Contains a character that cannot be stored (a control character, U+FFFE or U+FFFF)."


def unstorable(value) -> bool:
    """Does a string, or any string inside a list or mapping, hold a character no export can write?"""
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, list | tuple):
        return any(unstorable(v) for v in value)
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    return False


def clean_input(value: str) -> str:
    return value.replace("\r\n", "\n").replace(DEL, "").strip()


def refuse_unstorable(data: dict) -> None:
    """422, field by field, for text no export could write (see UNSTORABLE)."""
    from marshmallow import ValidationError

    bad = {str(k) if not unstorable(k) else "_schema": [UNSTORABLE_MESSAGE]
           for k, v in data.items() if unstorable(k) or unstorable(v)}
    if bad:
        raise ValidationError(bad)


#: text fields kept in clear: what the statistics publish by (the region, the detaining authority,
#: the nationality, a screening's campaign). Every other free text about a child — a place, a unit,
#: the charges, reasons, findings, notes, names of people — is sealed with the case's data key, in its
#: row and in its event (``sealed_fields``), and erasing the case's key erases it everywhere.
IN_CLEAR = frozenset({"region", "detaining_authority", "nationality", "campaign"})


def is_free_text(field) -> bool:
    return isinstance(field, fields.String) and not any(isinstance(v, validate.OneOf) for v in field.validators)


class InputSchema(Schema):
    """Empty strings from HTML forms mean "not given"; unknown keys are refused; control
    characters are removed from text."""

    #: keys whose values identify a child: the audit log keeps them in its sealed part, and they are
    #: shown only to those who may see who the child is
    identifying_fields: tuple[str, ...] = ()

    @classmethod
    def sealed_fields(cls) -> frozenset[str]:
        """What an event keeps in its sealed part: the identifying fields and every free text."""
        found = cls.__dict__.get("_sealed_cache")
        if found is None:
            names = {n for n, f in cls._declared_fields.items() if is_free_text(f) and n not in IN_CLEAR}
            found = frozenset(names | set(cls.identifying_fields))
            cls._sealed_cache = found
        return found

    class Meta:
        unknown = RAISE

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
                value = clean_input(value)
                if value == "":
                    continue
            out[key] = value
        return out


def choice(codes, **kw) -> fields.String:
    """One code of a vocabulary (a mapping code → label); the form shows the labels."""
    return fields.String(validate=validate.OneOf(list(codes), error=str(_l("Not one of the choices."))),
                         metadata={"choices": codes}, **kw)


#: the largest id a database integer column holds (PostgreSQL ``integer``, SQLite's fits it too)
MAX_ID = 2**31 - 1
#: dates that describe the past lie between this day and now (plus FUTURE_SKEW for clocks that differ)
EARLIEST_DATE = date(1900, 1, 1)
FUTURE_SKEW = timedelta(minutes=5)
#: how far ahead a planned date (a next review, a next visit) may be set
LATEST_PLAN_YEARS = 5


class YesNo(fields.Boolean):
    """Yes or no: JSON's true and false, or a form's words for them ("true", "false"); a number
    (0, 1) is refused, not read as a yes or a no."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool | str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class WholeNumber(fields.Integer):
    """An integer that refuses fractions (15.7 is not silently 15) and booleans."""

    default_error_messages = {"invalid": "Not a valid integer.", "whole": "Must be a whole number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float | str) and not isinstance(value, bool):
            try:
                number = Decimal(str(value).strip())
            except (InvalidOperation, ValueError):
                raise self.make_error("invalid") from None
            if not number.is_finite():
                raise self.make_error("invalid")
            if number != number.to_integral_value():
                raise self.make_error("whole")
            if abs(number) > 10**18:
                raise self.make_error("invalid")
            value = int(number)
        return super()._deserialize(value, attr, data, **kwargs)


def parse_id(value) -> int | None:
    """An id from a query string or a form: a whole number the database can hold, else None."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def parse_page(value, maximum: int = 100_000) -> int:
    text = str(value or "").strip()
    return min(int(text), maximum) if text.isdigit() and len(text) < 10 and int(text) >= 1 else 1


def whole_number(minimum: int, maximum: int, **kw) -> WholeNumber:
    # the message is translated when the error is shown (see _PARAMETERISED)
    return WholeNumber(validate=validate.Range(min=minimum, max=maximum, error="Must be between {min} and {max}."),
                       **kw)


def age_years(minimum: int, maximum: int, **kw) -> WholeNumber:
    """An age in whole years; its refusal says so ("an age between 0 and 30 years")."""
    return WholeNumber(validate=validate.Range(min=minimum, max=maximum,
                                               error="An age between {min} and {max} years."), **kw)


def record_id(**kw) -> WholeNumber:
    """The id of a database row: a whole number the database can hold, or a 422."""
    return whole_number(1, MAX_ID, **kw)


def organisation(*kinds: str, **kw) -> WholeNumber:
    """An organisation's id; the form offers the active organisations of these kinds."""
    return record_id(metadata={"org_kinds": kinds}, **kw)


def text(max_len: int = 200, **kw) -> fields.String:
    return fields.String(validate=validate.Length(max=max_len), **kw)


def required_text(max_len: int = 2000, min_len: int = 1, **kw) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=min_len, max=max_len), **kw)


class PastDateTime(fields.AwareDateTime):
    """A moment that has happened: from 1900 to now (plus a small skew), read as UTC when no zone
    is given, and returned in UTC. Far years are refused before any arithmetic can overflow."""

    default_error_messages = {
        "too_early": "Must be in 1900 or later.",
        "future": "Cannot be in the future.",
    }

    def __init__(self, **kw):
        super().__init__(default_timezone=UTC, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        # the year alone first: converting year 1 or 9999 to UTC would overflow
        if moment.year < EARLIEST_DATE.year:
            raise self.make_error("too_early")
        if moment.year > clock.today().year + 1:
            raise self.make_error("future")
        moment = moment.astimezone(UTC)
        if moment < datetime(EARLIEST_DATE.year, 1, 1, tzinfo=UTC):
            raise self.make_error("too_early")
        if moment > clock.now() + FUTURE_SKEW:
            raise self.make_error("future")
        return moment


class PastDate(fields.Date):
    """A day that has come: from 1900 to today."""

    default_error_messages = {
        "too_early": "Must be in 1900 or later.",
        "future": "Cannot be in the future.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if day < EARLIEST_DATE:
            raise self.make_error("too_early")
        if day > clock.today():
            raise self.make_error("future")
        return day


class PlannedDate(fields.Date):
    """A day still to come (a next review, a next visit): after today, within a few years."""

    default_error_messages = {
        "not_after_today": "Must be after today.",
        "too_far": "Must be within five years.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        today = clock.today()
        if day <= today:
            raise self.make_error("not_after_today")
        if day.year > today.year + LATEST_PLAN_YEARS:
            raise self.make_error("too_far")
        return day


def past_datetime(**kw) -> PastDateTime:
    return PastDateTime(**kw)


def past_date(**kw) -> PastDate:
    return PastDate(**kw)


def planned_date(**kw) -> PlannedDate:
    return PlannedDate(**kw)


class CommentSchema(InputSchema):
    comment = text(2000)


# marshmallow's own messages, marked here so that they are translated with the rest
MARSHMALLOW_MESSAGES = (
    _l("Missing data for required field."),
    _l("Unknown field."),
    _l("Not a valid integer."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid datetime."),
    _l("Not a valid string."),
    _l("Not a valid list."),
    _l("Field may not be null."),
    _l("Invalid input type."),
    _l("Not a valid aware datetime."),
    _l("Must be a whole number."),
    _l("Contains a character that cannot be stored (a control character, U+FFFE or U+FFFF)."),
    _l("Must be in 1900 or later."),
    _l("Cannot be in the future."),
    _l("Must be after today."),
    _l("Must be within five years."),
)


#: marshmallow messages that carry numbers: matched, then translated with the numbers put back
_PARAMETERISED = (
    (re.compile(r"^Must be between (-?\d+) and (-?\d+)\.$"), "Must be between %(min)s and %(max)s.",
     ("min", "max")),
    (re.compile(r"^An age between (\d+) and (\d+) years\.$"), "An age between %(min)s and %(max)s years.",
     ("min", "max")),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "At most %(max)s characters.", ("max",)),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "At least %(min)s characters.", ("min",)),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "Between %(min)s and %(max)s characters.",
     ("min", "max")),
    (re.compile(r"^Must be greater than or equal to (-?\d+) and less than or equal to (-?\d+)\.$"),
     "Must be between %(min)s and %(max)s.", ("min", "max")),
)
PARAMETERISED_MESSAGES = (
    _l("Must be between %(min)s and %(max)s."),
    _l("An age between %(min)s and %(max)s years."),
    _l("At most %(max)s characters."),
    _l("At least %(min)s characters."),
    _l("Between %(min)s and %(max)s characters."),
)


def _translate_one(message: str) -> str:
    from flask_babel import gettext

    for pattern, msgid, names in _PARAMETERISED:
        m = pattern.match(message)
        if m:
            return gettext(msgid, **dict(zip(names, m.groups(), strict=True)))
    return gettext(message)


def translate_errors(messages) -> dict:
    """marshmallow's messages (nested or flat) → {field: [message in the reader's language]}."""

    def words(value):
        if isinstance(value, dict):
            out = []
            for v in value.values():
                out.extend(words(v))
            return out
        if isinstance(value, list | tuple):
            out = []
            for v in value:
                out.extend(words(v))
            return out
        return [_translate_one(str(value))]

    if not isinstance(messages, dict):
        return {"_schema": words(messages)}
    return {key: words(value) for key, value in messages.items()}
