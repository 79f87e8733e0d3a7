"""French is complete: every string marked for translation in code and templates has a French text."""

from datetime import UTC, datetime, timedelta, timezone

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.config import PROJECT_ROOT

PO = PROJECT_ROOT / "caseflow" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def extracted() -> set:
    method_map = [("caseflow/**.py", "python"), ("templates/**.html", "jinja2")]
    return {
        message if isinstance(message, str) else tuple(message)
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(PROJECT_ROOT), method_map=method_map, keywords=KEYWORDS, options_map={})
    }


def test_every_string_has_a_french_translation():
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    translated = {}
    for m in catalog:
        if m.id:
            ok = all(m.string) if isinstance(m.id, tuple) else bool(m.string)
            translated[m.id if isinstance(m.id, str) else tuple(m.id)] = ok and "fuzzy" not in m.flags
    missing = sorted(str(msg) for msg in extracted() if not translated.get(msg))
    assert not missing, f"{len(missing)} strings have no French translation, e.g. {missing[:5]}"


def test_placeholders_survive_translation():
    import re

    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    for m in catalog:
        if m.id and isinstance(m.id, str) and m.string:
            assert set(re.findall(r"%\(\w+\)\w", m.id)) == set(re.findall(r"%\(\w+\)\w", m.string)), m.id



ZONES = ["UTC", "Africa/Bamako", "Europe/Paris", "America/St_Johns", "Pacific/Chatham", "Australia/Lord_Howe"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31),
                          timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-9, minutes=-30))])),
       lang=st.sampled_from(["en", "fr"]), zone=st.sampled_from(ZONES))
def test_a_short_date_reads_as_babel_writes_it(app, monkeypatch, value, lang, zone):
    """The list pages' fast date (patterns parsed once per request) is Babel's own text for every
    instant — naive or in any zone, across DST changes, leap days, half-hour zones — in both
    languages and any configured time zone; inside force_locale too (a page written in another's
    language)."""
    from flask_babel import force_locale, format_datetime

    from caseflow.templating import short_dates, short_datetime

    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", zone)
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert short_datetime(value) == format_datetime(value, "short") == short_dates()(value)
        other = "fr" if lang == "en" else "en"
        with force_locale(other):
            assert short_datetime(value) == format_datetime(value, "short")
        assert short_datetime(value) == format_datetime(value, "short")  # and back


def test_short_dates_differ_by_language_and_zone(app, monkeypatch):
    from caseflow.templating import short_datetime

    leap = datetime(2028, 2, 29, 23, 30, tzinfo=UTC)
    seen = {}
    for lang in ("en", "fr"):
        for zone in ("UTC", "Asia/Tokyo"):
            monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", zone)
            with app.test_request_context(headers={"Accept-Language": lang}):
                seen[lang, zone] = short_datetime(leap)
    assert seen["fr", "UTC"] == "29/02/2028 23:30" and seen["fr", "Asia/Tokyo"] == "01/03/2028 08:30"
    assert seen["en", "UTC"].startswith("2/29/28") and seen["en", "Asia/Tokyo"].startswith("3/1/28")


def test_every_field_of_every_action_has_a_label_in_both_languages(app):
    """A form never shows a field's key (the assessment form once showed `concluded_on` bare)."""
    from flask_babel import force_locale

    from caseflow.labels import FIELD_LABELS, field_label
    from caseflow.workflow.engine import payload_schema, workflows

    with app.test_request_context():
        fields = {(wf.name, t.trigger, name) for wf in workflows().values() for t in wf.transitions
                  if payload_schema(wf, t) is not None for name in payload_schema(wf, t)().fields}
        assert len(fields) > 50
        unlabelled = sorted(f for f in fields if f[2] not in FIELD_LABELS)
        assert not unlabelled, unlabelled
        with force_locale("fr"):
            french = {name: field_label(name) for _wf, _t, name in fields}
        with force_locale("en"):
            english = {name: field_label(name) for _wf, _t, name in fields}
    assert french["concluded_on"] == "Évaluation conclue le" and english["concluded_on"] == "Assessment concluded on"
    same = sorted(n for n in french if french[n] == english[n] and french[n] == n)
    assert not same, same


def test_a_time_cell_is_what_markups_own_format_would_write(app):
    """The list's cells are written with Markup's %, not its .format: the same escaped text."""
    from datetime import date

    from flask_babel import format_date
    from markupsafe import Markup

    from caseflow.templating import short_datetime, time_cell

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        for value in (datetime(2028, 2, 29, 23, 30, tzinfo=UTC), date(2024, 2, 29)):
            text = short_datetime(value) if isinstance(value, datetime) else format_date(value)
            assert time_cell(value) == Markup('<time datetime="{}">{}</time>').format(value.isoformat(), text)
        assert time_cell(None) == "—"
        assert str(Markup("%s") % ("<b>",)) == "&lt;b&gt;"
