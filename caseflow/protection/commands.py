"""Operators' commands for data protection: the master key, retention and erasure."""

from __future__ import annotations

import click

from caseflow.commands import CommandGroup, in_transaction
from caseflow.extensions import db
from caseflow.protection.operations import propose_erasures, rotate_master_key
from caseflow.sealing.keys import new_key_text

protection_cli = CommandGroup("protection", help="Data protection: the master key, retention and erasure.")


@protection_cli.command("new-key")
def protection_new_key():
    """Print a new master key (32 random bytes, base64) for CASEFLOW_MASTER_KEY or its file."""

    click.echo(new_key_text())


@protection_cli.command("rotate-master-key")
@in_transaction
def protection_rotate():
    """Seal again with the current master key what an earlier one (CASEFLOW_MASTER_KEY_PREVIOUS)
    sealed: case data keys and second-factor secrets; remake the name index. Recorded."""

    counts = rotate_master_key(db.session)
    click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))


@protection_cli.command("propose-erasures")
@in_transaction
def protection_propose():
    """Propose the erasure of every identity past its workflow's retention (an auditor and an
    administrator then approve each on the data-protection page)."""

    made = propose_erasures(db.session)
    click.echo(f"{len(made)} erasures proposed")
