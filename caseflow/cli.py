"""flask --app caseflow <group> <command>: database, users, demo data, audit.

Each command runs in one transaction and commits once at its end (rollback on any error).
Passwords are prompted for, or read from standard input with --password-stdin; never arguments.
"""

from __future__ import annotations

import functools
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from caseflow.db import write_intent
from caseflow.errors import DomainError
from caseflow.extensions import db


def in_transaction(fn):
    """Run the command as one writing transaction, committed at its end, rolled back on any error."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        token = write_intent.set(True)
        try:
            result = fn(*args, **kwargs)
            db.commit()
            return result
        except BaseException:
            db.rollback()
            raise
        finally:
            write_intent.reset(token)

    return wrapper


def one_line(exc: Exception) -> str:
    """What a failed command prints: a domain error's message (and its fields), or the kind of
    failure; never a traceback, and never a database error's statement or values (they may hold
    a child's data)."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, DomainError):
        return "; ".join([str(exc.detail)] + [f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items()])
    if isinstance(exc, SQLAlchemyError):
        cause = type(getattr(exc, "orig", None) or exc).__name__
        return f"the database refused the command ({cause}); nothing was saved"
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class CommandGroup(AppGroup):
    """A command group whose every failure is one clear line on stderr and exit 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the line says what failed (the app context rolled back)
            raise click.ClickException(one_line(exc)) from None


db_cli = CommandGroup("db", help="The database schema (Alembic migrations).")
users_cli = CommandGroup("users", help="User accounts.")
demo_cli = CommandGroup("demo", help="Demonstration data (never in production).")
audit_cli = CommandGroup("audit", help="The tamper-evident audit log.")
export_cli = CommandGroup("export", help="Excel exports for auditors.")
tokens_cli = CommandGroup("tokens", help="Personal API tokens.")
import_cli = CommandGroup("import", help="Excel imports of detention lists.")
report_cli = CommandGroup("report", help="Statistics for the Secretary-General's reports.")
jobs_cli = CommandGroup("jobs", help="Background work (Celery) and the schedule's tasks.")
protection_cli = CommandGroup("protection", help="Data protection: the master key, retention and erasure.")
workflows_cli = CommandGroup("workflows",
                             help="The workflow files: what is in force, and moving cases between versions.")


@db_cli.command("create-roles")
@click.option("--owner", default="caseflow_owner", show_default=True, help="owns the tables, runs migrations")
@click.option("--app-role", default="caseflow_app", show_default=True, help="the role in the app's DATABASE_URL")
def db_create_roles(owner, app_role):
    """PostgreSQL: the owner and application roles; the application may not erase audit evidence.
    Run once after `db upgrade`, connected as a superuser or the database's owner."""
    from caseflow.audit.roles import RolesError, create_roles

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
    from caseflow.migrate import current_revision, upgrade

    upgrade(db.engine, revision)
    click.echo(f"database at revision {current_revision(db.engine)}")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _user(email):
    from caseflow.auth.operations import find_user

    user = find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    return user


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "registrar", "reviewer", "assessor",
                                                           "partner", "auditor"]))
@click.option("--organisation", required=True, help="organisation name")
@click.option("--locale", default="en", type=click.Choice(["en", "fr"]))
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@in_transaction
def users_create(email, full_name, role, organisation, locale, password_stdin):
    """Create a user (the password is prompted for)."""
    from caseflow.auth.operations import create_user, get_organisation

    org = get_organisation(db.session, organisation)
    user = create_user(db.session, email=email, full_name=full_name, role=role, organisation=org,
                       password=_read_password(password_stdin), locale=locale, actor=None)
    click.echo(f"created {user.email} ({user.role}, {org.name})")


@users_cli.command("disable")
@click.argument("email")
@in_transaction
def users_disable(email):
    """Disable a user; their open sessions end at once."""
    from caseflow.auth.operations import set_active

    set_active(db.session, _user(email), False)
    click.echo(f"disabled {email}")


