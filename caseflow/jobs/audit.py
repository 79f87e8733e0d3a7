"""Audit work as jobs: verifying the whole database, and the daily signed tree head recorded in the log
(here, not in audit/: the queue records its files in the audit log, so the log sits below it)."""

from __future__ import annotations

from caseflow.audit.heads import SignedHead
from caseflow.audit.log import record
from caseflow.audit.publish import publish
from caseflow.audit.verify import verify_at_one_moment
from caseflow.auth.models import User
from caseflow.jobs.operations import Outcome, job_kind


@job_kind("verify")
def run_verify(session, job, progress) -> Outcome:
    report = verify_at_one_moment()
    result = {"ok": report.ok, "events": report.events, "chains": report.chains,
              "seconds": round(report.seconds, 2), "breaks": [b.describe() for b in report.breaks[:50]]}

    def record_it(s, j, stored):
        actor = s.get(User, j.user_id) if j.user_id else None
        record(s, "audit_verified", actor=actor, details={k: v for k, v in result.items() if k != "seconds"}
               | {"job": j.id})

    return Outcome(result=result, record=record_it)


@job_kind("digest")
def run_digest(session, job, progress) -> Outcome:
    """Once a day the latest signed tree head is also recorded on the system chain: a witness inside
    the log, and a line an auditor can copy elsewhere (the schedule publishes heads every five
    minutes besides)."""

    token = SignedHead.of(publish(session).head).token

    def record_it(s, j, stored):
        record(s, "digest_taken", details={"tree_head": token, "job": j.id})

    return Outcome(result={"digest": token}, record=record_it)
