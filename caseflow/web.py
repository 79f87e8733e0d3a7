"""Request boundary: write intent, request ids, the single commit, and error rendering.

Views and operations never commit. A request that returns normally is committed here once
(a refusal the view renders itself, a failed sign-in recorded, is committed too); one that raised
is rolled back by the error handler. What must wait for the commit (a job handed to the workers,
who read it from the database) is asked for with ``after_commit``. Errors answer JSON (problem+json) to API
paths and to clients that prefer JSON, and an HTML page to everyone else.
"""

from __future__ import annotations

import errno
import logging
import secrets
import time

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, ValidationError

from caseflow.auth.touch import run_pending
from caseflow.db import CONFLICT, FULL, OTHER, UNREACHABLE, failure_kind, write_intent
from caseflow.errors import Conflict, DomainError, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.logs import REQUEST_LOG, request_line
from caseflow.schemas import MAX_ID, UNSTORABLE_MESSAGE, translate_errors, unstorable

log = logging.getLogger("caseflow.web")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class IdConverter(BaseConverter):
    """``<id:name>``: a database id (1 … 2³¹−1); anything else does not match, so it is a 404."""

    regex = r"[1-9][0-9]{0,9}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/problem+json"])
    return best in ("application/json", "application/problem+json")


def problem_response(status: int, title: str, detail: str | None = None, *, errors=None, extra=None,
                     type_slug: str = "about:blank"):
    if wants_json():
        body = {
            "type": type_slug if type_slug == "about:blank" else f"/problems/{type_slug}",
            "title": str(title),
            "status": status,
            "detail": str(detail if detail is not None else title),
        }
        if errors:
            body["errors"] = errors
        if extra:
            body.update(extra)
        if g.get("request_id"):
            body["request_id"] = g.request_id  # the same as the X-Request-Id header and the log line
        resp = jsonify(body)
        resp.status_code = status
        resp.mimetype = "application/problem+json"
        return resp
    html = render_template(
        "errors/error.html", status=status, title=title, detail=detail, errors=errors or {}, extra=extra or {}
    )
    return html, status


def writes(view):
    """Mark a GET view that writes (an audited read, a digest that must hold appends): its
    transaction then begins as a writer's (BEGIN IMMEDIATE on SQLite)."""
    view.caseflow_writes = True
    return view


def _unstorable_fields() -> list[str]:
    """Fields of the query or the form holding a character no field may hold (NUL breaks
    PostgreSQL text; what XML cannot carry would break every export): refused at the door."""

    sources = [request.args] + ([request.form] if request.method not in SAFE_METHODS else [])
    return sorted({key if not unstorable(key) else "_" for source in sources for key, values in source.lists()
                   if unstorable(key) or unstorable(values)})


CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")


def security_headers(app: Flask, response):
    """The same headers on every answer, errors included (a few lines rather than Flask-Talisman:
    one policy, no per-view exceptions, and they must run after the error handlers too)."""
    h = response.headers
    h.setdefault("X-Request-Id", g.get("request_id", ""))
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint != "static":
        h.setdefault("Cache-Control", "no-store")
    if app.config.get("HSTS_SECONDS"):
        h.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains")
    return response


def init_request_hooks(app: Flask) -> None:
    @app.before_request
    def _begin():
        g.request_id = secrets.token_hex(8)
        g.started = time.perf_counter()

        if unstorable(request.path):
            raise NotFound()
        bad = _unstorable_fields()
        if bad:
            raise ValidationFailed(errors={k: [_(UNSTORABLE_MESSAGE)] for k in bad})
        view = app.view_functions.get(request.endpoint or "")
        g.write_token = write_intent.set(request.method not in SAFE_METHODS
                                         or getattr(view, "caseflow_writes", False))

    @app.after_request
    def _commit(response):
        waiting = g.pop("after_commit", [])
        if not g.pop("rolled_back", False):
            try:
                db.commit()
                for then in waiting:
                    then()
            except (IntegrityError, OperationalError) as exc:
                db.rollback()
                log.warning("commit refused (request %s): %s", g.get("request_id"), type(exc).__name__)
                kind = CONFLICT if isinstance(exc, IntegrityError) else failure_kind(exc)
                response = (unavailable(app, kind) if kind in (FULL, UNREACHABLE) else app.make_response(
                    problem_response(409, Conflict.title, same_moment(), type_slug="conflict")))
        log_request(response)
        return security_headers(app, response)

    @app.teardown_request
    def _end(_exc):
        db.rollback()  # nothing left open: the touches below must not wait for this transaction
        token = g.pop("write_token", None)
        if token is not None:
            write_intent.reset(token)

        run_pending()  # "last seen" times, in a short transaction of their own, after the request


def same_moment() -> str:
    return _("Someone else changed this at the same moment. Nothing was saved; please try again.")


def after_commit(then) -> None:
    """Run ``then()`` once the request's commit has succeeded (never when it is refused or the
    request fails): a job is enqueued only when the workers can read it."""
    g.setdefault("after_commit", []).append(then)


def commit_before_answer() -> None:
    """The request's one commit, taken as soon as its change is made, so that the case's row lock
    (and SQLite's write lock) is not held while the answer is built; what the answer reads then runs
    in a reading transaction. A refused commit is a 409, as at the boundary."""
    try:
        db.commit()
    except (IntegrityError, OperationalError) as exc:
        db.rollback()
        log.warning("commit refused (request %s): %s", g.get("request_id"), type(exc).__name__)
        if isinstance(exc, OperationalError) and failure_kind(exc) in (FULL, UNREACHABLE):
            raise  # answered 503 or 507 by the handler
        raise Conflict(same_moment()) from None
    write_intent.set(False)
    reading_without_transaction()


