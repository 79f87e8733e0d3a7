"""The view decorator that opens a page to some roles (which roles: the view says; who may do what to
a case: the workflow files and the remit rule)."""

from __future__ import annotations

import functools

from flask_babel import gettext as _
from flask_login import current_user, login_required

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

