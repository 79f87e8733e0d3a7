"""Screening campaigns: the list with each campaign's figures, and opening one (registrars)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.forms import build_form, form_data
from caseflow.i18n import label
from caseflow.policy import may, requires
from caseflow.reports.figures import workflow_figures
from caseflow.screening import operations
from caseflow.screening.models import Campaign
from caseflow.screening.schemas import CampaignSchema
from caseflow.workflow.engine import workflows

bp = Blueprint("campaigns", __name__, url_prefix="/screening")


class CampaignForm(FlaskForm):
    pass


def _screening_workflows():
    """The workflows whose figures group by campaign (a file's ``figures.group_by: campaign``)."""
    return [wf for wf in workflows().values() if wf.figures_by == "campaign"]


@bp.route("/campaigns", methods=["GET", "POST"])
@requires("see_campaigns")
def index():
    form = CampaignForm()
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = form_data(request.form, CampaignSchema)
        if not form.validate_on_submit():
            errors, status = {"_schema": [_("The form expired; please send it again.")]}, 422
        else:
            try:
                campaign = operations.create_campaign(db.session, values, current_user)
            except DomainError as exc:
                db.rollback()
                if exc.status == 403:
                    raise
                errors, status = (exc.errors or {"code": [exc.detail]}), exc.status
            else:
                flash(_("Campaign %(code)s opened.", code=campaign.code), "success")
                return redirect(url_for("campaigns.index"))
    listed = db.session.scalars(select(Campaign).order_by(Campaign.starts_on.desc())).all()
    tables = [workflow_figures(db.session, wf, current_user) for wf in _screening_workflows()]
    fields = build_form(CampaignSchema, db.session, values, errors) if may(current_user, "open_campaigns") else []
    return render_template("screening/campaigns.html", campaigns=listed, tables=tables, form=form, fields=fields,
                           errors=errors, label=label, min_cell=int(current_app.config["REPORT_MIN_CELL"])), status
