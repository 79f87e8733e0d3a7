"""HTML forms drawn from the marshmallow input schemas, so every transition has a form without a
second description of its fields. The schema validates; this only says how to draw each field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from marshmallow import fields as mf
from sqlalchemy import select

from caseflow.auth.models import Organisation
from caseflow.labels import HELP, field_label

#: the registration in sections (GOV.UK: a long form in parts, each under its heading); a workflow's
#: own fields, and any field not named here, come last under "Other details"
INTAKE_SECTIONS = (
    (_l("The child"), ("given_name", "family_name", "other_names", "sex", "date_of_birth", "claimed_age",
                       "age_estimated", "nationality", "languages")),
    (_l("Where and how the child was met"), ("region", "cercle", "commune", "encounter_type", "encounter_at",
                                             "encounter_place", "apprehending_unit")),
    (_l("Detention"), ("detaining_authority", "facility_type", "facility_reference", "separated_from_adults",
                       "legal_counsel", "family_notified_at", "unicef_notified_at", "custody_start", "custody_end",
                       "ill_treatment_reported")),
    (_l("Charges and association"), ("charges", "charge_category", "alleged_group", "association_roles",
                                     "girl_mother")),
    (_l("Protection and consent"), ("protection_concerns", "consent_services", "consent_reporting", "consent_by")),
)



@dataclass
class FormField:
    name: str
    label: str
    widget: str  # text | textarea | select | date | datetime | number | boolean | checkboxes
    required: bool
    help: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: object = None
    errors: list[str] = field(default_factory=list)
    maxlength: int | None = None
    #: after a stale edit: what the record holds now, shown beside what the user typed
    now: str | None = None
    #: not required to save, but needed before the case moves on (the workflow's record.required)
    needed: bool = False


def _max_length(f) -> int | None:
    for v in f.validators:
        if getattr(v, "max", None) is not None and v.__class__.__name__ == "Length":
            return v.max
    return None


def _organisation_choices(session, kinds) -> list[tuple[str, str]]:
    orgs = session.scalars(
        select(Organisation)
        .where(Organisation.kind.in_(kinds), Organisation.active.is_(True))
        .order_by(Organisation.name)
    )
    return [(str(o.id), o.name) for o in orgs]


def _display(value, widget):
    if value is None:
        return ""
    if widget == "datetime" and isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    if widget == "date" and isinstance(value, date):
        return value.isoformat()
    if widget == "boolean" and isinstance(value, bool):
        return "true" if value else "false"
    return value


def build_form(schema_cls, session, values: dict | None = None, errors: dict | None = None, *, case=None,
               now: dict | None = None, needed=()) -> list[FormField]:
    """``case``: the case an action's form is about (its referrals are the choices of a referral
    field); ``now``: after a stale edit, the record's current values, shown beside the user's."""
    values, errors, now = values or {}, errors or {}, now or {}
    out = []
    for name, f in schema_cls().fields.items():
        meta = f.metadata or {}
        maxlength = None
        if "case_choices" in meta and case is not None:  # the case's own rows (its referrals), never a typed id
            widget = "select"
            choices = meta["case_choices"](session, case)
        elif "choices" in meta:
            widget = "select"
            choices = [(k, str(v)) for k, v in meta["choices"].items()]
        elif "choices_from" in meta:  # a vocabulary kept in the database (a screening's campaigns)
            widget = "select"
            choices = meta["choices_from"](session)
        elif "org_kinds" in meta:
            widget = "select"
            choices = _organisation_choices(session, meta["org_kinds"])
        elif isinstance(f, mf.List):
            widget = "checkboxes"
            choices = [(k, str(v)) for k, v in (f.inner.metadata or {}).get("choices", {}).items()]
        elif isinstance(f, mf.Boolean):
            widget, choices = "boolean", []
        elif isinstance(f, mf.DateTime):
            widget, choices = "datetime", []
        elif isinstance(f, mf.Date):
            widget, choices = "date", []
        elif isinstance(f, mf.Integer):
            widget, choices = "number", []
        else:
            maxlength = _max_length(f)
            widget = "textarea" if (maxlength or 0) > 300 else "text"
            choices = []
        value = values.get(name)
        if widget == "checkboxes" and not isinstance(value, list):
            value = [value] if value else []
        out.append(FormField(
            name=name, label=field_label(name), widget=widget, required=bool(f.required),
            help=str(HELP[name]) if name in HELP else None, choices=choices,
            value=[str(v) for v in value] if widget == "checkboxes" else _display(value, widget),
            errors=[str(e) for e in errors.get(name, [])], maxlength=maxlength,
            now=_now_text(now, name, widget, choices, values.get(name)),
            needed=name in needed,
        ))
    return out


def _now_text(now: dict, name: str, widget: str, choices, typed) -> str | None:
    """The record's value now, in words, when it is not what the user typed (else None)."""
    if name not in now:
        return None
    value = now[name]
    if str(_display(value, widget)) == str(typed if typed is not None else ""):
        return None
    if value in (None, ""):
        return "—"
    if widget == "boolean" and isinstance(value, bool):
        from flask_babel import gettext as _

        return _("Yes") if value else _("No")
    shown = _display(value, widget)
    return dict(choices).get(str(shown), str(shown)) if choices else str(shown)


