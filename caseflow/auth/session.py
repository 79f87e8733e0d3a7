"""Server-side login sessions behind flask-login.

The cookie carries a random token; the database keeps its SHA-256 and the times that enforce
the idle and absolute timeouts. Logging out revokes the row, so a replayed cookie is refused;
disabling a user ends every open session at the next request.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from caseflow.auth import touch
from caseflow.auth.models import LoginSession, User
from caseflow.db import utcnow
from caseflow.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_token)


def load_user_from_token(token: str) -> User | None:
    """The user of a login session's cookie; none for an API call that sends a bearer token, which
    is then that token's user's (the API's request loader), never the cookie's."""
    from flask import request

    if request.path.startswith("/api/") and request.headers.get("Authorization", "")[:7].lower() == "bearer ":
        return None
    cfg = current_app.config
    now = utcnow()
    idle = timedelta(minutes=cfg["IDLE_TIMEOUT_MINUTES"])
    row = LoginSession.by_token(db.session, token)
    if row is None or row.revoked_at is not None:
        return None
    if row.last_seen_at < now - idle:
        return None
    if row.created_at < now - timedelta(hours=cfg["ABSOLUTE_TIMEOUT_HOURS"]):
        return None
    user = row.user
    if not user.active or not user.organisation.active:
        return None
    if touch.due(row.last_seen_at, now):  # outside this request's transaction: a read stays a read
        touch.touch_after_request(LoginSession.last_seen_at, row.id, now)
    user.session_token = token
    return user
