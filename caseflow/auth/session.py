"""Server-side login sessions behind flask-login.

The cookie carries a random token; the database keeps its SHA-256 and the times that enforce
the idle and absolute timeouts. Logging out revokes the row, so a replayed cookie is refused;
disabling a user ends every open session at the next request.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from caseflow.auth.models import LoginSession, User, token_digest
from caseflow.db import utcnow
from caseflow.extensions import db, login_manager

TOUCH_EVERY = timedelta(seconds=60)


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_token)


def load_user_from_token(token: str) -> User | None:
    cfg = current_app.config
    now = utcnow()
    idle = timedelta(minutes=cfg["IDLE_TIMEOUT_MINUTES"])
    digest = token_digest(token)
    # Touch first (a write as the transaction's first statement queues on SQLite instead of
    # failing later), and only while the session is still fresh.
    db.session.execute(
        update(LoginSession)
        .where(
            LoginSession.token_hash == digest,
            LoginSession.revoked_at.is_(None),
            LoginSession.last_seen_at < now - TOUCH_EVERY,
            LoginSession.last_seen_at >= now - idle,
        )
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
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
    user.session_token = token
    return user
