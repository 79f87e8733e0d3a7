"""Read-side queries over cases: the list with filters, counts by state, overdue clocks."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from caseflow.cases.models import Case, CaseClock
from caseflow.cases.scope import scope_key, visible_to
from caseflow.db import utcnow
from caseflow.reintegration.models import FollowUp
from caseflow.sealing.identity import search_tokens
from caseflow.sealing.models import IdentityToken
from caseflow.workflow.engine import workflows

PER_PAGE = 25
#: exact counts stop here; beyond, a list says "10,000+" (an exact count(*) over 100,000 rows costs
#: more than the page itself)
COUNT_CAP = 10_000
#: filter choices (regions, authorities) are read at most this often per worker
CHOICES_TTL_SECONDS = 60
SORTS = {
    "created": Case.created_at.desc(),
    "code": Case.code.asc(),
    "encounter": Case.encounter_at.desc(),
    "state": Case.state.asc(),
    "due": Case.next_due_at.asc(),
    "region": Case.region.asc(),
    "age": Case.age_at_encounter.asc(),
}


def latest_risk():
    """The risk level of the case's latest follow-up visit (None before the first)."""

    return (select(FollowUp.risk_level).where(FollowUp.case_id == Case.id)
            .order_by(FollowUp.visit_date.desc(), FollowUp.id.desc()).limit(1).scalar_subquery())


@dataclass
class Page:
    items: list
    total: int  # exact up to COUNT_CAP; see ``more``
    page: int
    per_page: int
    more: bool = False  # there are more than ``total`` (COUNT_CAP) matching cases

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.more and len(self.items) == self.per_page)


def overdue_clause():
    """Cases with a running clock past its due date: ``next_due_at`` is the earliest due date of the
    case's running clocks, kept by the engine, indexed (ix_cases_next_due)."""
    return Case.next_due_at < utcnow()


AGE_BANDS = {
    "under_15": lambda: Case.age_at_encounter < 15,
    "15_17": lambda: and_(Case.age_at_encounter >= 15, Case.age_at_encounter < 18),
    "18_plus": lambda: Case.age_at_encounter >= 18,
    "unknown": lambda: Case.age_at_encounter.is_(None),
}


def name_matches(text: str):
    """Cases whose names hold every word typed (or a word's beginning, three letters at least), found
    through the blind index: no name is in clear anywhere to compare with."""
    from sqlalchemy import and_, exists, false

    tokens = search_tokens(text)
    if not tokens:
        return false()
    return and_(*(exists().where(IdentityToken.case_id == Case.id, IdentityToken.token == t) for t in tokens))


def case_page(session, user, *, state=None, region=None, sex=None, overdue=False, code=None, age_band=None,
              detaining_authority=None, organisation_id=None, name=None, sort="created", page=1,
              per_page=PER_PAGE, workflow=None, columns=None, mine=False, risk=None, encounter_from=None,
              encounter_to=None) -> Page:
    """One page of the cases in the user's remit. ``name`` searches names: callers pass it only for
    roles that may see identities, and only from a POSTed form (names never go into URLs).
    ``columns``: the page's items are rows of these columns of ``Case``, not mapped cases (an answer
    that shows a few columns needs no case loaded whole)."""
    stmt = select(Case).where(visible_to(user))
    if age_band in AGE_BANDS:
        stmt = stmt.where(AGE_BANDS[age_band]())
    if detaining_authority:
        stmt = stmt.where(Case.detaining_authority == detaining_authority)
    if organisation_id:
        stmt = stmt.where(or_(Case.registering_org_id == organisation_id, Case.receiving_org_id == organisation_id))
    if name:  # only among the cases whose workflow lets this role see who the child is

        stmt = stmt.where(Case.workflow.in_([n for n, wf in workflows().items() if user.role in wf.identity_roles()]))
        stmt = stmt.where(name_matches(name))
    if state:
        stmt = stmt.where(Case.state == state)
    if workflow:
        stmt = stmt.where(Case.workflow == workflow)
    if region:
        stmt = stmt.where(Case.region == region)
    if sex:
        stmt = stmt.where(Case.sex == sex)
    if overdue:
        stmt = stmt.where(overdue_clause())
    if code:
        stmt = stmt.where(Case.code.ilike(f"%{code.strip()}%"))
    if mine:  # the cases of the user's own organisation: registered by it, or received by it
        stmt = stmt.where(or_(Case.registering_org_id == user.organisation_id,
                              Case.receiving_org_id == user.organisation_id))
    if risk:
        stmt = stmt.where(latest_risk() == risk)
    if encounter_from:  # days, UTC: from the first moment of the first to the end of the last
        stmt = stmt.where(Case.encounter_at >= day_start(encounter_from))
    if encounter_to:
        stmt = stmt.where(Case.encounter_at < day_start(encounter_to, 1))
    counted = capped_count(session, user, stmt, (state, region, sex, overdue, code, age_band, detaining_authority,
                                                 organisation_id, bool(name), workflow,
                                                 user.organisation_id if mine else None, risk, encounter_from,
                                                 encounter_to), cacheable=not name)
    page = max(1, page)
    if overdue and sort in (None, "", "created", "due"):
        order = (Case.next_due_at.asc(), Case.id.asc())  # the overdue list: most overdue first, an index range
    elif sort == "due":  # the next due first; cases with no running clock last
        order = (Case.next_due_at.is_(None), Case.next_due_at.asc(), Case.id.asc())
    else:
        order = (SORTS.get(sort, SORTS["created"]), Case.id.desc())
    stmt = stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    items = session.execute(stmt.with_only_columns(*columns)).all() if columns else session.scalars(stmt).all()
    return Page(list(items), min(counted, COUNT_CAP), page, per_page, more=counted > COUNT_CAP)


