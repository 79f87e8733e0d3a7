"""Personal API tokens: created and revoked by their owner; shown once."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from caseflow.auth import operations
from caseflow.auth.models import ApiToken
from caseflow.errors import NotFound, ValidationFailed
from caseflow.extensions import db

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


class PostForm(FlaskForm):
    pass


def _mine():
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                              .order_by(ApiToken.created_at.desc())).all()


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    shown, errors = None, {}
    if request.method == "POST":
        if not PostForm().validate_on_submit():
            raise ValidationFailed(_("The form expired; please reload the page."))
        try:
            days = int(request.form.get("days") or 90)
        except ValueError:
            days = -1
        try:
            _token, shown = operations.create_token(db.session, current_user, request.form.get("name", ""), days)
        except ValidationFailed as exc:
            db.rollback()
            errors = exc.errors
    status = 422 if errors else 200
    return render_template("account/tokens.html", tokens=_mine(), shown=shown, errors=errors,
                           form=PostForm()), status


@bp.route("/<id:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id):
    if not PostForm().validate_on_submit():
        raise ValidationFailed(_("The form expired; please reload the page."))
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound(_("No such token."))
    operations.revoke_token(db.session, token, current_user)
    flash(_("Token revoked."), "success")
    return redirect(url_for("tokens.index"))
