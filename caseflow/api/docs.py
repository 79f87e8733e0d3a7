"""A documentation page for the API, drawn from the OpenAPI document (no script, no CDN)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs", __name__)


@bp.route("/api/v1/docs")
def docs():
    spec = current_app.extensions["caseflow.api"].spec.to_dict()
    return render_template("api/docs.html", spec=spec)