def day_start(day, plus_days: int = 0):
    from datetime import UTC, datetime, time, timedelta

    return datetime.combine(day + timedelta(days=plus_days), time(0), tzinfo=UTC)


def counts_by_state(session, user) -> dict[str, dict[str, int]]:
    """workflow -> state -> cases in the user's remit."""
    out: dict[str, dict[str, int]] = {}
    for workflow, state, n in session.execute(select(Case.workflow, Case.state, func.count())
                                              .where(visible_to(user)).group_by(Case.workflow, Case.state)):
        out.setdefault(workflow, {})[state] = n
    return out


def overdue_clocks(session, user, limit: int = 50) -> list[tuple[Case, CaseClock]]:
    rows = session.execute(
        select(Case, CaseClock)
        .join(CaseClock, CaseClock.case_id == Case.id)
        .where(visible_to(user), CaseClock.stopped_at.is_(None), CaseClock.due_at < utcnow())
        .order_by(CaseClock.due_at)
        .limit(limit)
    )
    return [(c, k) for c, k in rows.all()]


_choices: dict[tuple, tuple[float, object]] = {}


def _cached(session, key: tuple, compute, ttl_setting: str, default_ttl: int):
    """A scoped answer kept a little while per worker (``ttl_setting`` in the config; 0 = never)."""
    from flask import current_app

    ttl = current_app.config.get(ttl_setting, default_ttl)
    key = (str(session.get_bind().engine.url), *key)
    now = time.monotonic()
    hit = _choices.get(key)
    if ttl and hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = compute()
    if ttl:
        _choices[key] = (now, value)
    return value


def capped_count(session, user, stmt, filters: tuple, *, cacheable: bool = True) -> int:
    """How many cases match, counted up to COUNT_CAP + 1 and kept LIST_COUNT_TTL_SECONDS per remit
    and filters (a count of 10,000 rows on every page view would cost more than the page)."""

    def count():
        return session.scalar(select(func.count()).select_from(
            stmt.with_only_columns(Case.id).order_by(None).limit(COUNT_CAP + 1).subquery()))

    if not cacheable:  # a name search is never kept
        return count()
    return _cached(session, ("count", scope_key(user), filters), count, "LIST_COUNT_TTL_SECONDS", 15)


def distinct_values(session, user, column) -> list[str]:
    """The values a filter offers, within the user's remit, read at most once a minute per remit
    (a DISTINCT over every case on each page view is most of a list's cost at 100,000 cases)."""

    def values():
        return list(session.scalars(
            select(column).where(visible_to(user), column.is_not(None)).distinct().order_by(column).limit(500)))

    return _cached(session, ("choices", column.key, scope_key(user)), values, "FILTER_CHOICES_TTL_SECONDS",
                   CHOICES_TTL_SECONDS)


def regions(session, user) -> list[str]:
    return distinct_values(session, user, Case.region)


def on_earlier_version(session, wf) -> list[Case]:
    """The cases of ``wf`` that run on an earlier version of its file, locked, oldest first."""
    return list(session.scalars(select(Case).where(Case.workflow == wf.name, Case.workflow_version < wf.version)
                                .order_by(Case.id).with_for_update()))
