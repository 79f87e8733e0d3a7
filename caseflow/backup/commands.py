"""Operators' commands for backups: make one while the app serves, prove one, restore one."""

from __future__ import annotations

import sys

import click

from caseflow.backup.archive import BackupError
from caseflow.backup.operations import create, refuse, restore, sign_head, verify
from caseflow.commands import CommandGroup
from caseflow.db import write_intent
from caseflow.extensions import db

backup_cli = CommandGroup("backup", help="Backups that prove themselves against the signed audit log.")


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_create(path):
    """Write a consistent backup to PATH while the app serves: the database with its stored files,
    and a manifest signed with the audit key (the latest tree head, every file's SHA-256)."""
    token = write_intent.set(True)
    try:
        refuse(path)
        sign_head(db.session)
        db.commit()
        made = create(db.engine, path)
    except BackupError as exc:
        db.rollback()
        raise click.ClickException(str(exc)) from None
    finally:
        write_intent.reset(token)
    m = made.manifest
    head = m["head"] or {}
    click.echo(f"{path}: {m['database']['kind']} at revision {m['revision']}, {len(m['files'])} files, "
               f"head of {head.get('tree_size', 0)} events")
    if head:
        click.echo(head["token"])


@backup_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--against", "kept", multiple=True,
              help="a signed tree head kept elsewhere (`audit heads`, a witness): the backup must not be older")
@click.option("--scratch-url", default=None,
              help="PostgreSQL: the server where a scratch database is made (default: DATABASE_URL's)")
def backup_verify(path, kept, scratch_url):
    """Check the manifest's signature and hashes, restore into a scratch database, run `audit
    verify` there and check its head and files against the manifest. Exit 1 on any problem."""
    try:
        check = verify(path, scratch_url or db.engine.url, tuple(kept))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    for problem in check.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    if not check.ok:
        sys.exit(1)
    click.echo(f"OK: {check.events} events in {check.chains} chains verify, {check.files} files match, "
               f"head of {(check.manifest.get('head') or {}).get('tree_size', 0)} events")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="replace a database that is not empty")
def backup_restore(path, force):
    """Restore PATH into DATABASE_URL (stop the app first). Then `flask db upgrade` if the backup is
    of an earlier revision, `flask db create-roles` on PostgreSQL, and `flask audit verify`."""
    try:
        done = restore(path, db.engine, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    head = done["head"] or {}
    click.echo(f"restored: revision {done['revision']}, head of {head.get('tree_size', 0)} events")
