"""For a load balancer or an orchestrator: ``/healthz`` (the process answers, nothing else is
asked) and ``/readyz`` (it can serve: the database answers and is at this Caseflow's migration
head; Redis answers when the rate limits or the job queue use it). No sign-in; no case data."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from caseflow.extensions import db
from caseflow.migrate import head_revision

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


def _database() -> tuple[bool, str]:
    try:
        with db.engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # noqa: BLE001 - readiness says why, in one word
        return False, f"unreachable ({type(exc).__name__})"
    want = head_revision()
    if found != want:
        return False, f"at revision {found}, not {want}: run flask db upgrade"
    return True, f"at revision {found}"


def _redis(url: str) -> tuple[bool, str]:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        return False, f"unreachable ({type(exc).__name__})"
    return True, "answers"


def checks() -> dict[str, tuple[bool, str]]:
    out = {"database": _database()}
    limits = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
    if limits.startswith(("redis://", "rediss://")):
        out["rate_limits"] = _redis(limits)
    broker = current_app.config.get("CELERY_BROKER_URL") or ""
    if broker.startswith(("redis://", "rediss://")):
        out["job_queue"] = _redis(broker)
    return out


@bp.route("/readyz")
def readyz():
    started = time.perf_counter()
    found = checks()
    ready = all(ok for ok, _ in found.values())
    body = {"status": "ready" if ready else "not ready", "ms": round((time.perf_counter() - started) * 1000, 1),
            "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in found.items()}}
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    if not ready:
        response.headers["Retry-After"] = str(current_app.config.get("RETRY_AFTER_SECONDS", 5))
    return response
