"""Settings, read from the environment once, when the app is made.

CASEFLOW_ENV      development (default) | production | testing
SECRET_KEY        required in production
DATABASE_URL      SQLAlchemy URL; default: SQLite in the instance folder
CASEFLOW_WORKFLOWS_DIR   folder of workflow YAML files (default: ./workflows; past versions in its past/)
CASEFLOW_DEFAULT_WORKFLOW  the workflow a registration uses when none is chosen (default: the file marked default)
CASEFLOW_SETTINGS_OVERLAY  a country's settings file over the workflows' own (e.g. workflows/countries/nigeria.yaml)
CASEFLOW_IDLE_TIMEOUT_MINUTES, CASEFLOW_ABSOLUTE_TIMEOUT_HOURS   session timeouts
CASEFLOW_RATELIMIT_STORAGE_URI   memory:// (default) or redis://host:6379/N (shared by every node)
CASEFLOW_LOGIN_RATE_PER_IP, CASEFLOW_LOGIN_RATE_PER_ACCOUNT   sign-in limits (Flask-Limiter syntax)
CASEFLOW_TRUSTED_PROXIES   how many proxies in front of the app set X-Forwarded-* (default 0)
CASEFLOW_HSTS_SECONDS      Strict-Transport-Security max-age (default: a year in production, else 0)
CASEFLOW_MASTER_KEY, _FILE, _PREVIOUS   the key that seals second factors and identities (production: required)
CASEFLOW_SECOND_FACTOR_ROLES   roles that sign in with a TOTP code (default: every role that may see identities)
CASEFLOW_LOG_FORMAT        json (default in production: one object a line) | text
CASEFLOW_RETRY_AFTER_SECONDS   what a 503 asks a client to wait while the database or disk is unavailable (default 5)
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """The settings cannot make a safe application."""


def _roles(raw: str | None) -> frozenset[str] | None:
    """``registrar,auditor`` → those roles; ``none`` → no role; unset → None (the default)."""
    if raw is None or raw.strip() == "":
        return None
    if raw.strip().lower() == "none":
        return frozenset()
    return frozenset(r.strip() for r in raw.split(",") if r.strip())


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _web(production: bool) -> dict:
    """Sessions, sign-in limits, proxies and the reader's language and time zone."""
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "caseflow_session",
        "IDLE_TIMEOUT_MINUTES": _int("CASEFLOW_IDLE_TIMEOUT_MINUTES", 30),
        "ABSOLUTE_TIMEOUT_HOURS": _int("CASEFLOW_ABSOLUTE_TIMEOUT_HOURS", 12),
        "LOGIN_RATE_PER_IP": os.environ.get("CASEFLOW_LOGIN_RATE_PER_IP", "30 per minute"),
        "LOGIN_RATE_PER_ACCOUNT": os.environ.get("CASEFLOW_LOGIN_RATE_PER_ACCOUNT", "5 per 15 minutes"),
        "RATELIMIT_STORAGE_URI": os.environ.get("CASEFLOW_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        "TRUSTED_PROXIES": _int("CASEFLOW_TRUSTED_PROXIES", 0),
        "HSTS_SECONDS": _int("CASEFLOW_HSTS_SECONDS", 31_536_000 if production else 0),
        "PASSWORD_MIN_LENGTH": 12,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("CASEFLOW_TIMEZONE", "UTC"),
        "LANGUAGES": ("en", "fr"),
        "LOG_FORMAT": os.environ.get("CASEFLOW_LOG_FORMAT", "json" if production else "text"),
        "RETRY_AFTER_SECONDS": _int("CASEFLOW_RETRY_AFTER_SECONDS", 5),
    }


