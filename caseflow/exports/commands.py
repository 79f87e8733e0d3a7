"""Operators' commands for the auditor's Excel export, and its offline verification (``audit
verify-export``, in the audit group)."""

from __future__ import annotations

import os
import sys

import click

from caseflow.audit.commands import audit_cli
from caseflow.auth.commands import user_by_email
from caseflow.auth.operations import get_organisation
from caseflow.cases.operations import check_purpose
from caseflow.commands import CommandGroup
from caseflow.db import write_intent
from caseflow.exports.operations import check_may_export, export_to_file, parse_filters, record_export
from caseflow.exports.protect import is_encrypted
from caseflow.exports.verify import UnreadableExport, verify_export
from caseflow.exports.workbook import count_events
from caseflow.extensions import db

export_cli = CommandGroup("export", help="Excel exports for auditors.")


#: the shortest passphrase an identifying export may be encrypted with
SHORTEST_PASSPHRASE = 12


def export_passphrase(passphrase_file) -> str:
    """The passphrase of an identifying export: the first line of ``--passphrase-file``, else
    CASEFLOW_EXPORT_PASSPHRASE, else typed twice at a prompt; never a bare argument (it would stay in
    the shell's history). Whoever opens the workbook needs it: Caseflow keeps it nowhere."""

    if passphrase_file is not None:
        phrase = passphrase_file.readline().rstrip("\r\n")
    elif os.environ.get("CASEFLOW_EXPORT_PASSPHRASE"):
        phrase = os.environ["CASEFLOW_EXPORT_PASSPHRASE"]
    elif sys.stdin is not None and sys.stdin.isatty():
        phrase = click.prompt("passphrase for the encrypted workbook", hide_input=True, confirmation_prompt=True)
    else:
        raise click.UsageError("identifying data leaves only in an encrypted workbook: give its passphrase with "
                               "--passphrase-file or CASEFLOW_EXPORT_PASSPHRASE, or run the command in a terminal")
    if len(phrase) < SHORTEST_PASSPHRASE:
        raise click.UsageError(f"the passphrase must have at least {SHORTEST_PASSPHRASE} characters")
    return phrase


@export_cli.command("cases")
@click.option("--as", "as_email", required=True, help="the auditor in whose name the export is made")
@click.option("--state", multiple=True)
@click.option("--from", "date_from", help="registered on or after (YYYY-MM-DD)")
@click.option("--to", "date_to", help="registered on or before (YYYY-MM-DD)")
@click.option("--region")
@click.option("--organisation", help="organisation name (registering or receiving)")
@click.option("--code", "codes", multiple=True, help="a case code (repeatable)")
@click.option("--identity", is_flag=True, help="include identifying data, in an encrypted workbook (roles that may "
                                               "see it; needs --purpose and a passphrase)")
@click.option("--purpose", help="with --identity: why identifying data is needed (one of the role's purposes: audit)")
@click.option("--passphrase-file", type=click.File("r"), help="with --identity: a file whose first line is the "
              "passphrase (or CASEFLOW_EXPORT_PASSPHRASE; asked for when neither is given)")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def export_cases(as_email, state, date_from, date_to, region, organisation, codes, identity, purpose,
                 passphrase_file, output):
    """Write the auditor's workbook, with a progress bar; the export is recorded. With --identity
    the workbook is encrypted with the passphrase given (Excel and LibreOffice open it)."""
    from werkzeug.datastructures import MultiDict

    user = user_by_email(as_email)
    form = MultiDict([("state", s) for s in state] + [("date_from", date_from or ""), ("date_to", date_to or ""),
                      ("region", region or ""), ("codes", " ".join(codes))])
    if organisation:
        form["organisation_id"] = str(get_organisation(db.session, organisation).id)
    filters = parse_filters(form)
    passphrase = None
    if identity:  # refused before the passphrase is asked for, if refused at all
        check_may_export(user, filters, True)
        purpose = check_purpose(None, user, purpose)
        passphrase = export_passphrase(passphrase_file)
    elif purpose or passphrase_file:
        raise click.UsageError("--purpose and --passphrase-file go with --identity")
    total = count_events(db.session, user, filters)
    with click.progressbar(length=max(total, 1), label="history rows", show_pos=True) as bar:
        seen = [0]

        def progress(n):
            bar.update(n - seen[0])
            seen[0] = n

        outcome = export_to_file(db.session, user, filters, identity, output, progress, passphrase=passphrase)
    if identity:
        outcome["purpose"] = purpose
    db.rollback()
    token = write_intent.set(True)
    try:
        record_export(db.session, user_by_email(as_email), outcome)
        db.commit()
    finally:
        write_intent.reset(token)
    rows = outcome["rows"]
    sealed = "; encrypted with the passphrase given" if identity else ""
    click.echo(f"wrote {output}: {rows['cases']} cases, {rows['history']} history rows; sha256 {outcome['sha256']}"
               f"{sealed}")


@audit_cli.command("verify-export")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase", envvar="CASEFLOW_EXPORT_PASSPHRASE", default=None,
              help="an encrypted workbook's passphrase (or CASEFLOW_EXPORT_PASSPHRASE; asked for when needed)")
@click.option("--key", "keys", multiple=True, help="an audit public key to trust (`flask audit public-key`), "
                                                  "besides the configured ones")
def audit_verify_export(path, passphrase, keys):
    """Verify an exported workbook offline: every chain in its History sheet against its About digest,
    and every cell of every sheet against the seals signed on its About sheet."""

    if is_encrypted(path) and not passphrase:
        passphrase = click.prompt("passphrase of the encrypted workbook", hide_input=True)
    try:
        result = verify_export(path, passphrase, list(keys))
    except UnreadableExport as exc:
        raise click.ClickException(str(exc)) from None
    ident = result.about.get("identifying_data", "?")
    click.echo(f"checked {result.report.events} events in {result.report.chains} chains "
               f"(identifying data in the file: {ident})")
    if not result.ok:
        for problem in result.problems()[:5]:
            click.echo(f"BROKEN: {problem}", err=True)
        sys.exit(1)
    click.echo(f"OK: digest {result.root_found} matches the About sheet; every sheet matches its signed seal")
