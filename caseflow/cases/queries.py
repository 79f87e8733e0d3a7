"""Read-side queries over cases: the list with filters, counts by state, overdue clocks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select

from caseflow.cases.models import Case, CaseClock
from caseflow.cases.scope import visible_to
from caseflow.db import utcnow

PER_PAGE = 25
SORTS = {
    "created": Case.created_at.desc(),
    "code": Case.code.asc(),
    "encounter": Case.encounter_at.desc(),
    "state": Case.state.asc(),
}


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def overdue_clause():
    return exists(
        select(CaseClock.id).where(
            CaseClock.case_id == Case.id, CaseClock.stopped_at.is_(None), CaseClock.due_at < utcnow()
        )
    )


AGE_BANDS = {
    "under_15": lambda: Case.age_at_encounter < 15,
    "15_17": lambda: and_(Case.age_at_encounter >= 15, Case.age_at_encounter < 18),
    "18_plus": lambda: Case.age_at_encounter >= 18,
    "unknown": lambda: Case.age_at_encounter.is_(None),
}


def case_page(session, user, *, state=None, region=None, sex=None, overdue=False, code=None, age_band=None,
              detaining_authority=None, organisation_id=None, name=None, sort="created", page=1,
              per_page=PER_PAGE) -> Page:
    """One page of the cases in the user's remit. ``name`` searches names: callers pass it only for
    roles that may see identities, and only from a POSTed form (names never go into URLs)."""
    stmt = select(Case).where(visible_to(user))
    if age_band in AGE_BANDS:
        stmt = stmt.where(AGE_BANDS[age_band]())
    if detaining_authority:
        stmt = stmt.where(Case.detaining_authority == detaining_authority)
    if organisation_id:
        stmt = stmt.where(or_(Case.registering_org_id == organisation_id, Case.receiving_org_id == organisation_id))
    if name:
        like = f"%{name.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Case.given_name).like(like), func.lower(Case.family_name).like(like),
                              func.lower(Case.other_names).like(like)))
    if state:
        stmt = stmt.where(Case.state == state)
    if region:
        stmt = stmt.where(Case.region == region)
    if sex:
        stmt = stmt.where(Case.sex == sex)
    if overdue:
        stmt = stmt.where(overdue_clause())
    if code:
        stmt = stmt.where(Case.code.ilike(f"%{code.strip()}%"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, page)
    items = session.scalars(
        stmt.order_by(SORTS.get(sort, SORTS["created"]), Case.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(list(items), total, page, per_page)


def counts_by_state(session, user) -> dict[str, int]:
    rows = session.execute(select(Case.state, func.count()).where(visible_to(user)).group_by(Case.state))
    return dict(rows.all())


def overdue_clocks(session, user, limit: int = 50) -> list[tuple[Case, CaseClock]]:
    rows = session.execute(
        select(Case, CaseClock)
        .join(CaseClock, CaseClock.case_id == Case.id)
        .where(visible_to(user), CaseClock.stopped_at.is_(None), CaseClock.due_at < utcnow())
        .order_by(CaseClock.due_at)
        .limit(limit)
    )
    return [(c, k) for c, k in rows.all()]


def distinct_values(session, user, column) -> list[str]:
    return list(session.scalars(
        select(column).where(visible_to(user), column.is_not(None)).distinct().order_by(column).limit(500)))


def regions(session, user) -> list[str]:
    return distinct_values(session, user, Case.region)
