"""Domain exceptions, mapped once to HTML and JSON responses (see ``caseflow.web``).

Each carries an HTTP status, a short title and a detail in words; ``errors`` holds per-field
messages for validation failures. Messages are built with lazy_gettext so they render in the
reader's language.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    title = _l("Bad request")
    type_slug = "bad-request"

    def __init__(self, detail=None, *, errors: dict | None = None, extra: dict | None = None):
        super().__init__(str(detail) if detail is not None else str(self.title))
        self.detail = detail if detail is not None else self.title
        self.errors = errors or {}
        self.extra = extra or {}


class Unauthorized(DomainError):
    status = 401
    title = _l("Sign in first")
    type_slug = "unauthorized"


class PreconditionRequired(DomainError):
    status = 428
    title = _l("Send the version you saw (If-Match)")
    type_slug = "precondition-required"


class Forbidden(DomainError):
    status = 403
    title = _l("Not allowed")
    type_slug = "forbidden"


class NotFound(DomainError):
    status = 404
    title = _l("Not found")
    type_slug = "not-found"


class Conflict(DomainError):
    """The action does not fit the record's current state."""

    status = 409
    title = _l("Not possible in the current state")
    type_slug = "invalid-state"


class StaleVersion(Conflict):
    title = _l("This case was changed by someone else")
    type_slug = "stale-version"


class BadHeader(DomainError):
    """API: a request header that cannot be read (a malformed If-Match); ``errors`` names it."""

    status = 400
    title = _l("A request header cannot be read")
    type_slug = "bad-header"


class PreconditionFailed(DomainError):
    """API: If-Match named an old version."""

    status = 412
    title = _l("This case was changed by someone else")
    type_slug = "precondition-failed"


class ValidationFailed(DomainError):
    status = 422
    title = _l("Some fields need attention")
    type_slug = "validation"


class GuardRefused(DomainError):
    status = 422
    title = _l("A rule of the workflow refuses this")
    type_slug = "guard-refused"

