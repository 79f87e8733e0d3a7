"""Moving running cases to the version of their workflow in force. A case keeps running on the
version it started on; the new file says, under ``migrate_from``, which state of each earlier
version becomes which, and ``flask workflows migrate`` applies it, one audited event per case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _

from caseflow.audit.log import record
from caseflow.db import utcnow
from caseflow.errors import Conflict
from caseflow.workflow.engine import append_event, get_workflow, update_clocks
from caseflow.workflow.fold import MIGRATED  # the event a move to another version appends to the chain


@dataclass
class MigrationResult:
    workflow: str
    to_version: int
    moved: list[tuple[str, int, str, str]] = field(default_factory=list)  # code, from version, old, new state


def plan(wf, from_version: int, state: str) -> str:
    """The state a case in ``state`` on ``from_version`` takes in ``wf`` (a state of the same name
    when the file names no other), or a Conflict that names what is missing."""
    mapping = wf.migrate_from.get(from_version)
    if mapping is None:
        raise Conflict(_("%(name)s v%(new)d says nothing of how cases on v%(old)d move (migrate_from).",
                         name=wf.name, new=wf.version, old=from_version))
    new_state = mapping.get(state, state)
    if new_state not in wf.states:
        raise Conflict(_("%(name)s v%(new)d has no state %(state)s and migrate_from.%(old)d does not map it.",
                         name=wf.name, new=wf.version, state=state, old=from_version))
    return new_state


def migrate_cases(session, name: str, outdated: Callable, *, actor=None, dry_run: bool = False) -> MigrationResult:
    """Every subject of ``name`` on an earlier version, moved (all, or none on any refusal);
    ``outdated(workflow)`` gives them, locked, in a stable order (the caller knows what they are)."""
    wf = get_workflow(name)
    result = MigrationResult(wf.name, wf.version)
    now = utcnow()
    for case in outdated(wf):
        old_version, old_state = case.workflow_version, case.state
        new_state = plan(wf, old_version, old_state)
        result.moved.append((case.code, old_version, old_state, new_state))
        if dry_run:
            continue
        case.workflow_version = wf.version
        if new_state != old_state:
            case.state, case.state_entered_at = new_state, now
        case.version += 1
        update_clocks(wf, case, now)
        append_event(session, case, MIGRATED, actor=actor, from_state=old_state, touched=frozenset(),
                     details={"migrated": {"from": old_version, "to": wf.version}})
    if result.moved and not dry_run:
        record(session, "workflow_cases_migrated", actor=actor,
               details={"workflow": wf.name, "to": wf.version, "cases": len(result.moved)})
    return result