def form_data(request_form, schema_cls, current=None) -> dict:
    """The posted values for the schema's fields (lists for multi-choice fields). With ``current``
    (an edit: the record's value of a field), a time sent back as the form showed it is left out:
    the form shows minutes, so the seconds of the recorded time would otherwise change unasked."""
    data = {}
    for name, f in schema_cls().fields.items():
        if isinstance(f, mf.List):
            data[name] = request_form.getlist(name)
        elif name in request_form:
            data[name] = request_form.get(name)
            if (current is not None and isinstance(f, mf.DateTime)
                    and data[name].strip() == _display(current(name), "datetime") != ""):
                del data[name]
    return data


def in_sections(fields: list[FormField]) -> list[tuple[str | None, list[FormField]]]:
    """The fields of a long form grouped under the registration's headings (INTAKE_SECTIONS), the
    rest under "Other details"; a form with none of them stays one group without a heading."""
    from flask_babel import gettext as _

    by_name = {f.name: f for f in fields}
    groups, placed = [], set()
    for heading, names in INTAKE_SECTIONS:
        group = [by_name[n] for n in names if n in by_name]
        if group:
            groups.append((str(heading), group))
            placed.update(f.name for f in group)
    rest = [f for f in fields if f.name not in placed]
    if not groups:
        return [(None, fields)]
    if rest:
        groups.append((_("Other details"), rest))
    return groups


def answers(fields: list[FormField], loaded: dict) -> tuple[list[tuple[str, list[tuple[str, str, str]]]], int]:
    """A "check your answers" page: each section's given answers as (field id, label, words), and
    how many questions were left unanswered."""
    from flask_babel import format_date, format_datetime
    from flask_babel import gettext as _

    out, unanswered = [], 0
    for heading, group in in_sections(fields):
        rows = []
        for f in group:
            v = loaded.get(f.name)
            if v is None or v == "" or v == []:
                unanswered += 1
                continue
            labels = {str(k): lbl for k, lbl in f.choices}
            if f.widget == "checkboxes":
                text = ", ".join(labels.get(str(x), str(x)) for x in v)
            elif f.widget == "select":
                text = labels.get(str(v), str(v))
            elif f.widget == "boolean":
                text = _("Yes") if v else _("No")
            elif f.widget == "datetime" and hasattr(v, "hour"):
                text = format_datetime(v, "medium")
            elif f.widget == "date" and hasattr(v, "year"):
                text = format_date(v, "medium")
            else:
                text = str(v)
            rows.append((f"f-{f.name}", f.label, text))
        if rows:
            out.append((heading or _("Answers"), rows))
    return out, unanswered
