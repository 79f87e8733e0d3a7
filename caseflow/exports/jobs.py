"""The auditor's workbook as a job: written off the request, stored for every node, recorded once."""

from __future__ import annotations

from caseflow.auth.models import User
from caseflow.exports.operations import export_to_file, record_export
from caseflow.exports.protect import new_passphrase
from caseflow.exports.workbook import ExportFilters
from caseflow.jobs.operations import XLSX, Outcome, job_kind, temp_path
from caseflow.sealing.keys import keyring


@job_kind("export")
def run_export(session, job, progress) -> Outcome:
    filters = ExportFilters.from_params(job.params.get("filters") or {})
    identity = bool(job.params.get("identity"))
    user = session.get(User, job.user_id)
    path = temp_path(".xlsx")
    passphrase = new_passphrase() if identity else None
    outcome = export_to_file(session, user, filters, identity, path, progress, passphrase=passphrase)

    if identity:
        outcome["purpose"] = job.params.get("purpose")

    def record(s, j, stored):
        record_export(s, s.get(User, j.user_id), dict(outcome, job=j.id))

    result = {"rows": outcome["rows"], "identifying_data": identity, "encrypted": identity}
    if passphrase:  # sealed until the person who asked reads it, once (see jobs.operations.take_passphrase)
        result["passphrase"] = keyring().seal(passphrase.encode(), f"passphrase:{job.id}")
    return Outcome(result=result, file=(path, "caseflow-export.xlsx", XLSX, identity), record=record)