def reading_without_transaction() -> None:
    """What the answer reads after the commit runs in autocommit: each read is one round trip, with
    no BEGIN and COMMIT around it (a read transaction took two more round trips). Each
    statement still sees what was committed when it ran, as under READ COMMITTED. PostgreSQL only
    (SQLite's BEGIN is no round trip, and its driver's transaction handling is set up in db.py). A
    session bound to a connection already in a transaction (the tests') keeps it."""
    from sqlalchemy.engine import Engine

    session = db.session
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def unavailable(app: Flask, kind: str):
    """503 (the database cannot be reached: restarting, down) or 507 (no space left), with
    Retry-After: nothing was saved, and the same request may be sent again."""
    if kind == FULL:
        status, title, detail, slug = 507, _("No space left to save this"), _(
            "The server's disk is full. Nothing was saved; the administrators have been told. Try again later."), \
            "storage-full"
    else:
        status, title, detail, slug = 503, _("Caseflow cannot reach its database just now"), _(
            "Nothing was saved. Please try again in a few seconds."), "unavailable"
    response = app.make_response(problem_response(status, title, detail, type_slug=slug))
    response.headers["Retry-After"] = str(app.config.get("RETRY_AFTER_SECONDS", 5))
    return response


def no_space_left(exc: BaseException | None) -> bool:
    """ENOSPC, raised as it is or under a library's own error (XlsxWriter's FileCreateError)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if any(isinstance(a, OSError) and a.errno == errno.ENOSPC for a in getattr(exc, "args", ())):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def database_failed(app: Flask, exc):
    """A database error met inside a request: another transaction won (409), or the database cannot
    be reached or has no space left (503, 507)."""
    try:
        _rollback()
    except SQLAlchemyError:  # the connection is gone: the pool drops it
        g.rolled_back = True
    try:  # the user, read again after the rollback, for the answer's language
        getattr(g.get("_login_user"), "locale", None)
    except SQLAlchemyError:
        g.pop("_login_user", None)
    if "_login_user" not in g:  # the user could not be read: answered as to someone not signed in
        g._login_user = app.login_manager.anonymous_user()
    kind = failure_kind(exc)
    if kind == OTHER:  # a bug, not an outage: the unexpected error's answer and its traceback in the log
        log.exception("unhandled error (request %s)", g.get("request_id"))
        return problem_response(500, _("Something went wrong"),
                                _("Nothing was saved. The error was logged with request id %(rid)s.",
                                  rid=g.get("request_id", "-")))
    log.warning("database failed (request %s): %s, %s", g.get("request_id"), kind,
                type(getattr(exc, "orig", None) or exc).__name__)
    if kind == CONFLICT:
        return problem_response(409, Conflict.title, same_moment(), type_slug="conflict")
    return unavailable(app, kind)


def log_request(response) -> None:
    """The request's one log line (see ``caseflow.logs``): no path values, no query, no body; built
    only when it is written (not in tests, nor with the level above INFO)."""
    from flask_login import current_user

    if not REQUEST_LOG.isEnabledFor(logging.INFO):
        return

    rule = request.url_rule.rule if request.url_rule is not None else "-"
    try:  # a user not read yet is read now; a database gone meanwhile leaves the line without one
        user = current_user.id if current_user and current_user.is_authenticated else None
    except SQLAlchemyError:
        user = None
    request_line({"request_id": g.get("request_id"), "method": request.method, "route": rule,
                  "status": response.status_code, "ms": round((time.perf_counter() - g.get("started", 0)) * 1000, 1),
                  "user": user})


def _rollback() -> None:
    db.rollback()
    g.rolled_back = True


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        _rollback()
        return problem_response(exc.status, exc.title, exc.detail, errors=exc.errors, extra=exc.extra,
                                type_slug=exc.type_slug)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        _rollback()
        return problem_response(400, _("The form expired or was not sent from Caseflow"),
                                _("Please reload the page and try again."), type_slug="csrf")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        _rollback()
        titles = {
            403: _("Not allowed"),
            404: _("Not found"),
            405: _("Method not allowed"),
            409: _("Not possible in the current state"),
            413: _("The upload is too large"),
            422: _("Some fields need attention"),
            429: _("Too many attempts"),
        }
        details = {
            404: _("There is nothing at this address, or what is here is outside your remit. Check the address, "
                   "or find the case from the case list or your dashboard."),
            429: _("Too many attempts from here or for this account. Wait a few minutes and try again."),
        }
        errors = None
        messages = (getattr(exc, "data", None) or {}).get("messages")  # webargs: {"query": {field: [...]}}
        if isinstance(messages, dict):
            errors = {}
            for part in messages.values():
                errors.update(translate_errors(part) if isinstance(part, dict) else {"_": [str(part)]})
        response = app.make_response(problem_response(
            exc.code or 500, titles.get(exc.code, exc.name), details.get(exc.code), errors=errors,
            type_slug="throttled" if exc.code == 429 else "about:blank"))
        if exc.code == 405 and getattr(exc, "valid_methods", None):  # RFC 9110 §15.5.6
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response

    app.register_error_handler(OperationalError, lambda exc: database_failed(app, exc))
    app.register_error_handler(InterfaceError, lambda exc: database_failed(app, exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if no_space_left(exc):  # a file being written (an export, a backup)
            _rollback()
            log.warning("no space left on device (request %s)", g.get("request_id"))
            return unavailable(app, FULL)
        _rollback()
        log.exception("unhandled error (request %s)", g.get("request_id"))
        return problem_response(500, _("Something went wrong"),
                                _("Nothing was saved. The error was logged with request id %(rid)s.",
                                  rid=g.get("request_id", "-")))
