"""Operators' commands for the workflow files in force and moving cases between their
versions."""

from __future__ import annotations

import click

from caseflow.cases.queries import on_earlier_version
from caseflow.commands import CommandGroup, in_transaction
from caseflow.extensions import db
from caseflow.workflow.diagram import render_svg
from caseflow.workflow.engine import catalogue, workflows
from caseflow.workflow.versions import migrate_cases

workflows_cli = CommandGroup(
    "workflows",
    help="The workflow files: what is in force, and moving cases between versions.",
)


@workflows_cli.command("list")
def workflows_list():
    """The workflows in force, the versions cases may still run on, and the country overlay."""

    cat = catalogue()
    for (name, version), wf in sorted(cat.versions.items()):
        flag = "in force" if cat.current[name] is wf else "past"
        click.echo(f"{name} v{version} ({flag}){' default' if wf.default and flag == 'in force' else ''}: {wf.path}")
    if cat.overlay:
        click.echo(f"settings overlay: {cat.overlay['path']} ({cat.overlay['country']['en']})")


@workflows_cli.command("draw")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--lang", default="en", type=click.Choice(["en", "fr"]))
def workflows_draw(folder, lang):
    """Write each workflow in force as FOLDER/<name>.svg (the pictures in the README)."""
    from pathlib import Path

    Path(folder).mkdir(parents=True, exist_ok=True)
    for name, wf in sorted(workflows().items()):
        path = Path(folder) / f"{name}.svg"
        path.write_text(standalone_svg(render_svg(wf, lang)), encoding="utf-8")
        click.echo(str(path))


def standalone_svg(svg: str) -> str:
    """The page's diagram as a file: the page's CSS for boxes and text, inline."""
    style = ("<style>rect{fill:#fff;stroke:#1f3a5f;stroke-width:1.5}.initial rect{fill:#e3edf7}"
             ".final rect{fill:#eef3e8}text{font:14px sans-serif;fill:#111}</style>")
    head, _, rest = svg.partition(">")
    return f"{head}>{style}{rest}\n"


@workflows_cli.command("migrate")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="only list which case moves from which state to which")
@in_transaction
def workflows_migrate(name, dry_run):
    """Move the cases of NAME that run on an earlier version to the version in force, as its file's
    migrate_from says; one audited event per case, all cases or none."""

    result = migrate_cases(db.session, name, lambda wf: on_earlier_version(db.session, wf), dry_run=dry_run)
    for code, old, before, after in result.moved:
        click.echo(f"{code}: v{old} {before} -> v{result.to_version} {after}")
    click.echo(f"{len(result.moved)} cases {'would move' if dry_run else 'moved'} to {name} v{result.to_version}")
