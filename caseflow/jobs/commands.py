"""Operators' commands for background work and the schedule."""

from __future__ import annotations

import click

from caseflow.commands import CommandGroup
from caseflow.extensions import db
from caseflow.jobs.operations import requeue_waiting
from caseflow.jobs.tasks import daily_digest, publish_heads, purge, send_reminders

jobs_cli = CommandGroup("jobs", help="Background work (Celery) and the schedule's tasks.")


@jobs_cli.command("tick")
def jobs_tick():
    """Run the schedule's work once: reminders, purging expired files, sessions and tokens, a signed
    tree head, the day's digest. For one machine without `celery beat` (cron every 5 or 10 minutes);
    safe to run at any time."""

    click.echo(f"reminders: {send_reminders()}")
    click.echo("purged: " + ", ".join(f"{k} {v}" for k, v in purge().items()))
    click.echo(f"tree head: {publish_heads()}")
    click.echo(f"jobs handed to the workers again: {len(requeue_waiting(db.session))}")
    job = daily_digest()
    click.echo(f"daily digest: {'taken (job ' + job + ')' if job else 'already taken today'}")
