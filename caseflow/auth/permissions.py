"""Permission predicates and the view decorator that asks them. Controllers only ask."""

from __future__ import annotations

import functools

from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseflow.auth.roles import Role
from caseflow.errors import Forbidden


def roles_required(*roles: str):
    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                raise Forbidden(_("Your role may not open this page."))
            return view(*args, **kwargs)

        return wrapper

    return decorate


def can_register_cases(user) -> bool:
    return user.role == Role.registrar


def sees_child_data(user) -> bool:
    return user.role != Role.admin


def can_verify_audit(user) -> bool:
    return user.role == Role.auditor
