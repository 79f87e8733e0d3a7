"""Template helpers: language, localised dates and numbers, audit events in words."""

from __future__ import annotations

import re
from datetime import datetime

from babel.dates import UTC, get_date_format, get_datetime_format, get_period_names, get_time_format, parse_pattern
from flask import Flask, g, has_request_context
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_timezone
from markupsafe import Markup

from caseflow.cases.words import action_label, actions_in_words, details_in_words, role_label
from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.forms import in_sections
from caseflow.i18n import current_language, label
from caseflow.notifications.operations import unread_count
from caseflow.review.outcomes import VOTE_OUTCOMES
from caseflow.workflow.engine import get_workflow, workflow_of


def state_label(case) -> str:
    """A case's state in the reader's language, as the workflow (and version) it runs on names it."""

    return workflow_of(case).state_label(case.state, current_language())


def clock_label(case, name: str) -> str:
    clock = workflow_of(case).clocks.get(name)
    return label(clock.label) if clock else name


def _now():
    return utcnow()


def next_step(case) -> str | None:
    """What the signed-in user would do next on a case waiting for them: the first action of its
    workflow, from its state, open to their role (the vote, when the state offers one)."""
    from flask_login import current_user

    wf = workflow_of(case)
    mine = [t for t in wf.from_state(case.state) if current_user.role in t.roles]
    voting = next((t for t in mine if not t.changes_state and not t.version_check), None)
    moving = next((t for t in mine if t.changes_state), None)
    chosen = voting or moving
    return label(chosen.label) if chosen else None


def workflow_label(name: str) -> str:
    return label(get_workflow(name).label)


def short_datetime(value: datetime) -> str:
    """``format_datetime(value, "short")`` — the same text, in the reader's language and time zone —
    with the language's patterns found, parsed and compiled once per request: Babel looks them up
    again for every date and writes each field through its own formatter object, and a list page
    shows a hundred. The fields the short patterns use (day, month and year as numbers, hours,
    minutes, AM/PM) are written directly; any other field goes through Babel (``_compiled``)."""
    if not has_request_context():
        return format_datetime(value, "short")
    return short_dates()(value)


def short_dates():
    """``short_datetime`` for many dates in the language and zone of this moment (a page's rows:
    the language is looked up once, not per date)."""
    locale, tz = get_locale(), get_timezone()  # per call: a page may write in another's language (force_locale)
    known = g.setdefault("caseflow_short_datetime", {})
    writer = known.get((locale, tz))
    if writer is None:
        date_text = _compiled(get_date_format("short", locale), locale)
        time_text = _compiled(get_time_format("short", locale), locale)
        both = get_datetime_format("short", locale).replace("'", "")
        normalize = getattr(tz, "normalize", None)  # a pytz zone, as Babel does

        def writer(value: datetime) -> str:
            local = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(tz)
            if normalize is not None:
                local = normalize(local)
            return both.replace("{0}", time_text(local.timetz())).replace("{1}", date_text(local.date()))

        known[(locale, tz)] = writer
    return writer


_FIELD_NAME = re.compile(r"%\((\w+)\)s")
#: Babel's own text of each field the short patterns use, written without its formatter objects
_FIELDS = {
    "d": lambda v, p: str(v.day), "dd": lambda v, p: f"{v.day:02d}",
    "M": lambda v, p: str(v.month), "MM": lambda v, p: f"{v.month:02d}",
    "y": lambda v, p: str(v.year), "yy": lambda v, p: f"{v.year % 100:02d}", "yyyy": lambda v, p: f"{v.year:04d}",
    "H": lambda v, p: str(v.hour), "HH": lambda v, p: f"{v.hour:02d}",
    "h": lambda v, p: str(v.hour % 12 or 12), "hh": lambda v, p: f"{v.hour % 12 or 12:02d}",
    "m": lambda v, p: str(v.minute), "mm": lambda v, p: f"{v.minute:02d}",
    "a": lambda v, p: p["pm" if v.hour >= 12 else "am"],
}


def _compiled(pattern: str, locale):
    """``value -> text`` for one Babel pattern, equal to ``parse_pattern(pattern).apply(value, locale)``
    (a property test holds it for any instant, zone and language)."""
    parsed = parse_pattern(pattern)
    names = _FIELD_NAME.findall(parsed.format)
    if not all(name in _FIELDS for name in names):
        return lambda value: parsed.apply(value, locale)
    periods = get_period_names("abbreviated", "format", locale)
    writers = [(name, _FIELDS[name]) for name in names]
    template = parsed.format
    return lambda value: template % {name: write(value, periods) for name, write in writers}


def time_cell(value, dates=None) -> Markup | str:
    """A time as pages show it: ``<time datetime=…>`` with the reader's short format; "—" when none.
    The ``when`` macro and the case list's rows both write it so (the rows with ``short_dates()``)."""
    if not value:
        return "—"
    text = (dates or short_datetime)(value) if isinstance(value, datetime) else format_date(value)
    # %, not .format: the same escaped text without markupsafe's string.Formatter (a third of a list's dates)
    return Markup('<time datetime="%s">%s</time>') % (value.isoformat(), text)


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        current_locale=current_language,
        format_datetime=format_datetime,
        short_datetime=short_datetime,
        time_cell=time_cell,
        format_date=format_date,
        format_number=format_decimal,
        details_in_words=details_in_words,
        action_label=action_label,
        role_label=role_label,
        actions_in_words=actions_in_words,
        unread_reminders=unread_reminders,
        state_label=state_label,
        workflow_label=workflow_label,
        clock_label=clock_label,
        next_step=next_step,
        now_utc=_now,
        sections=_sections,
        VOTE_OUTCOMES=VOTE_OUTCOMES,
    )


def _sections(fields):
    return in_sections(fields)


def unread_reminders() -> int:
    """The bell's count on every page (one indexed count)."""
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return 0
    return unread_count(db.session, current_user)
