"""Audit work as jobs: verifying the whole database, and the daily digest over every chain head."""

from __future__ import annotations

from caseflow.audit.digest import current_digest
from caseflow.audit.log import record
from caseflow.audit.verify import verify_database
from caseflow.auth.models import User
from caseflow.jobs.operations import Outcome, job_kind


@job_kind("verify")
def run_verify(session, job, progress) -> Outcome:
    report = verify_database(session)
    result = {"ok": report.ok, "events": report.events, "chains": report.chains,
              "seconds": round(report.seconds, 2), "breaks": [b.describe() for b in report.breaks[:50]]}

    def record_it(s, j, stored):
        actor = s.get(User, j.user_id) if j.user_id else None
        record(s, "audit_verified", actor=actor, details={k: v for k, v in result.items() if k != "seconds"}
               | {"job": j.id})

    return Outcome(result=result, record=record_it)


@job_kind("digest")
def run_digest(session, job, progress) -> Outcome:
    """The digest taken on a schedule is recorded on the system chain: a witness inside the log, and
    a token an auditor can copy elsewhere."""
    d = current_digest(session)
    token, signed = d.token, d.signed_token

    def record_it(s, j, stored):
        record(s, "digest_taken", details={"digest": token, "signed_digest": signed, "job": j.id})

    return Outcome(result={"digest": token, "signed_digest": signed}, record=record_it)
