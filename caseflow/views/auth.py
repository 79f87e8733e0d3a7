"""Sign in, sign out, choose a language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from caseflow.auth import operations
from caseflow.auth import second_factor as second_factor_ops
from caseflow.auth.forms import CodeForm, LanguageForm, LoginForm, LogoutForm
from caseflow.auth.models import User
from caseflow.auth.second_factor import PENDING, PENDING_SECONDS
from caseflow.db import utcnow
from caseflow.errors import ValidationFailed
from caseflow.extensions import db
from caseflow.sealing.keys import SealError, keyring

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
        result = operations.authenticate(db.session, form.email.data, form.password.data, complete=False)
        if result.user is None:
            flash(_("The e-mail address or password is not right, or the account is disabled."), "error")
            return render_template("auth/login.html", form=form), 200
        user = result.user
        locale = session.get("locale")
        session.clear()  # no fixation: a new session for a new login
        if locale:
            session["locale"] = locale
        if locale and locale != user.locale:  # chosen on the sign-in page: the switch wins, and is kept
            operations.set_locale(db.session, user, locale)
        if second_factor_ops.required(user):
            session[PENDING] = {"user": user.id, "at": utcnow().timestamp(), "next": safe_next(form.next.data)}
            return redirect(url_for("auth.second_factor" if second_factor_ops.enrolled(user) else "auth.enrol"))
        return _signed_in(user, None, safe_next(form.next.data))
    if request.method == "POST":  # sent empty, or without its token: say so, never a silent page
        flash(_("Give your e-mail address and password.") if form.csrf_token.data else
              _("The form expired; please try again."), "error")
        return render_template("auth/login.html", form=form), 422
    return render_template("auth/login.html", form=form)



def _signed_in(user, method: str | None, target: str):
    token = operations.open_login(db.session, user, method)
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    user.session_token = token
    login_user(user)
    session.permanent = True
    current_app.logger.info("login user=%s", user.id)
    return redirect(target)


def _pending_user():
    """The person between their password and their second factor (five minutes at most), or None."""

    pending = session.get(PENDING)
    if not pending or utcnow().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, pending["user"])
    return user if user is not None and user.active and user.organisation.active else None


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor():
    """The second step: a code from the authenticator app, or a recovery code."""
    user = _pending_user()
    if user is None:
        flash(_("Sign in again: the second step waited too long."), "error")
        return redirect(url_for("auth.login"))
    if not second_factor_ops.enrolled(user):
        return redirect(url_for("auth.enrol"))
    form = CodeForm()
    if form.validate_on_submit():
        method = second_factor_ops.check(db.session, user, form.code.data)
        if method is not None:
            if method == "recovery_code":
                flash(_("You used a recovery code: each works once. Ask an administrator to reset your second "
                        "factor if your phone is lost."), "info")
            return _signed_in(user, method, session[PENDING]["next"])
        flash(_("That code is not right. Use the six digits your app shows now, or a recovery code."), "error")
        return render_template("auth/second_factor.html", form=form), 422
    if request.method == "POST":
        return render_template("auth/second_factor.html", form=form, missing=True), 422
    return render_template("auth/second_factor.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    """First sign-in of a role that needs a second factor: scan, type a code, keep the recovery codes."""
    from markupsafe import Markup

    user = _pending_user()
    if user is None:
        flash(_("Sign in again: the second step waited too long."), "error")
        return redirect(url_for("auth.login"))
    if second_factor_ops.enrolled(user):
        return redirect(url_for("auth.second_factor"))
    context = f"enrol:{user.id}"
    sealed = session[PENDING].get("secret")
    secret = keyring().open(sealed, context).decode() if sealed else second_factor_ops.new_secret()
    if not sealed:  # kept sealed in the signed cookie until a code proves the phone has it
        session[PENDING] = {**session[PENDING], "secret": keyring().seal(secret.encode(), context)}
    form, status = CodeForm(), 200
    if form.validate_on_submit():
        try:
            codes = second_factor_ops.enrol(db.session, user, secret, form.code.data)
        except ValidationFailed as exc:
            form.code.errors = list(exc.errors.get("code", []))
            status = 422
        else:
            target = session[PENDING]["next"]
            response = _signed_in(user, "totp", url_for("auth.recovery_codes"))
            session["recovery_codes"] = keyring().seal(" ".join(codes).encode(), f"codes:{user.id}")
            session["after_codes"] = target
            return response
    elif request.method == "POST":
        status = 422
    uri = second_factor_ops.provisioning_uri(user, secret)
    return render_template("auth/enrol.html", form=form, secret=secret,
                           qr=Markup(second_factor_ops.qr_svg(uri))), status  # noqa: S704 - qrcode's own SVG


@bp.route("/login/recovery-codes", methods=["GET", "POST"])
@login_required
def recovery_codes():
    """The ten recovery codes, shown once, right after enrolment."""

    sealed = session.pop("recovery_codes", None)
    target = session.pop("after_codes", None) or url_for("reports.dashboard")
    if not sealed:
        return redirect(target)
    try:
        codes = keyring().open(sealed, f"codes:{current_user.id}").decode().split()
    except SealError:
        return redirect(target)
    return render_template("auth/recovery_codes.html", codes=codes, target=target)


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
