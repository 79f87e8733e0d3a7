"""The auditor's workbook as a job: written off the request, stored for every node, recorded once."""

from __future__ import annotations

from caseflow.auth.models import User
from caseflow.exports.operations import export_to_file, record_export
from caseflow.exports.workbook import ExportFilters
from caseflow.jobs.operations import XLSX, Outcome, job_kind, temp_path


@job_kind("export")
def run_export(session, job, progress) -> Outcome:
    filters = ExportFilters.from_params(job.params.get("filters") or {})
    identity = bool(job.params.get("identity"))
    user = session.get(User, job.user_id)
    path = temp_path(".xlsx")
    outcome = export_to_file(session, user, filters, identity, path, progress)

    def record(s, j, stored):
        record_export(s, s.get(User, j.user_id), dict(outcome, job=j.id))

    return Outcome(result={"rows": outcome["rows"], "identifying_data": identity},
                   file=(path, "caseflow-export.xlsx", XLSX, identity), record=record)
