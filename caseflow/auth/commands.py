"""Operators' commands for user accounts and personal API tokens."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from caseflow.auth.models import ApiToken, User
from caseflow.auth.operations import (
    create_token,
    create_user,
    find_user,
    get_organisation,
    revoke_token,
    set_active,
    set_password,
    set_role,
)
from caseflow.commands import CommandGroup, in_transaction
from caseflow.extensions import db

users_cli = CommandGroup("users", help="User accounts.")
tokens_cli = CommandGroup("tokens", help="Personal API tokens.")



def read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def user_by_email(email):
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

    org = get_organisation(db.session, organisation)
    user = create_user(db.session, email=email, full_name=full_name, role=role, organisation=org,
                       password=read_password(password_stdin), locale=locale, actor=None)
    click.echo(f"created {user.email} ({user.role}, {org.name})")


@users_cli.command("disable")
@click.argument("email")
@in_transaction
def users_disable(email):
    """Disable a user; their open sessions end at once."""

    set_active(db.session, user_by_email(email), False)
    click.echo(f"disabled {email}")


@users_cli.command("enable")
@click.argument("email")
@in_transaction
def users_enable(email):
    set_active(db.session, user_by_email(email), True)
    click.echo(f"enabled {email}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["admin", "registrar", "reviewer", "assessor", "partner", "auditor"]))
@in_transaction
def users_set_role(email, role):
    set_role(db.session, user_by_email(email), role)
    click.echo(f"{email} is now {role}")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True)
@in_transaction
def users_set_password(email, password_stdin):
    set_password(db.session, user_by_email(email), read_password(password_stdin))
    click.echo(f"password set for {email}; their sessions were ended")


@users_cli.command("list")
def users_list():
    for u in db.session.scalars(select(User).order_by(User.email)):
        state = "active" if u.active else "disabled"
        click.echo(f"{u.email:40} {u.role:10} {state:8} {u.organisation.name}")


@tokens_cli.command("create")
@click.option("--as", "as_email", required=True, help="the user the token acts as")
@click.option("--name", required=True)
@click.option("--days", default=90, show_default=True, type=int)
@in_transaction
def tokens_create(as_email, name, days):
    """Create a token; it is printed once and stored only as a digest."""

    token, plain = create_token(db.session, user_by_email(as_email), name, days)
    click.echo(plain)
    click.echo(f"token {token.prefix}… for {as_email}, expires {token.expires_at:%Y-%m-%d}", err=True)


@tokens_cli.command("revoke")
@click.argument("prefix")
@in_transaction
def tokens_revoke(prefix):
    """Revoke the token whose first characters are PREFIX (as listed by `tokens list`)."""

    tokens = list(db.session.scalars(select(ApiToken).where(ApiToken.prefix.startswith(prefix))))
    if len(tokens) != 1:
        raise click.ClickException(f"{len(tokens)} tokens match {prefix!r}; give more characters")
    revoke_token(db.session, tokens[0], None)
    click.echo(f"revoked {tokens[0].prefix}…")


@tokens_cli.command("list")
def tokens_list():
    for t in db.session.scalars(select(ApiToken).order_by(ApiToken.created_at)):
        state = "revoked" if t.revoked_at else ("expired" if not t.usable else "active")
        click.echo(f"{t.prefix}…  {t.user.email:34} {t.name:20} {state:8} expires {t.expires_at:%Y-%m-%d}")
