"""The application cannot erase its own evidence. On PostgreSQL (the production database) the app
runs as a role that may only add to the audit trail: no UPDATE, DELETE or TRUNCATE of events, no
DDL, chain heads only forward. On SQLite, which has no roles, the command says so plainly; the
forward-only heads trigger holds on both."""

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from caseflow.audit.roles import RolesError, create_roles
from caseflow.db import make_engine
from tests import conftest
from tests.conftest import BACKEND, PG_URL


def test_chain_heads_only_move_forward(session, users, make_case):
    case = make_case()
    session.flush()
    for sql in ("UPDATE audit_chain_heads SET seq = seq - 1 WHERE chain = :c",
                "UPDATE audit_chain_heads SET seq = seq WHERE chain = :c",
                "UPDATE audit_chain_heads SET chain = 'elsewhere' WHERE chain = :c",
                "DELETE FROM audit_chain_heads WHERE chain = :c"):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError, match="only move forward|forward"):
            session.execute(text(sql), {"c": case.code})
        nested.rollback()
    nested = session.begin_nested()
    session.execute(text("UPDATE audit_chain_heads SET seq = seq + 1 WHERE chain = :c"), {"c": case.code})
    nested.rollback()


def test_sqlite_has_no_roles_and_says_so(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        with engine.begin() as conn, pytest.raises(RolesError, match="SQLite has no database roles"):
            create_roles(conn, "caseflow_owner", "caseflow_app")
    finally:
        engine.dispose()


@pytest.fixture
def roles_database(tmp_path_factory):
    if BACKEND != "postgresql":
        yield None
        return
    d = conftest.TestDatabase(tmp_path_factory, "roles")
    yield d
    d.drop()


def test_the_application_role_may_only_add_to_the_audit_trail(roles_database):
    if roles_database is None:  # the SQLite run: checked above that the command refuses
        assert BACKEND == "sqlite" and not PG_URL
        return
    suffix = uuid.uuid4().hex[:8]
    owner, app_role = f"cf_owner_{suffix}", f"cf_app_{suffix}"
    admin = create_engine(make_url(roles_database.url.replace("postgresql://", "postgresql+psycopg://", 1)))
    try:
        with admin.begin() as conn:
            done = create_roles(conn, owner, app_role)
            assert any("OWNER TO" in s for s in done)
            conn.execute(text("INSERT INTO audit_chain_heads (chain, seq, hash) VALUES ('x', 1, 'h')"))
        app = create_engine(make_url(roles_database.url.replace("postgresql://", "postgresql+psycopg://", 1))
                            .set(username=app_role))
        try:
            attacks = [
                "UPDATE audit_events SET action = 'x'",
                "DELETE FROM audit_events",
                "TRUNCATE audit_events",
                "TRUNCATE audit_chain_heads",
                "DROP TRIGGER audit_events_no_update_delete ON audit_events",
                "ALTER TABLE audit_events DISABLE TRIGGER USER",
                "ALTER TABLE audit_chain_heads DISABLE TRIGGER USER",
                "DROP TABLE audit_events",
                "CREATE TABLE sneaky (id int)",
                "UPDATE audit_chain_heads SET seq = 0 WHERE chain = 'x'",
                "DELETE FROM audit_chain_heads",
                # the log over every chain, its signed heads and the witnesses' confirmations
                "UPDATE audit_tree_heads SET root = 'x'",
                "DELETE FROM audit_tree_heads",
                "TRUNCATE audit_tree_heads",
                "UPDATE audit_log_leaves SET leaf_hash = 'x'",
                "DELETE FROM audit_log_leaves",
                "TRUNCATE audit_log_leaves",
                "DELETE FROM audit_witness_confirmations",
                "ALTER TABLE audit_tree_heads DISABLE TRIGGER USER",
            ]
            for sql in attacks:
                with app.connect() as conn, pytest.raises(DBAPIError):
                    conn.execute(text(sql))
            with app.begin() as conn:  # what it may do: read, add, move a head forward, keep the cases
                conn.execute(text("SELECT count(*) FROM audit_events")).scalar()
                conn.execute(text("UPDATE audit_chain_heads SET seq = 2 WHERE chain = 'x'"))
                conn.execute(text("SELECT count(*) FROM audit_tree_heads")).scalar()
                conn.execute(text("SELECT pg_advisory_xact_lock(1)"))  # how one publisher runs at a time
                conn.execute(text("UPDATE case_code_counters SET last = last WHERE false"))
        finally:
            app.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'REASSIGN OWNED BY "{owner}" TO CURRENT_USER'))
            for role in (owner, app_role):
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
