"""French is complete: every string marked for translation in code and templates has a French text."""

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

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