@users_cli.command("enable")
@click.argument("email")
@in_transaction
def users_enable(email):
    from caseflow.auth.operations import set_active

    set_active(db.session, _user(email), True)
    click.echo(f"enabled {email}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["admin", "registrar", "reviewer", "assessor", "partner", "auditor"]))
@in_transaction
def users_set_role(email, role):
    from caseflow.auth.operations import set_role

    set_role(db.session, _user(email), role)
    click.echo(f"{email} is now {role}")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True)
@in_transaction
def users_set_password(email, password_stdin):
    from caseflow.auth.operations import set_password

    set_password(db.session, _user(email), _read_password(password_stdin))
    click.echo(f"password set for {email}; their sessions were ended")


@users_cli.command("list")
def users_list():
    from caseflow.auth.models import User

    for u in db.session.scalars(select(User).order_by(User.email)):
        state = "active" if u.active else "disabled"
        click.echo(f"{u.email:40} {u.role:10} {state:8} {u.organisation.name}")


@demo_cli.command("load")
@in_transaction
def demo_load():
    """Organisations, one user per role (three reviewers) and a few cases; safe to run twice."""
    from caseflow.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo

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
    import os
    import shlex

    program = sys.argv[0] if sys.argv and os.path.basename(sys.argv[0]) == "flask" else "flask"
    return f"{shlex.quote(os.path.relpath(program) if os.sep in program else program)} --app caseflow {words}"


@demo_cli.command("code")
def demo_code():
    """The demo users' second-factor code of this moment (never in production)."""
    from caseflow.auth.second_factor import code_now
    from caseflow.demo import DEMO_TOTP_SECRET

    if not current_app.config.get("ALLOW_DEMO_DATA"):
        raise click.ClickException("demo data is refused in production")
    click.echo(code_now(DEMO_TOTP_SECRET))


@audit_cli.command("verify")
@click.option("--case", "case_code", help="only this case's chain")
@click.option("--against", "token", help="a signed tree head printed earlier by `audit heads` (or an older digest)")
def audit_verify(case_code, token):
    """Recompute every chain; exit 1 on the first broken link or a digest mismatch."""
    from caseflow.audit.digest import check_against
    from caseflow.audit.verify import verify_at_one_moment

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
    from caseflow.audit.heads import SignedHead
    from caseflow.audit.publish import NoSigningKey, publish

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


@audit_cli.command("bundle")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def audit_bundle(path):
    """Write the latest signed tree head and every leaf hash to PATH, for a witness with no network
    path to the server (`flask audit witness PATH`)."""
    import base64
    import json

    from caseflow.audit.heads import SignedHead
    from caseflow.audit.publish import latest_head, leaf_hashes
    from caseflow.audit.witness import BUNDLE_FORMAT

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

    from caseflow.audit.witness import Alarm, SourceError, State, observe, open_source

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
    import os

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from caseflow.audit.signing import _unb64, new_seed, public_text

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
    from caseflow.audit.signing import signer

    key = signer().public
    if key is None:
        raise click.ClickException("no audit signing key is configured")
    click.echo(key)


@audit_cli.command("verify-export")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase", envvar="CASEFLOW_EXPORT_PASSPHRASE", default=None,
              help="an encrypted workbook's passphrase (or CASEFLOW_EXPORT_PASSPHRASE; asked for when needed)")
@click.option("--key", "keys", multiple=True, help="an audit public key to trust (`flask audit public-key`), "
                                                  "besides the configured ones")
def audit_verify_export(path, passphrase, keys):
    """Verify an exported workbook offline: every chain in its History sheet against its About digest,
    and every cell of every sheet against the seals signed on its About sheet."""
    from caseflow.exports.protect import is_encrypted
    from caseflow.exports.verify import UnreadableExport, verify_export

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


#: the shortest passphrase an identifying export may be encrypted with
SHORTEST_PASSPHRASE = 12


