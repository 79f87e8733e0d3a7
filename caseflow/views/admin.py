"""Users and organisations: create, disable, reset a password, change a role — each change audited."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from caseflow.auth import operations, second_factor
from caseflow.auth.models import Organisation, User
from caseflow.auth.roles import ORG_KIND_LABELS, ROLE_LABELS
from caseflow.errors import NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.policy import requires
from caseflow.schemas import parse_id

bp = Blueprint("admin", __name__, url_prefix="/admin")


class PostForm(FlaskForm):
    pass


def _check_form():
    if not PostForm().validate_on_submit():
        raise ValidationFailed(_("The form expired; please reload the page."))


def _page(errors=None, values=None, status=200):
    return render_template(
        "admin/index.html",
        users=db.session.scalars(select(User).order_by(User.email)).all(),
        organisations=db.session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        roles=ROLE_LABELS, kinds=ORG_KIND_LABELS, errors=errors or {}, values=values or {},
        second_factor_roles=current_app.config["SECOND_FACTOR_ROLES"],
    ), status


@bp.route("/")
@requires("manage_people")
def index():
    return _page()


@bp.route("/users", methods=["POST"])
@requires("manage_people")
def create_user():
    _check_form()
    f = request.form
    org = db.session.get(Organisation, parse_id(f.get("organisation_id")) or -1)
    try:
        if org is None:
            raise ValidationFailed(errors={"organisation_id": [_("Choose an organisation.")]})
        operations.create_user(db.session, email=f.get("email", ""), full_name=f.get("full_name", ""),
                               role=f.get("role", ""), organisation=org, password=f.get("password", ""),
                               locale=f.get("locale", "en"), actor=current_user)
    except ValidationFailed as exc:
        db.rollback()
        return _page(exc.errors, f, 422)
    flash(_("User %(email)s created.", email=f.get("email")), "success")
    return redirect(url_for("admin.index"))


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


@bp.route("/users/<id:user_id>/role", methods=["POST"])
@requires("manage_people")
def change_role(user_id):
    _check_form()
    operations.set_role(db.session, _user(user_id), request.form.get("role", ""), actor=current_user)
    flash(_("Role changed; the user's sessions were ended."), "success")
    return redirect(url_for("admin.index"))


@bp.route("/users/<id:user_id>/active", methods=["POST"])
@requires("manage_people")
def set_active(user_id):
    _check_form()
    user = _user(user_id)
    if user.id == current_user.id:
        raise ValidationFailed(_("You cannot disable yourself."))
    operations.set_active(db.session, user, request.form.get("active") == "1", actor=current_user)
    flash(_("Saved."), "success")
    return redirect(url_for("admin.index"))


@bp.route("/users/<id:user_id>/second-factor", methods=["POST"])
@requires("manage_people")
def reset_second_factor(user_id):
    """A lost phone: the person sets up a new second factor at their next sign-in."""

    _check_form()
    second_factor.reset(db.session, _user(user_id), actor=current_user)
    flash(_("Second factor reset; the user's sessions were ended. They set up a new one at their next sign-in."),
          "success")
    return redirect(url_for("admin.index"))


@bp.route("/users/<id:user_id>/password", methods=["POST"])
@requires("manage_people")
def reset_password(user_id):
    _check_form()
    try:
        operations.set_password(db.session, _user(user_id), request.form.get("password", ""), actor=current_user)
    except ValidationFailed as exc:
        db.rollback()
        return _page({f"password_{user_id}": exc.errors.get("password", [])}, status=422)
    flash(_("Password reset; the user's sessions were ended."), "success")
    return redirect(url_for("admin.index"))


@bp.route("/organisations", methods=["POST"])
@requires("manage_people")
def create_organisation():
    _check_form()
    try:
        operations.create_organisation(db.session, request.form.get("name", ""), request.form.get("kind", ""),
                                       actor=current_user)
    except ValidationFailed as exc:
        db.rollback()
        return _page({f"org_{k}": v for k, v in exc.errors.items()}, request.form, 422)
    flash(_("Organisation created."), "success")
    return redirect(url_for("admin.index"))


@bp.route("/organisations/<id:org_id>/active", methods=["POST"])
@requires("manage_people")
def organisation_active(org_id):
    _check_form()
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound(_("No such organisation."))
    operations.set_organisation_active(db.session, org, request.form.get("active") == "1", actor=current_user)
    flash(_("Saved."), "success")
    return redirect(url_for("admin.index"))
