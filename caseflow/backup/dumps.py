"""Copying a database out and back in with each engine's own tools: SQLite's ``VACUUM INTO`` (a
consistent copy while the app writes), PostgreSQL's ``pg_dump -Fc`` taken on an exported snapshot
(so the manifest's files and head are read from the very state that is dumped) and
``pg_restore --single-transaction`` (all of it or nothing)."""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, Engine, make_url

from caseflow.backup.archive import BackupError


def as_url(value) -> URL:
    """A URL object as it is (``str()`` of one hides its password), or one parsed from text."""
    return value if isinstance(value, URL) else make_url(value)


def libpq(url) -> tuple[str, dict]:
    """A libpq URI for the command-line tools, and their environment: the password goes in
    PGPASSWORD, never in an argument anyone's ``ps`` could read."""
    u = as_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    bare = URL.create("postgresql", u.username, None, u.host, u.port, u.database, u.query)
    return bare.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict | None = None) -> None:
    tool = args[0]
    if shutil.which(tool) is None:
        raise BackupError(_("%(tool)s is not installed on this machine (PostgreSQL's client tools).", tool=tool))
    done = subprocess.run(args, env=env, capture_output=True, text=True)  # noqa: S603 - our tool, options, paths
    if done.returncode != 0:  # the tools name tables and roles, never rows
        raise BackupError(_("%(tool)s failed: %(error)s", tool=tool, error=(done.stderr or "").strip()[-500:]))


@contextmanager
def snapshot(engine: Engine, out: str):
    """Dump the database to ``out`` and yield a connection that reads the same state."""
    if engine.dialect.name == "sqlite":
        engine_copy = None
        raw = engine.raw_connection()  # VACUUM runs outside any transaction: the driver's own connection
        try:
            raw.driver_connection.execute("VACUUM INTO ?", (out,))
        finally:
            raw.close()
        try:
            engine_copy = create_engine(f"sqlite:///{out}")
            with engine_copy.connect() as conn:
                yield conn
        finally:
            if engine_copy is not None:
                engine_copy.dispose()
        return
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snap = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            dsn, env = libpq(engine.url)
            _run(["pg_dump", "--format=custom", f"--snapshot={snap}", "--no-owner", "--file", out, dsn], env)
            yield conn


def restore_postgresql(dump: str, url, *, clean: bool) -> None:
    """In one transaction: the tables the dump holds are dropped (``clean``) and restored, or, on
    any error, nothing changed. Privileges are not restored: ``flask db create-roles`` grants them
    on the server restored to."""
    dsn, env = libpq(url)
    args = ["pg_restore", "--single-transaction", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", dsn]
    _run(args + (["--clean", "--if-exists"] if clean else []) + [dump], env)


def restore_sqlite(copy: str, path: str) -> None:
    """The copy moved into place whole; the old database's journal files go with it (the app is stopped)."""
    partial = f"{path}.restoring"
    shutil.copyfile(copy, partial)
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    os.replace(partial, path)


@contextmanager
def scratch_database(kind: str, dump: str, server_url):
    """A database of its own holding the dump, dropped afterwards: yields its engine."""
    if kind == "sqlite":
        engine = create_engine(f"sqlite:///{dump}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    if server_url is None or as_url(server_url).get_backend_name() != "postgresql":
        raise BackupError(_("A PostgreSQL backup is checked on a PostgreSQL server: DATABASE_URL is not one."))
    base = as_url(server_url)
    name = f"caseflow_verify_{os.urandom(6).hex()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - said in one line: the role may not create databases
        admin.dispose()
        raise BackupError(_("A scratch database could not be created (%(error)s): give this role CREATEDB or "
                            "pass --scratch-url.", error=type(exc).__name__)) from None
    engine = None
    try:
        restore_postgresql(dump, base.set(database=name), clean=False)
        engine = create_engine(base.set(database=name))
        yield engine
    finally:
        if engine is not None:
            engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def tables(conn: Connection) -> list[str]:
    from sqlalchemy import inspect

    return inspect(conn).get_table_names()
