"""The workflow page: the drawn diagram, the transitions table with roles, and the settings."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import login_required
from markupsafe import Markup

from caseflow.auth.roles import ORG_KIND_LABELS
from caseflow.i18n import current_language
from caseflow.labels import rule_label, setting_label, term
from caseflow.workflow.diagram import render_svg
from caseflow.workflow.engine import get_workflow, workflows

bp = Blueprint("workflow", __name__, url_prefix="/workflows")


@bp.route("/")
@login_required
def index():
    """Every workflow in force, each drawn, the default first."""
    lang = current_language()
    default = current_app.config["DEFAULT_WORKFLOW"]
    ordered = sorted(workflows().values(), key=lambda wf: (wf.name != default, wf.name))
    drawn = [(wf, Markup(render_svg(wf, lang))) for wf in ordered]  # noqa: S704 - built from escaped labels only
    return render_template("workflow/index.html", drawn=drawn, lang=lang)


@bp.route("/<name>")
@login_required
def show(name):
    wf = get_workflow(name)
    svg = Markup(render_svg(wf, current_language()))  # noqa: S704 - built from escaped labels only
    tiers = wf.quorum.get("least_restrictive_first") or []
    order = " < ".join(" / ".join(term("outcome", o) for o in tier) for tier in tiers)
    def kind_labels(kinds) -> str:
        return ", ".join(str(ORG_KIND_LABELS.get(k, k)) for k in kinds)

    return render_template("workflow/show.html", wf=wf, svg=svg, lang=current_language(), all_workflows=workflows(),
                           order_words=order, rule_label=rule_label, setting_label=setting_label,
                           kind_labels=kind_labels)