def export_passphrase(passphrase_file) -> str:
    """The passphrase of an identifying export: the first line of ``--passphrase-file``, else
    CASEFLOW_EXPORT_PASSPHRASE, else typed twice at a prompt; never a bare argument (it would stay in
    the shell's history). Whoever opens the workbook needs it: Caseflow keeps it nowhere."""
    import os

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

    from caseflow.auth.operations import get_organisation
    from caseflow.cases.operations import check_purpose
    from caseflow.exports.operations import check_may_export, export_to_file, parse_filters, record_export
    from caseflow.exports.workbook import count_events

    user = _user(as_email)
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
        record_export(db.session, _user(as_email), outcome)
        db.commit()
    finally:
        write_intent.reset(token)
    rows = outcome["rows"]
    sealed = "; encrypted with the passphrase given" if identity else ""
    click.echo(f"wrote {output}: {rows['cases']} cases, {rows['history']} history rows; sha256 {outcome['sha256']}"
               f"{sealed}")


@import_cli.command("cases")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "as_email", required=True, help="the registrar in whose name the cases are opened")
@click.option("--dry-run", is_flag=True, help="only show the preview: errors and likely duplicates")
@click.option("--workflow", default=None, help="the workflow the cases follow (default: the default workflow)")
@in_transaction
def import_cases(path, as_email, dry_run, workflow):
    """Import a detention list: all rows or none."""
    import os

    from caseflow.imports.operations import file_digest, import_rows, preview

    name = os.path.basename(path)
    workflow = workflow or current_app.config["DEFAULT_WORKFLOW"]
    result = preview(db.session, path, name, file_digest(path), _user(as_email), workflow)
    for row in result.rows:
        for f, msgs in row.errors.items():
            click.echo(f"row {row.number}, {f}: {' '.join(map(str, msgs))}")
        if row.duplicates:
            click.echo(f"row {row.number}: likely duplicate ({', '.join(map(str, row.duplicates))})")
    if dry_run:
        click.echo(f"{len(result.rows)} rows, {result.error_count} with errors; nothing imported (dry run)")
        return
    created = import_rows(db.session, path, name, _user(as_email), workflow=workflow)
    click.echo(f"imported {len(created)} cases: {created[0].code} … {created[-1].code}")


@tokens_cli.command("create")
@click.option("--as", "as_email", required=True, help="the user the token acts as")
@click.option("--name", required=True)
@click.option("--days", default=90, show_default=True, type=int)
@in_transaction
def tokens_create(as_email, name, days):
    """Create a token; it is printed once and stored only as a digest."""
    from caseflow.auth.operations import create_token

    token, plain = create_token(db.session, _user(as_email), name, days)
    click.echo(plain)
    click.echo(f"token {token.prefix}… for {as_email}, expires {token.expires_at:%Y-%m-%d}", err=True)


@tokens_cli.command("revoke")
@click.argument("prefix")
@in_transaction
def tokens_revoke(prefix):
    """Revoke the token whose first characters are PREFIX (as listed by `tokens list`)."""
    from caseflow.auth.models import ApiToken
    from caseflow.auth.operations import revoke_token

    tokens = list(db.session.scalars(select(ApiToken).where(ApiToken.prefix.startswith(prefix))))
    if len(tokens) != 1:
        raise click.ClickException(f"{len(tokens)} tokens match {prefix!r}; give more characters")
    revoke_token(db.session, tokens[0], None)
    click.echo(f"revoked {tokens[0].prefix}…")


@tokens_cli.command("list")
def tokens_list():
    from caseflow.auth.models import ApiToken

    for t in db.session.scalars(select(ApiToken).order_by(ApiToken.created_at)):
        state = "revoked" if t.revoked_at else ("expired" if not t.usable else "active")
        click.echo(f"{t.prefix}…  {t.user.email:34} {t.name:20} {state:8} expires {t.expires_at:%Y-%m-%d}")


