"""Operators' commands for the tamper-evident audit log: verification, signed tree heads,
witnesses, keys."""

from __future__ import annotations

import os
import sys

import click

from caseflow.audit.digest import check_against
from caseflow.audit.heads import SignedHead
from caseflow.audit.publish import NoSigningKey, latest_head, leaf_hashes, publish
from caseflow.audit.signing import _unb64, new_seed, public_text, signer
from caseflow.audit.upgrade import sign_unsigned_heads
from caseflow.audit.verify import verify_at_one_moment
from caseflow.audit.witness import BUNDLE_FORMAT, Alarm, SourceError, State, observe, open_source
from caseflow.commands import CommandGroup
from caseflow.db import write_intent
from caseflow.extensions import db

audit_cli = CommandGroup("audit", help="The tamper-evident audit log.")


@audit_cli.command("verify")
@click.option("--case", "case_code", help="only this case's chain")
@click.option("--against", "token", help="a signed tree head printed earlier by `audit heads` (or an older digest)")
def audit_verify(case_code, token):
    """Recompute every chain; exit 1 on the first broken link or a digest mismatch."""

    report = verify_at_one_moment(case_code)
    click.echo(f"checked {report.events} events in {report.chains} chains in {report.seconds:.2f} s "
               f"({report.rate:,.0f} events/s)")
    if report.erased:  # not a break: their identity was erased by decision, their hashes still verify
        click.echo(f"{len(report.erased)} cases with their identity erased: {', '.join(sorted(report.erased)[:20])}")
    failed = not report.ok
    for b in report.breaks[:5]:
        click.echo(f"BROKEN: {b.describe()}", err=True)
    if token:
        try:
            ok, digest, expected = check_against(db.session, token)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        if ok:
            click.echo(f"digest of {digest.at:%Y-%m-%d %H:%M:%S} UTC matches ({digest.chains} chains)")
        elif digest.log_size is not None and digest.log_size < digest.events:
            failed = True
            click.echo(f"BROKEN: a rollback: the log holds {digest.log_size} events, fewer than the {digest.events} "
                       f"this tree head signed on {digest.at:%Y-%m-%d %H:%M:%S} UTC (restored from an older backup, "
                       "or events removed)", err=True)
        else:
            failed = True
            click.echo(f"BROKEN: the heads as of {digest.at:%Y-%m-%d %H:%M:%S} UTC give {digest.root}, "
                       f"not {expected}: events recorded before then were removed or altered", err=True)
    if failed:
        sys.exit(1)
    click.echo("OK")


@audit_cli.command("heads")
def audit_heads():
    """Take the committed events into the log and print its signed tree head, to keep elsewhere and
    check against later (`audit verify --against`)."""

    token = write_intent.set(True)
    try:
        pub = publish(db.session)
        db.commit()
    except NoSigningKey as exc:
        db.rollback()
        raise click.ClickException(str(exc)) from None
    finally:
        write_intent.reset(token)
    head = SignedHead.of(pub.head)
    click.echo(f"at {head.signed_at:%Y-%m-%d %H:%M:%S} UTC: {head.tree_size} events in the log "
               f"({pub.added} added now)")
    for chain, problem in sorted(pub.held_back.items())[:20]:
        click.echo(f"HELD BACK: chain {chain}: {problem}", err=True)
    click.echo(head.token)


@audit_cli.command("sign-heads")
def audit_sign_heads():
    """Once, after upgrading a database from before signed heads (migration 0014): verify each chain
    whose head is unsigned from its first event and, if it gives its head, append a `chain_verified`
    event to it, whose head is signed. Exit 1 if a chain does not verify."""
    token = write_intent.set(True)
    try:
        signed, refused = sign_unsigned_heads(db.session)
        db.commit()
    except ValueError as exc:
        db.rollback()
        raise click.ClickException(str(exc)) from None
    finally:
        write_intent.reset(token)
    click.echo(f"{len(signed)} chain heads signed after their chains verified")
    for chain in refused[:20]:
        click.echo(f"NOT SIGNED: chain {chain} does not verify (see audit verify)", err=True)
    if refused:
        sys.exit(1)


@audit_cli.command("bundle")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def audit_bundle(path):
    """Write the latest signed tree head and every leaf hash to PATH, for a witness with no network
    path to the server (`flask audit witness PATH`)."""
    import base64
    import json

    row = latest_head(db.session)
    if row is None:
        raise click.ClickException("no tree head has been published yet (flask audit heads)")
    leaves = leaf_hashes(db.session, row.tree_size)
    with open(path, "w") as fh:
        json.dump({"format": BUNDLE_FORMAT, "head": SignedHead.of(row).as_json(),
                   "leaf_hashes": base64.b64encode(b"".join(leaves)).decode()}, fh)
    click.echo(f"{path}: head of size {row.tree_size}")


@audit_cli.command("witness", with_appcontext=False)
@click.argument("source")
@click.option("--state", "state_path", required=True, type=click.Path(dir_okay=False),
              help="the witness's own record (JSON lines, only appended); its key beside it (.key)")
@click.option("--name", default=None, help="how the log's auditors see this witness (default: the host name)")
@click.option("--token", envvar="CASEFLOW_WITNESS_TOKEN", default=None, help="an auditor's API token (URL source)")
@click.option("--log-key", default=None, help="the log's public key (`flask audit public-key`); else pinned "
                                              "at the first run")
def audit_witness(source, state_path, name, token, log_key):
    """Check the log's latest signed head against the last one this witness saw (signature,
    consistency proof), record it and countersign it. SOURCE: the API's URL (…/api/v1) or a bundle
    file. Exit 2 on a fork, a rollback or a bad signature; 1 when the log cannot be read."""
    import socket

    state = State.load(state_path)
    try:
        seen = observe(state, open_source(source, token), name or socket.gethostname(), log_key)
    except Alarm as alarm:
        click.echo(f"ALARM ({alarm.kind}): {alarm}", err=True)
        sys.exit(2)
    except SourceError as exc:
        click.echo(f"cannot read the log: {exc}", err=True)
        sys.exit(1)
    if seen.previous is None:
        click.echo(f"first head seen: size {seen.head.tree_size}; the log's key is pinned in {state_path}")
    else:
        click.echo(f"OK: the log grew from {seen.previous.tree_size} to {seen.head.tree_size} events, consistently")


@audit_cli.command("new-key")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def audit_new_key(path):
    """Write a new Ed25519 audit signing key to PATH (mode 600) and print its public key. Point
    CASEFLOW_AUDIT_SIGNING_KEY_FILE at it; keep the old public key in CASEFLOW_AUDIT_TRUSTED_KEYS."""

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if os.path.exists(path):
        raise click.ClickException(f"{path} exists; not overwritten")
    seed = new_seed()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(seed + "\n")
    click.echo(public_text(Ed25519PrivateKey.from_private_bytes(_unb64(seed)).public_key()))


@audit_cli.command("public-key")
def audit_public_key():
    """Print the public key that checks the heads and digests this application signs."""

    key = signer().public
    if key is None:
        raise click.ClickException("no audit signing key is configured")
    click.echo(key)
