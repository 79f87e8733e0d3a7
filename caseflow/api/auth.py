"""Who is calling the API: a bearer token (no cookie, no CSRF token), or a browser session (which
must then send its CSRF token in X-CSRFToken for anything that writes)."""

from __future__ import annotations

import functools

from flask import Flask, g, request
from flask_babel import gettext as _
from flask_login import current_user

from caseflow.auth.operations import user_for_token
from caseflow.errors import Unauthorized
from caseflow.extensions import csrf, db, login_manager

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def init_token_auth(app: Flask) -> None:
    @login_manager.request_loader
    def load_from_token(req):
        if not req.path.startswith("/api/"):
            return None
        plain = _bearer()
        if not plain:
            return None

        user = user_for_token(db.session, plain)
        if user is not None:
            g.api_token_auth = True
        return user



def api_login_required(view):
    """401 (problem+json) without a usable token or session; CSRF for cookie callers that write."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            g.pop("api_token_auth", None)
            if _bearer():
                raise Unauthorized(_("This token is unknown, expired or revoked, or its user is disabled."))
            raise Unauthorized(_("Send Authorization: Bearer <token>."))
        if not g.get("api_token_auth") and request.method not in SAFE:
            csrf.protect()
        return view(*args, **kwargs)

    return wrapper
