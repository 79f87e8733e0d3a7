"""Audit work as jobs: verifying the whole database, and the daily signed tree head recorded in the log
(here, not in audit/: the queue records its files in the audit log, so the log sits below it).

With a broker, a whole verification goes in parts (``AUDIT_VERIFY_PARTS`` ranges of chains, and the
one log beside them), each a job any worker on any node takes; the last part to finish finishes the
whole and records it. Each part reads one moment of its own (its chains with their heads and
records, or the log with its signed heads), and no check spans two parts."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from caseflow.audit.heads import SignedHead
from caseflow.audit.log import record
from caseflow.audit.models import ChainHead
from caseflow.audit.publish import publish
from caseflow.audit.verify import Chains, Report, verify_at_one_moment, verify_log_at_one_moment
from caseflow.auth.models import User
from caseflow.db import utcnow
from caseflow.jobs.operations import Outcome, enqueue, finish_whole, job_kind, start_parts

MAX_BREAKS = 50


def summary(report: Report) -> dict:
    return {"ok": report.ok, "events": report.events, "chains": report.chains, "seconds": round(report.seconds, 2),
            "breaks": [b.describe() for b in report.breaks[:MAX_BREAKS]]}


def record_verified(session, job, result: dict) -> None:
    actor = session.get(User, job.user_id) if job.user_id else None
    record(session, "audit_verified", actor=actor, details={k: v for k, v in result.items() if k != "seconds"}
           | {"job": job.id})


def chain_ranges(session, parts: int) -> list[tuple[str | None, str | None]]:
    """``parts`` ranges of chain names, as even in chains as the names allow, covering every name."""
    names = list(session.scalars(select(ChainHead.chain).order_by(ChainHead.chain)))
    cuts = sorted({names[len(names) * i // parts] for i in range(1, parts)} - {names[0]} if names else set())
    bounds = [None, *cuts, None]
    return list(zip(bounds, bounds[1:], strict=False))


@job_kind("verify")
def run_verify(session, job, progress) -> Outcome:
    parts = current_app.config["AUDIT_VERIFY_PARTS"]
    if parts > 1 and not current_app.extensions["celery"].conf.task_always_eager:
        pieces = [*({"first": a, "beyond": b} for a, b in chain_ranges(session, parts)), {"log": True}]
        made: list = []

        def split(s, j, stored):
            j.total = len(pieces)
            made.extend(p.id for p in start_parts(s, j, "verify_part", pieces) if p.state == "queued")

        return Outcome(result={"parts": len(pieces)}, record=split, waits=True,
                       after=lambda: [enqueue(i) for i in made])
    result = summary(verify_at_one_moment())
    return Outcome(result=result, record=lambda s, j, stored: record_verified(s, j, result))


def merge(results: list[dict]) -> dict:
    return {"ok": all(r.get("ok") for r in results), "events": sum(r.get("events", 0) for r in results),
            "chains": sum(r.get("chains", 0) for r in results), "parts": len(results),
            "breaks": [b for r in results for b in r.get("breaks", [])][:MAX_BREAKS]}


@job_kind("verify_part")
def run_verify_part(session, job, progress) -> Outcome:
    p = job.params
    report = (verify_log_at_one_moment() if p.get("log")
              else verify_at_one_moment(Chains(first=p.get("first"), beyond=p.get("beyond")), log=False))
    result = summary(report)

    def whole_done(s, whole, merged):
        started = whole.started_at or whole.created_at
        merged["seconds"] = round((utcnow() - started).total_seconds(), 2)
        record_verified(s, whole, merged)

    return Outcome(result=result, record=lambda s, j, stored: finish_whole(s, j, result, merge, whole_done))


@job_kind("digest")
def run_digest(session, job, progress) -> Outcome:
    """Once a day the latest signed tree head is also recorded on the system chain: a witness inside
    the log, and a line an auditor can copy elsewhere (the schedule publishes heads every five
    minutes besides)."""

    token = SignedHead.of(publish(session).head).token

    def record_it(s, j, stored):
        record(s, "digest_taken", details={"tree_head": token, "job": j.id})

    return Outcome(result={"digest": token}, record=record_it)
