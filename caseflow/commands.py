"""What every operator's command shares: one transaction committed at its end (rollback on any
error), one clear line for a failure, passwords prompted for or read from standard input (never
arguments). The commands live beside their features (``<feature>/commands.py``); ``cli.py``
registers them."""

from __future__ import annotations

import functools

import click
from flask.cli import AppGroup

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