@report_cli.command("period")
@click.option("--from", "date_from", required=True, help="first day (YYYY-MM-DD)")
@click.option("--to", "date_to", required=True, help="last day, inclusive (YYYY-MM-DD)")
@click.option("--as-of", "as_of", help="the records as they stood then (ISO 8601, UTC; default: now)")
@click.option("--by", default="sex,age_band", show_default=True, help="one or two dimensions")
@click.option("--as", "as_email", required=True, help="the auditor, reviewer or partner making it")
@click.option("--lang", default="en", type=click.Choice(["en", "fr"]), show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="FILE.xlsx, or FILE.csv for statisticians")
@in_transaction
def report_period(date_from, date_to, as_of, by, as_email, lang, output):
    """Write the period report (recorded like one made on the page)."""
    from flask_babel import force_locale

    from caseflow.db import utcnow
    from caseflow.reports.operations import make_period_report
    from caseflow.reports.workbook import write_csv, write_xlsx

    user = _user(as_email)
    fmt = "csv" if output.lower().endswith(".csv") else "xlsx"
    args = {"from": date_from, "to": date_to, "by": by} | ({"as_of": as_of} if as_of else {})
    with force_locale(lang):
        report = make_period_report(db.session, args, user, output=fmt)
        if fmt == "csv":
            with open(output, "w", encoding="utf-8", newline="") as fh:
                fh.write(write_csv(report))
        else:
            write_xlsx(report, output, made_by=user.full_name, made_at=utcnow())
    click.echo(f"wrote {output}: {report.children} children counted, as of {report.period.as_of.isoformat()}, "
               f"digest {report.digest}")


@report_cli.command("backfill-facts")
@in_transaction
def report_backfill_facts():
    """File the statistical facts of cases registered before they were kept (once, after migration
    0012); each gets a `facts_recorded` event. Safe to run twice."""
    from caseflow.reports.facts import backfill

    click.echo(f"facts filed for {backfill(db.session)} cases")


@jobs_cli.command("tick")
def jobs_tick():
    """Run the schedule's work once: reminders, purging expired files, sessions and tokens, a signed
    tree head, the day's digest. For one machine without `celery beat` (cron every 5 or 10 minutes);
    safe to run at any time."""
    from caseflow.jobs.tasks import daily_digest, publish_heads, purge, send_reminders

    click.echo(f"reminders: {send_reminders()}")
    click.echo("purged: " + ", ".join(f"{k} {v}" for k, v in purge().items()))
    click.echo(f"tree head: {publish_heads()}")
    job = daily_digest()
    click.echo(f"daily digest: {'taken (job ' + job + ')' if job else 'already taken today'}")


@protection_cli.command("new-key")
def protection_new_key():
    """Print a new master key (32 random bytes, base64) for CASEFLOW_MASTER_KEY or its file."""
    from caseflow.protection.keys import new_key_text

    click.echo(new_key_text())


@protection_cli.command("rotate-master-key")
@in_transaction
def protection_rotate():
    """Seal again with the current master key what an earlier one (CASEFLOW_MASTER_KEY_PREVIOUS)
    sealed: case data keys and second-factor secrets; remake the name index. Recorded."""
    from caseflow.protection.operations import rotate_master_key

    counts = rotate_master_key(db.session)
    click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))


@protection_cli.command("propose-erasures")
@in_transaction
def protection_propose():
    """Propose the erasure of every identity past its workflow's retention (an auditor and an
    administrator then approve each on the data-protection page)."""
    from caseflow.protection.operations import propose_erasures

    made = propose_erasures(db.session)
    click.echo(f"{len(made)} erasures proposed")


@workflows_cli.command("list")
def workflows_list():
    """The workflows in force, the versions cases may still run on, and the country overlay."""
    from caseflow.workflow.engine import catalogue

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

    from caseflow.workflow.diagram import render_svg
    from caseflow.workflow.engine import workflows

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
    from caseflow.cases.queries import on_earlier_version
    from caseflow.workflow.versions import migrate_cases

    result = migrate_cases(db.session, name, lambda wf: on_earlier_version(db.session, wf), dry_run=dry_run)
    for code, old, before, after in result.moved:
        click.echo(f"{code}: v{old} {before} -> v{result.to_version} {after}")
    click.echo(f"{len(result.moved)} cases {'would move' if dry_run else 'moved'} to {name} v{result.to_version}")


def init_cli(app: Flask) -> None:
    for group in (db_cli, users_cli, demo_cli, audit_cli, export_cli, import_cli, tokens_cli, report_cli, jobs_cli,
                  workflows_cli, protection_cli):
        app.cli.add_command(group)
