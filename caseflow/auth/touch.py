""""Last seen" and "last used" times, recorded without making a read write.

A request that only reads must not write in its own transaction (on SQLite its read transaction
would then have to become a writer's and fail under load; on PostgreSQL every request of one client
would queue on the same row). So the time is written at most once a minute, in a short transaction
of its own on a separate connection, and skipped at once if the row or the database is busy: the
next request a minute later tries again. Nothing depends on it being exact to the minute.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError

from caseflow.extensions import db

EVERY = timedelta(seconds=60)
log = logging.getLogger("caseflow.auth")


def due(last: datetime | None, now: datetime) -> bool:
    return last is None or last < now - EVERY


def touch_after_request(column, row_id: int, now: datetime) -> None:
    """Touch once this request's transaction is over (a writer's transaction holds SQLite's write
    lock, so a touch beside it would only fail); outside a request, at once."""
    from flask import g, has_request_context

    if not has_request_context():
        touch(column, row_id, now)
        return
    pending = g.setdefault("caseflow_touches", [])
    if len(pending) < 4:
        pending.append((column, row_id, now))


def run_pending() -> None:
    from flask import g

    for column, row_id, now in g.pop("caseflow_touches", ()):
        touch(column, row_id, now)


def touch(column, row_id: int, now: datetime) -> bool:
    """Set ``column`` (e.g. ``ApiToken.last_used_at``) to ``now`` on one row if it is a minute old;
    True if written. Never waits for a lock and never raises."""
    table = column.class_
    stmt = (update(table).where(table.id == row_id, (column.is_(None)) | (column < now - EVERY))
            .values({column.key: now}).execution_options(synchronize_session=False))
    engine = db.engine
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            raw = conn.connection.driver_connection
            if sqlite:  # on the driver's connection: a statement here would begin SQLAlchemy's transaction
                raw.execute("PRAGMA busy_timeout=0")
            try:
                with conn.begin():
                    if not sqlite:
                        conn.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
                    return conn.execute(stmt).rowcount == 1
            finally:
                if sqlite:
                    raw.execute("PRAGMA busy_timeout=15000")
    except DBAPIError as exc:  # busy: skipped, the next request tries again
        log.debug("touch skipped: %s", type(exc.orig).__name__)
        return False
