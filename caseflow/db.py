"""Engine, session, declarative Base and the transaction rules.

One session per application context (``db.session``). Operations add and flush; the request
(or CLI command) commits once at its boundary and rolls back on any error. On SQLite every
transaction of a writing request begins with ``BEGIN IMMEDIATE`` so writers queue instead of
failing on lock upgrade; on PostgreSQL writers lock the rows they change (``FOR UPDATE``).
"""

from __future__ import annotations

import contextvars
from datetime import UTC, datetime

from flask import Flask, g, has_app_context
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime, LargeBinary, String, TypeDecorator

from caseflow import clock
from caseflow.canonical import canonical_json, parse

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: set while a request intends to write; SQLite then begins transactions IMMEDIATE.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Now, in UTC, from the application's clock (tests move it: see ``caseflow.clock``)."""
    return clock.now()


def _written_as(element, postgresql: str, sqlite: str):
    """``element(x)`` compiled as ``postgresql`` on PostgreSQL and ``sqlite`` elsewhere, ``{}`` for x."""

    @compiles(element, "postgresql")
    def _pg(el, compiler, **kw):
        return postgresql.format(compiler.process(el.clauses, **kw))

    @compiles(element)
    def _other(el, compiler, **kw):
        return sqlite.format(compiler.process(el.clauses, **kw))

    return element


class CanonicalTime(FunctionElement):
    """A naive-UTC ``UTCDateTime`` column as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` text, written by the
    database (the audit hash's form of a time). SQLAlchemy stores SQLite's as 'YYYY-MM-DD HH:MM:SS.ffffff'."""

    type = String()
    inherit_cache = True


class JsonString(FunctionElement):
    """A text (or NULL) column as a JSON string literal, written by the database with the escapes
    the canonical encoding uses (quote, backslash, ``\\b \\f \\n \\r \\t``, other C0 controls as
    lower-case ``\\u00xx``, everything else as it is), ``null`` for NULL."""

    type = String()
    inherit_cache = True


class Utf8Bytes(FunctionElement):
    """A text expression as its UTF-8 bytes (so a hash reads it without decoding and encoding it)."""

    type = LargeBinary()
    inherit_cache = True


_written_as(CanonicalTime, """to_char({}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""", "(replace({}, ' ', 'T') || 'Z')")
_written_as(JsonString, "coalesce(to_json({})::text, 'null')", "json_quote({})")
_written_as(Utf8Bytes, "convert_to({}, 'UTF8')", "CAST({} AS BLOB)")


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, always returns aware UTC datetimes (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if write_intent.get():
            raw = conn.connection.driver_connection
            refuse_second_writer(raw)
            begin_immediate(raw)
        else:
            conn.exec_driver_sql("BEGIN")


class SelfDeadlock(RuntimeError):
    """A second connection asked for SQLite's write lock while the same request (or command) holds
    it on another: it would wait for itself for the whole busy timeout, then fail."""


def refuse_second_writer(dbapi_conn) -> None:
    """Refuse at once, loudly, what would otherwise hang for 15 s: in one application context, only
    the connection that holds the write lock may write. A session of its own inside a request must
    read (``write_intent`` off), as the integrity check beside a page does."""
    if not has_app_context():
        return
    import sqlite3

    held = g.get("_caseflow_writer")
    try:
        busy = held is not None and held is not dbapi_conn and held.in_transaction
    except sqlite3.ProgrammingError:  # closed since (the pool was disposed of)
        busy = False
    if busy:
        raise SelfDeadlock("a second writing transaction inside one request would wait for the write lock "
                           "the request holds on its own connection")
    g._caseflow_writer = dbapi_conn


#: the longest nap between two tries for SQLite's write lock
LONGEST_NAP = 0.004


def begin_immediate(dbapi_conn) -> None:
    """Take SQLite's write lock, trying again every few milliseconds while another writer has it,
    for as long as the connection's busy timeout says (15 s; 0 for a "last used" touch: one try).
    SQLite's own busy handler naps 25, 50, then 100 ms between tries, so a writer that just missed
    the lock waited up to 100 ms after it was free: that was the write's p99 under load. (Rails 7.1
    replaced SQLite's busy timeout with retries for the same reason.) Reads never wait in WAL mode;
    every other statement keeps the busy timeout. A lock never taken raises SQLAlchemy's
    OperationalError, as the statement would have."""
    import sqlite3
    import time

    from sqlalchemy.exc import OperationalError

    (wait_ms,) = dbapi_conn.execute("PRAGMA busy_timeout").fetchone()
    deadline, nap = time.monotonic() + wait_ms / 1000, 0.0005
    dbapi_conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            time.sleep(min(nap, max(0.0, deadline - time.monotonic())))
            nap = min(nap * 1.5, LONGEST_NAP)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout={int(wait_ms)}")


def normalise_url(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def canonical_json_text(obj) -> str:
    """JSON columns are stored in the audit log's canonical form (sorted keys, no spaces), so the
    stored text of an event's details is exactly the text its hash covers."""

    return canonical_json(obj).decode()


def make_engine(url: str, **kw) -> Engine:
    url = normalise_url(url)
    kw.setdefault("json_serializer", canonical_json_text)
    kw.setdefault("json_deserializer", parse)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15}, **kw)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


