"""Whose figures a user sees: every case's, or its own organisation's (the policy file's
``statistics``); a role it does not name sees no statistics."""

from __future__ import annotations

from caseflow.errors import Forbidden
from caseflow.policy import statistics_rule
from caseflow.reports.models import CaseFacts


def remit_organisation(user) -> int | None:
    """None for every case's figures, else the organisation whose figures the user sees."""
    from flask_babel import gettext as _

    rule = statistics_rule(user)
    if rule == "all":
        return None
    if rule == "own_org":
        return user.organisation_id
    raise Forbidden(_("Only auditors, joint-review members and partner organisations see statistics."))


def and_scope(stmt, user):
    """``stmt`` on case facts, limited to the user's remit (a partner: the cases released to it)."""
    org = remit_organisation(user)
    return stmt if org is None else stmt.where(CaseFacts.receiving_org_id == org)
