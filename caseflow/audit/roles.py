"""Two database roles on PostgreSQL, so that the application cannot erase its own evidence.

- the **owner** role owns every table, trigger and function and runs the migrations;
- the **application** role (the one in the app's DATABASE_URL) may read and write the case tables,
  may only SELECT and INSERT audit events (and the log's leaves, signed tree heads and witness
  confirmations), and may only move chain heads forward (UPDATE, checked
  by a trigger). It owns nothing, so it cannot drop or disable a trigger, alter a table, or
  TRUNCATE; it has no UPDATE or DELETE on audit events.

SQLite, the embedded default, has no roles: whoever can write the file can rewrite it (the hash
chains and a digest kept elsewhere still show it).
"""

from __future__ import annotations

import re

from sqlalchemy import text

#: evidence: the application may read and add, never change or remove
APPEND_ONLY = ("audit_events", "audit_log_leaves", "audit_tree_heads", "audit_witness_confirmations")
CHAIN_HEADS = "audit_chain_heads"
READ_ONLY = ("alembic_version",)
IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RolesError(RuntimeError):
    pass


def create_roles(connection, owner: str, app_role: str) -> list[str]:
    """Create (if missing) the two roles, give every table to the owner and grant the application
    role what it needs, nothing more. Runs as a superuser or the database's owner. Returns the
    statements run, for the operator's log."""
    if connection.dialect.name != "postgresql":
        raise RolesError("SQLite has no database roles: anyone who can write the file can change it. "
                         "Use PostgreSQL in production (see README, Production).")
    for name in (owner, app_role):
        if not IDENT.match(name):
            raise RolesError(f"{name!r} is not a plain role name (lower-case letters, digits, _)")
    if owner == app_role:
        raise RolesError("the owner and the application must be two roles")
    done = []

    def run(sql: str) -> None:
        connection.execute(text(sql))
        done.append(sql)

    existing = set(connection.execute(text("SELECT rolname FROM pg_roles")).scalars())
    for name in (owner, app_role):
        if name not in existing:
            run(f'CREATE ROLE "{name}" LOGIN')
    database = connection.execute(text("SELECT current_database()")).scalar()
    tables = list(connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).scalars())
    sequences = list(connection.execute(text(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename")).scalars())
    functions = list(connection.execute(text(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.proname LIKE 'caseflow_%'")).scalars())
    run(f'GRANT CONNECT ON DATABASE "{database}" TO "{app_role}"')
    run("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    run(f'GRANT USAGE, CREATE ON SCHEMA public TO "{owner}"')
    run(f'GRANT USAGE ON SCHEMA public TO "{app_role}"')
    for table in tables:
        run(f'ALTER TABLE public."{table}" OWNER TO "{owner}"')
        run(f'REVOKE ALL ON public."{table}" FROM "{app_role}", PUBLIC')
        if table in APPEND_ONLY:
            grant = "SELECT, INSERT"
        elif table == CHAIN_HEADS:
            grant = "SELECT, INSERT, UPDATE"  # forward only, by trigger
        elif table in READ_ONLY:
            grant = "SELECT"
        else:
            grant = "SELECT, INSERT, UPDATE, DELETE"
        run(f'GRANT {grant} ON public."{table}" TO "{app_role}"')
    for seq in sequences:
        run(f'ALTER SEQUENCE public."{seq}" OWNER TO "{owner}"')
        run(f'GRANT USAGE, SELECT ON SEQUENCE public."{seq}" TO "{app_role}"')
    for fn in functions:
        run(f"ALTER FUNCTION {fn} OWNER TO \"{owner}\"")
    # tables a later migration makes (as the owner) are the application's to use like the others
    run(f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{app_role}"')
    run(f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
        f'GRANT USAGE, SELECT ON SEQUENCES TO "{app_role}"')
    return done
