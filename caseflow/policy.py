"""Who may do and see what, read from ``workflows/policy/policy.yaml`` (``CASEFLOW_POLICY_FILE``):
the one place outside the workflow loader where a role is named. Code asks ``may(user, action)``,
``scope_rule(user)`` or ``statistics_rule(user)``; views ask with the ``requires`` decorator;
templates with ``may``."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from flask import current_app

from caseflow.auth.roles import Role
from caseflow.errors import Forbidden

SCOPE_RULES = ("all", "registering_org", "receiving_org", "assigned_assessment", "in_time")
STATISTICS_RULES = ("all", "own_org")


class PolicyError(ValueError):
    """A policy file a reader cannot trust: a role, a rule or a key it does not know."""


def load_policy(path: str | Path) -> dict:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path}: {exc}") from None
    roles = {r.value for r in Role}

    def fail(key, message):
        raise PolicyError(f"{path}: {key}: {message}")

    unknown = set(raw) - {"scope", "statistics", "may"}
    if unknown:
        fail(sorted(unknown)[0], "unknown key (scope, statistics, may)")
    for block, rules in (("scope", SCOPE_RULES), ("statistics", STATISTICS_RULES)):
        for role, rule in (raw.get(block) or {}).items():
            if role not in roles:
                fail(f"{block}.{role}", f"unknown role (one of {', '.join(sorted(roles))})")
            if rule not in rules:
                fail(f"{block}.{role}", f"unknown rule {rule!r} (one of {', '.join(rules)})")
    for action, allowed in (raw.get("may") or {}).items():
        if not isinstance(allowed, list) or not all(r in roles for r in allowed):
            fail(f"may.{action}", "must be a list of roles")
    return {"scope": dict(raw.get("scope") or {}), "statistics": dict(raw.get("statistics") or {}),
            "may": {k: frozenset(v) for k, v in (raw.get("may") or {}).items()}, "path": str(path)}


def policy() -> dict:
    return current_app.extensions["caseflow.policy"]


def roles_that_may(action: str) -> frozenset[str]:
    try:
        return policy()["may"][action]
    except KeyError:
        raise PolicyError(f"{policy()['path']}: may.{action}: the code asks for it and the file does not say") from None


def may(user, action: str) -> bool:
    return getattr(user, "role", None) in roles_that_may(action)


def require(user, action: str, message: str | None = None) -> None:
    if not may(user, action):
        from flask_babel import gettext as _

        raise Forbidden(message or _("Your role may not open this page."))


def requires(action: str):
    """A view open to the roles the policy lets take ``action`` (signed in first)."""
    from flask_login import current_user, login_required

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            require(current_user, action)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def scope_rule(user) -> str | None:
    """Which cases the user has in remit (one of ``SCOPE_RULES``; None: none)."""
    return policy()["scope"].get(getattr(user, "role", None))


def statistics_rule(user) -> str | None:
    return policy()["statistics"].get(getattr(user, "role", None))


def init_policy(app) -> None:
    app.extensions["caseflow.policy"] = load_policy(app.config["POLICY_FILE"])
    app.jinja_env.globals["may"] = lambda action: may(_current(), action)
    app.jinja_env.globals["sees_statistics"] = lambda: statistics_rule(_current()) is not None


def _current():
    from flask_login import current_user

    return current_user
