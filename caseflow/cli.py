"""flask --app caseflow <group> <command>: the database and the demo data here; every other group
beside its feature (``<feature>/commands.py``), registered by ``init_cli``."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app

from caseflow.audit.commands import audit_cli
from caseflow.audit.roles import RolesError, create_roles
from caseflow.auth.commands import tokens_cli, users_cli
from caseflow.auth.second_factor import code_now
from caseflow.backup.commands import backup_cli
from caseflow.cases.commands import workflows_cli
from caseflow.commands import CommandGroup, in_transaction
from caseflow.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo
from caseflow.exports.commands import export_cli
from caseflow.extensions import db
from caseflow.imports.commands import import_cli
from caseflow.jobs.commands import jobs_cli
from caseflow.migrate import NewerDatabase, current_revision, upgrade
from caseflow.protection.commands import protection_cli
from caseflow.reports.commands import report_cli

db_cli = CommandGroup("db", help="The database schema (Alembic migrations).")
demo_cli = CommandGroup("demo", help="Demonstration data (never in production).")


@db_cli.command("create-roles")
@click.option("--owner", default="caseflow_owner", show_default=True, help="owns the tables, runs migrations")
@click.option("--app-role", default="caseflow_app", show_default=True, help="the role in the app's DATABASE_URL")
def db_create_roles(owner, app_role):
    """PostgreSQL: the owner and application roles; the application may not erase audit evidence.
    Run once after `db upgrade`, connected as a superuser or the database's owner."""

    try:
        with db.engine.begin() as conn:
            done = create_roles(conn, owner, app_role)
    except RolesError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(done)} statements: {owner} owns every table; {app_role} may only add to the audit trail")
    click.echo(f"next: set passwords (ALTER ROLE … PASSWORD), run migrations as {owner}, the app as {app_role}")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision):
    """Apply the migrations to DATABASE_URL."""

    try:
        upgrade(db.engine, revision)
    except NewerDatabase as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"database at revision {current_revision(db.engine)}")


@demo_cli.command("load")
@in_transaction
def demo_load():
    """Organisations, one user per role (three reviewers) and a few cases; safe to run twice."""

    if not current_app.config.get("ALLOW_DEMO_DATA"):
        raise click.ClickException("demo data is refused in production")
    created, users = load_demo(db.session)
    click.echo("demo data loaded" if created else "demo data already present; nothing added")
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for u in users:
        factor = "  + code" if u.role in current_app.config["SECOND_FACTOR_ROLES"] else ""
        click.echo(f"  {u.role:10} {u.email:34} {u.locale:3} {u.organisation.name}{factor}")
    click.echo(f"\nSecond factor (roles marked + code): every demo user has the TOTP key {DEMO_TOTP_SECRET}.\n"
               f"Add it to an authenticator app, or print the code of this moment with: {_flask_command('demo code')}")


def _flask_command(words: str) -> str:
    """The command that runs ``flask <words>`` as this process was started (the README's
    `.venv/bin/flask --app caseflow …` under make run), for a hint to type."""
    import shlex

    program = sys.argv[0] if sys.argv and os.path.basename(sys.argv[0]) == "flask" else "flask"
    return f"{shlex.quote(os.path.relpath(program) if os.sep in program else program)} --app caseflow {words}"


@demo_cli.command("code")
def demo_code():
    """The demo users' second-factor code of this moment (never in production)."""

    if not current_app.config.get("ALLOW_DEMO_DATA"):
        raise click.ClickException("demo data is refused in production")
    click.echo(code_now(DEMO_TOTP_SECRET))


def init_cli(app: Flask) -> None:
    for group in (db_cli, users_cli, demo_cli, audit_cli, export_cli, import_cli, tokens_cli, report_cli, jobs_cli,
                  workflows_cli, protection_cli, backup_cli):
        app.cli.add_command(group)
