""""Waiting for me": the cases on which this user is the next to act.

Which states wait for which role is each workflow file's (a state's ``waits_for``); what else a role
must meet (a reviewer has not yet voted in the open round) is registered by its rules package
(``registry.waiting``)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import and_, or_, select

from caseflow.cases.models import Case
from caseflow.cases.scope import visible_to
from caseflow.workflow import registry


def waiting_states(role: str):
    """A WHERE clause: the case is in a state of its workflow that waits for this role (None: no
    state waits for it)."""
    clauses = []
    for wf in current_app.extensions["caseflow.catalogue"].versions.values():
        states = wf.waiting_states(role)
        if states:
            clauses.append(and_(Case.workflow == wf.name, Case.workflow_version == wf.version,
                                Case.state.in_(states)))
    return or_(*clauses) if clauses else None


def waiting_for(session, user, limit: int = 50) -> list[Case]:
    where = waiting_states(user.role)
    if where is None:
        return []
    stmt = select(Case).where(visible_to(user), where)
    narrow = registry.WAITING.get(user.role)
    if narrow is not None:
        stmt = narrow(stmt, user, Case.id)
    return list(session.scalars(stmt.order_by(Case.created_at).limit(limit)))
