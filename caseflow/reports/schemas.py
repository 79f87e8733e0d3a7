"""What a period report is asked for: from, to, as of, by. One schema for the page, the API and the CLI."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, validates_schema

from caseflow import clock
from caseflow.errors import ValidationFailed
from caseflow.reports.period import DIMENSIONS, Period
from caseflow.schemas import InputSchema, past_date, past_datetime, translate_errors

MAX_YEARS = 20


class DimensionList(fields.String):
    """``sex,age_band``: at most two dimensions, each known, none twice."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        keys = tuple(k.strip() for k in raw.split(",") if k.strip())
        unknown = [k for k in keys if k not in DIMENSIONS]
        if unknown:
            raise ValidationError(str(_l("Not a dimension: %(keys)s. Choose from: %(known)s.",
                                          keys=", ".join(unknown), known=", ".join(DIMENSIONS))))
        if len(keys) > 2 or len(set(keys)) != len(keys):
            raise ValidationError(str(_l("One or two different dimensions.")))
        return keys


class PeriodQuerySchema(InputSchema):
    from_ = past_date(data_key="from", required=True)
    to = fields.Date(required=True)
    as_of = past_datetime()
    by = DimensionList(load_default=("sex", "age_band"))
    # the page's own fields (ignored here)
    format = fields.String()
    lang = fields.String()

    @validates_schema
    def _ordered(self, data, **_kw):
        start, end = data.get("from_"), data.get("to")
        as_of = data.get("as_of") or clock.now()
        if start and end and end < start:
            raise ValidationError({"to": [str(_l("The period ends before it starts."))]})
        if end and end > as_of.date():
            raise ValidationError({"to": [str(_l("The period cannot end after its “as of” time (%(day)s).",
                                                 day=as_of.date().isoformat()))]})
        if start and end and (end - start).days > 366 * MAX_YEARS:
            raise ValidationError({"from": [str(_l("At most %(n)d years at once.", n=MAX_YEARS))]})

    @post_load
    def _period(self, data, **_kw):
        return Period(start=data["from_"], end=data["to"], as_of=data.get("as_of") or clock.now(), by=data["by"])


def load_period(args) -> Period:
    data = {k: v for k, v in dict(args).items() if k not in ("csrf_token",)}
    try:
        return PeriodQuerySchema().load(data)
    except ValidationError as exc:
        raise ValidationFailed(errors=translate_errors(exc.messages)) from None


def default_period(today: date | None = None) -> dict:
    """The last full quarter, as the form's starting values."""
    today = today or clock.today()
    end = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - timedelta(days=1)
    start = date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    return {"from": start.isoformat(), "to": end.isoformat(), "by": "sex,age_band"}
