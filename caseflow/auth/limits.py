"""Rate limits on signing in, with Flask-Limiter: per client address, and per account as typed (the
same for accounts that exist and those that do not, so a limit reveals nothing).

Storage: memory by default (one process); ``CASEFLOW_RATELIMIT_STORAGE_URI=redis://…`` shares the
counts between every worker and node in production. While that Redis cannot be reached, each
process counts in its own memory (Flask-Limiter's in-memory fallback): signing in works, and a
limit holds per worker process until Redis is back. The client address is the one ProxyFix gives
behind ``CASEFLOW_TRUSTED_PROXIES`` proxies. One limiter per application, so that test apps with
other settings in the same process do not share counts.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from caseflow.auth.operations import account_key
from caseflow.auth.second_factor import PENDING


def _account_key() -> str:
    return "account:" + account_key(request.form.get("email", ""))


def _failed(response) -> bool:
    """A successful sign-in redirects; a refused one shows the form again. Only refusals count: an
    answer that says the server could not check (a 503 while the database restarts) costs nothing."""
    return response.status_code != 302 and response.status_code < 500


def init_limits(app: Flask) -> Limiter:
    # Redis down: each process counts on its own meanwhile (so a limit is per worker until it is back,
    # checked again every few seconds), and signing in goes on
    limiter = Limiter(key_func=get_remote_address, app=app, default_limits=[], in_memory_fallback_enabled=True)
    app.extensions["caseflow.limiter"] = limiter
    view = app.view_functions["auth.login"]
    view = limiter.limit(lambda: app.config["LOGIN_RATE_PER_ACCOUNT"], methods=["POST"], key_func=_account_key,
                         deduct_when=_failed, scope="login-account")(view)
    view = limiter.limit(lambda: app.config["LOGIN_RATE_PER_IP"], methods=["POST"], scope="login-ip")(view)
    app.view_functions["auth.login"] = view
    code = app.view_functions["auth.second_factor"]  # a code guessed: per person, and per address
    code = limiter.limit(lambda: app.config["SECOND_FACTOR_RATE"], methods=["POST"], key_func=_pending_key,
                         deduct_when=_failed, scope="second-factor-account")(code)
    code = limiter.limit(lambda: app.config["LOGIN_RATE_PER_IP"], methods=["POST"], scope="second-factor-ip")(code)
    app.view_functions["auth.second_factor"] = code
    return limiter


def _pending_key() -> str:
    from flask import session

    return f"second-factor:{(session.get(PENDING) or {}).get('user')}"
