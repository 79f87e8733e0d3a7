"""Language and time zone of the person reading the page."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def select_locale() -> str:
    """The language of a page, first found: the user's stored preference (which the switch sets, on
    any page, the sign-in page included); the switch's choice before signing in; the browser's
    ``Accept-Language``; English."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language() -> str:
    """The language of what is being written now (a page, an answer, a mail)."""
    from flask_babel import get_locale

    loc = get_locale()
    return loc.language if loc else "en"


def label(labels: dict) -> str:
    """A workflow file's label (``{en: …, fr: …}``) in the current language, English failing that."""
    return labels.get(current_language()) or labels.get("en", "")
