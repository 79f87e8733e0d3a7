"""Operators' commands for detention lists imported from Excel."""

from __future__ import annotations

import os

import click
from flask import current_app

from caseflow.auth.commands import user_by_email
from caseflow.commands import CommandGroup, in_transaction
from caseflow.extensions import db
from caseflow.imports.operations import file_digest, import_rows, preview

import_cli = CommandGroup("import", help="Excel imports of detention lists.")


@import_cli.command("cases")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "as_email", required=True, help="the registrar in whose name the cases are opened")
@click.option("--dry-run", is_flag=True, help="only show the preview: errors and likely duplicates")
@click.option("--workflow", default=None, help="the workflow the cases follow (default: the default workflow)")
@in_transaction
def import_cases(path, as_email, dry_run, workflow):
    """Import a detention list: all rows or none."""

    name = os.path.basename(path)
    workflow = workflow or current_app.config["DEFAULT_WORKFLOW"]
    result = preview(db.session, path, name, file_digest(path), user_by_email(as_email), workflow)
    for row in result.rows:
        for f, msgs in row.errors.items():
            click.echo(f"row {row.number}, {f}: {' '.join(map(str, msgs))}")
        if row.duplicates:
            click.echo(f"row {row.number}: likely duplicate ({', '.join(map(str, row.duplicates))})")
    if dry_run:
        click.echo(f"{len(result.rows)} rows, {result.error_count} with errors; nothing imported (dry run)")
        return
    created = import_rows(db.session, path, name, user_by_email(as_email), workflow=workflow)
    click.echo(f"imported {len(created)} cases: {created[0].code} … {created[-1].code}")