def _mail() -> dict:
    """Where reminders are mailed from and through."""
    return {
        "SMTP_HOST": os.environ.get("CASEFLOW_SMTP_HOST") or None,
        "SMTP_PORT": _int("CASEFLOW_SMTP_PORT", 25),
        "SMTP_USER": os.environ.get("CASEFLOW_SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("CASEFLOW_SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": os.environ.get("CASEFLOW_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        "MAIL_FROM": os.environ.get("CASEFLOW_MAIL_FROM", "caseflow@localhost"),
        "BASE_URL": os.environ.get("CASEFLOW_BASE_URL", "http://127.0.0.1:5000"),
    }


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    overrides = dict(overrides or {})
    env = overrides.get("CASEFLOW_ENV") or os.environ.get("CASEFLOW_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CASEFLOW_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    production = env == "production"
    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY must be set in production (a long random string)")
        secret = "dev-only-secret-key-do-not-use-in-production"  # noqa: S105
    default_db = "sqlite:///" + str(Path(instance_path) / "caseflow.sqlite3")
    config = {
        "CASEFLOW_ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": secret,
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        "WORKFLOWS_DIR": os.environ.get("CASEFLOW_WORKFLOWS_DIR", str(PROJECT_ROOT / "workflows")),
        "DEFAULT_WORKFLOW": os.environ.get("CASEFLOW_DEFAULT_WORKFLOW") or None,  # else the file marked default
        "SETTINGS_OVERLAY": os.environ.get("CASEFLOW_SETTINGS_OVERLAY") or None,
        "POLICY_FILE": os.environ.get("CASEFLOW_POLICY_FILE", str(PROJECT_ROOT / "workflows/policy/policy.yaml")),
        **_web(production),
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        "EXPORT_INLINE_MAX_EVENTS": _int("CASEFLOW_EXPORT_INLINE_MAX_EVENTS", 20_000),
        "IMPORT_MAX_ROWS": _int("CASEFLOW_IMPORT_MAX_ROWS", 5_000),
        "IMPORT_MAX_BYTES": _int("CASEFLOW_IMPORT_MAX_BYTES", 5 * 1024 * 1024),
        "LIST_COUNT_TTL_SECONDS": _int("CASEFLOW_LIST_COUNT_TTL_SECONDS", 15),
        "FILTER_CHOICES_TTL_SECONDS": _int("CASEFLOW_FILTER_CHOICES_TTL_SECONDS", 60),
        # statistics: counts below this are withheld ("<5"); 0 or 1 turns disclosure control off
        "REPORT_MIN_CELL": _int("CASEFLOW_REPORT_MIN_CELL", 5),
        # jobs: Celery on this broker (Redis in production); none = run each job in the request (one machine)
        "CELERY_BROKER_URL": os.environ.get("CASEFLOW_CELERY_BROKER_URL") or None,
        # a job whose worker died is handed to another after this long (Redis: unacknowledged messages)
        "CELERY_VISIBILITY_TIMEOUT": _int("CASEFLOW_CELERY_VISIBILITY_TIMEOUT", 3600),
        "JOBS_REQUEUE_AFTER_SECONDS": _int("CASEFLOW_JOBS_REQUEUE_AFTER_SECONDS", 60),
        "AUDIT_VERIFY_PARTS": _int("CASEFLOW_AUDIT_VERIFY_PARTS", 4),
        "JOBS_TEST_DELAY_SECONDS": _int("CASEFLOW_JOBS_TEST_DELAY_SECONDS", 0),  # tests only: a slow job
        "FILE_RETENTION_IDENTITY_HOURS": _int("CASEFLOW_FILE_RETENTION_IDENTITY_HOURS", 24),
        "FILE_RETENTION_HOURS": _int("CASEFLOW_FILE_RETENTION_HOURS", 7 * 24),
        # reminders: a clock due within this many hours is announced once, and once more when overdue
        "REMINDER_LEAD_HOURS": _int("CASEFLOW_REMINDER_LEAD_HOURS", 24),
        **_mail(),
        "ALLOW_DEMO_DATA": not production,
        # roles that sign in with a second factor: unset, every role a workflow lets see identities
        "SECOND_FACTOR_ROLES": _roles(os.environ.get("CASEFLOW_SECOND_FACTOR_ROLES")),
        "SECOND_FACTOR_RATE": os.environ.get("CASEFLOW_SECOND_FACTOR_RATE", "5 per 15 minutes"),
    }
    config.update(overrides)
    if config["CASEFLOW_ENV"] == "production" and config.get("ALLOW_DEMO_DATA"):
        raise ConfigError("demo data is never allowed in production")
    return config
