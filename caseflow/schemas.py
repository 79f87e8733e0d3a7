"""Shared pieces of the input schemas (marshmallow)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, pre_load, validate

#: control characters that have no place in a form field (NUL breaks PostgreSQL text, others hide content)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_input(value: str) -> str:
    return CONTROL.sub("", value.replace("\r\n", "\n")).strip()


class InputSchema(Schema):
    """Empty strings from HTML forms mean "not given"; unknown keys are refused; control
    characters are removed from text."""

    #: keys whose values identify a child: the audit log keeps them in its identifying part
    identifying_fields: tuple[str, ...] = ()

    class Meta:
        unknown = RAISE

    @pre_load
    def _blank_is_missing(self, data, **_kw):
        if not isinstance(data, dict):
            return data
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


def organisation(*kinds: str, **kw) -> fields.Integer:
    """An organisation's id; the form offers the active organisations of these kinds."""
    return fields.Integer(metadata={"org_kinds": kinds}, **kw)


def text(max_len: int = 200, **kw) -> fields.String:
    return fields.String(validate=validate.Length(max=max_len), **kw)


def required_text(max_len: int = 2000, min_len: int = 1, **kw) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=min_len, max=max_len), **kw)


def utc_datetime(**kw) -> fields.AwareDateTime:
    """A date and time; a time without a zone is taken as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, **kw)


def not_in_future(value: datetime) -> None:
    from marshmallow import ValidationError

    if value > datetime.now(UTC):
        raise ValidationError(str(_l("Cannot be in the future.")))


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
)


def translate_errors(messages) -> dict:
    """marshmallow's messages (nested or flat) → {field: [message in the reader's language]}."""
    from flask_babel import gettext

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
        return [gettext(str(value))]

    if not isinstance(messages, dict):
        return {"_schema": words(messages)}
    return {key: words(value) for key, value in messages.items()}
