"""Whose figures a user sees: every case's (auditors, the joint review), or its own organisation's
(a partner); nobody else sees statistics."""

from __future__ import annotations

from caseflow.auth.roles import Role
from caseflow.errors import Forbidden
from caseflow.reports.models import CaseFacts


def remit_organisation(user) -> int | None:
    """Auditors and reviewers see every case's figures, a partner its own organisation's; nobody else."""
    from flask_babel import gettext as _

    if user.role in (Role.auditor, Role.reviewer):
        return None
    if user.role == Role.partner:
        return user.organisation_id
    raise Forbidden(_("Only auditors, joint-review members and partner organisations see statistics."))


def and_scope(stmt, user):
    """``stmt`` on case facts, limited to the user's remit (a partner: the cases released to it)."""
    org = remit_organisation(user)
    return stmt if org is None else stmt.where(CaseFacts.receiving_org_id == org)
