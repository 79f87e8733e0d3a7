"""Running Alembic from the application (CLI, tests): one place that knows where migrations live."""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from caseflow.config import PROJECT_ROOT
from caseflow.models import Base

MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class NewerDatabase(RuntimeError):
    """The database is at a revision this Caseflow does not know: a newer Caseflow wrote it."""


def refuse_newer(conn: Connection) -> None:
    from alembic.script import ScriptDirectory

    found = MigrationContext.configure(conn).get_current_revision()
    if found is None:
        return
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if found not in known:
        raise NewerDatabase(f"the database is at revision {found}, which this Caseflow (migrations up to "
                            f"{head_revision()}) does not know: "
                            "a newer Caseflow wrote it. Run that version (or restore a backup made by this one); "
                            "nothing was changed")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate in one transaction. On SQLite, a migration that changes a column copies its table
    anew (Alembic's batch mode), which the rows referring to it would refuse: foreign keys are off
    for the migration's connection (SQLite takes that only outside a transaction), checked whole
    before the commit, and on again after. A database written by a newer Caseflow is refused."""
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """One step back (``-1``) or to a revision, the same way (operators: before running an older
    Caseflow on a database; tests: each migration down and up again)."""
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step, revision: str) -> None:
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                refuse_newer(conn)
                step(alembic_config(conn), revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration leaves rows referring to nothing: {broken[:3]}")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_diff(engine: Engine) -> list:
    """Differences between the migrated database and the models (empty when they agree)."""
    from alembic.autogenerate import compare_metadata

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)
