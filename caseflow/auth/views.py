"""Sign in, sign out, choose a language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from caseflow.auth import operations
from caseflow.auth.forms import LanguageForm, LoginForm, LogoutForm
from caseflow.extensions import db

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else goes home."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("reports.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Rate-limited per address and per account (see ``caseflow.auth.limits``)."""
    if current_user.is_authenticated:
        return redirect(url_for("reports.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        result = operations.authenticate(db.session, form.email.data, form.password.data)
        if result.user is None:
            flash(_("The e-mail address or password is not right, or the account is disabled."), "error")
            return render_template("auth/login.html", form=form), 200
        locale = session.get("locale")
        session.clear()  # no fixation: a new session for a new login
        if locale:
            session["locale"] = locale
        if locale and locale != result.user.locale:  # chosen on the sign-in page: the switch wins, and is kept
            operations.set_locale(db.session, result.user, locale)
        result.user.session_token = result.token
        login_user(result.user)
        session.permanent = True
        current_app.logger.info("login user=%s", result.user.id)
        return redirect(safe_next(form.next.data))
    if request.method == "POST":  # sent empty, or without its token: say so, never a silent page
        flash(_("Give your e-mail address and password.") if form.csrf_token.data else
              _("The form expired; please try again."), "error")
        return render_template("auth/login.html", form=form), 422
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        operations.logout(db.session, current_user)
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in current_app.config["LANGUAGES"]:
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            operations.set_locale(db.session, current_user, form.locale.data)
    return redirect(safe_next(form.next.data))
