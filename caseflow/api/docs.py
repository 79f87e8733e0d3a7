"""A documentation page for the API, drawn from the OpenAPI document (no script, no CDN), with each
operation summed up in the reader's language (a workflow action by its label in the workflow file);
the document's own descriptions, in English, follow under each."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l

from caseflow.i18n import label

bp = Blueprint("api_docs", __name__)

PREFIX = "/api/v1"
#: (method, path) -> what it does, in words a French reader gets in French
SUMMARIES = {
    ("get", "/cases"): _l("Cases in your remit, newest first: by state, region, overdue or code."),
    ("post", "/cases"): _l("Register a child (registrars) in a workflow, with that workflow's fields."),
    ("get", "/cases/{code}"): _l("One case: its state, version, clocks and what you may do now."),
    ("patch", "/cases/{code}"): _l("Edit registration fields, with If-Match."),
    ("post", "/cases/{code}/transitions/{trigger}"): _l("Take a workflow action, with its payload and If-Match."),
    ("post", "/cases/{code}/votes"): _l("A reviewer's vote in the current round (a second vote replaces the first)."),
    ("get", "/cases/{code}/history"): _l("The case's audit events with their hashes."),
    ("get", "/exports/cases.xlsx"): _l("The auditor's workbook, with the export page's filters."),
    ("get", "/organisations"): _l("The organisations a payload may name, and your own."),
    ("get", "/workflows/{name}"): _l("A workflow: its states, actions, payloads and settings."),
    ("get", "/audit/verify"): _l("The integrity verdict of every chain, or of one case's (auditors)."),
    ("get", "/reports/period"): _l("Statistics for a period, as of a time, disaggregated."),
    ("get", "/jobs/{job_id}"): _l("One of your jobs: its state, progress and result."),
    ("post", "/jobs/{job_id}/passphrase"): _l("The passphrase of your job's encrypted file, given once."),
    ("get", "/jobs/{job_id}/file"): _l("The file a job made."),
    ("get", "/audit/tree-heads/latest"): _l("The log's latest signed tree head (auditors, witnesses)."),
    ("get", "/audit/tree-heads/{size}"): _l("The signed tree head published at this size."),
    ("post", "/audit/tree-heads"): _l("Sign a tree head now."),
    ("get", "/audit/consistency"): _l("The consistency proof between two published tree heads."),
    ("post", "/audit/witness-confirmations"): _l("A witness's countersignature of the head it checked."),
}


def action_labels() -> dict[str, str]:
    """Each trigger's label in the reader's language, from the workflow files."""

    out: dict[str, list[str]] = {}
    for wf in current_app.extensions["caseflow.workflows"].values():
        for t in wf.transitions:
            text = f"{label(t.label)} ({label(wf.label)})"
            if text not in out.setdefault(t.trigger, []):
                out[t.trigger].append(text)
    return {k: "; ".join(v) for k, v in out.items()}


def summary(method: str, path: str, actions: dict[str, str]) -> str | None:
    short = path.removeprefix(PREFIX)
    if (method, short) in SUMMARIES:
        return str(SUMMARIES[(method, short)])
    trigger = short.rsplit("/transitions/", 1)[-1] if "/transitions/" in short else None
    return actions.get(trigger) if trigger else None


@bp.route("/api/v1/docs")
def docs():
    spec = current_app.extensions["caseflow.api"].spec.to_dict()
    actions = action_labels()
    ops = [(path, method, op, summary(method, path, actions))
           for path, methods in spec["paths"].items()
           for method, op in methods.items() if method in ("get", "post", "patch", "put", "delete")]
    return render_template("api/docs.html", spec=spec, ops=ops)