def is_sqlite(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "sqlite"


class Database:
    """The app's engine and its per-app-context session."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["caseflow.db"] = {
            "engine": engine,
            "sessionmaker": sessionmaker(bind=engine, expire_on_commit=False),
        }
        app.teardown_appcontext(self._teardown)

    @staticmethod
    def _state():
        from flask import current_app

        return current_app.extensions["caseflow.db"]

    @property
    def engine(self) -> Engine:
        return self._state()["engine"]

    def bind_sessions_to(self, app: Flask, bind, **options) -> None:
        """Tests: make every session of ``app`` use ``bind`` (a connection inside a transaction)."""
        app.extensions["caseflow.db"]["sessionmaker"] = sessionmaker(
            bind=bind, expire_on_commit=False, **options
        )

    @property
    def session(self) -> Session:
        sess = g.get("_caseflow_session")
        if sess is None:
            sess = self._state()["sessionmaker"]()
            g._caseflow_session = sess
        return sess

    @staticmethod
    def _teardown(_exc) -> None:
        sess = g.pop("_caseflow_session", None)
        if sess is not None:
            sess.rollback()
            sess.close()

    def commit(self) -> None:
        sess = g.get("_caseflow_session")
        if sess is not None:
            sess.commit()

    def rollback(self) -> None:
        sess = g.get("_caseflow_session")
        if sess is not None:
            sess.rollback()


#: what a database error means for the request that met it (``failure_kind``)
CONFLICT, BUSY, FULL, UNREACHABLE, OTHER = "conflict", "busy", "full", "unreachable", "other"
#: PostgreSQL's SQLSTATEs of a server gone or going: connection exceptions, shutdown, crash, too many
_GONE = ("08", "57P01", "57P02", "57P03", "53300")
_WORDS = ((FULL, ("disk is full", "no space left", "could not extend file")),
          (BUSY, ("database is locked", "database is busy")),
          (UNREACHABLE, ("connection", "server closed", "shutting down", "terminating", "unable to open database")))


def failure_kind(exc: BaseException) -> str:
    """A database error, as the answer should say it: ``conflict`` (another transaction won: try
    again, 409), ``busy`` (SQLite's lock not had in time), ``full`` (no space left: 507),
    ``unreachable`` (the server is down, restarting or refusing connections: 503), or ``other``: a
    fault of the statement itself (a missing table, bad SQL), which is a bug and answered as one (a
    500 logged with its traceback), never passed off as an outage."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None) or ""
    name = getattr(orig, "sqlite_errorname", None) or ""
    if state.startswith("40"):  # serialization failure, deadlock
        return CONFLICT
    if state == "53100" or name == "SQLITE_FULL":
        return FULL
    if state.startswith(_GONE) or name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")):
        return UNREACHABLE
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or name.startswith(("SQLITE_BUSY_", "SQLITE_LOCKED_")):
        return BUSY
    if state or name:  # the server answered, and named another fault
        return OTHER
    text = str(orig).lower()  # no code at all: psycopg's own connection failures, and injected ones
    for kind, words in _WORDS:
        if any(w in text for w in words):
            return kind
    return UNREACHABLE if type(orig).__module__.startswith("psycopg") else OTHER
