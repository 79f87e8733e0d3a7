"""The case list at 100,000 cases is an index range, not a sort: every filter with the default order
has an index that serves both (checked with EXPLAIN on SQLite and PostgreSQL), and the overdue list
reads running clocks by due date from a partial index."""

import pytest
from sqlalchemy import text

from caseflow.cases.models import LIST_FILTERS
from caseflow.cases.queries import case_page
from caseflow.db import is_sqlite


def compiled(session, stmt) -> str:
    return str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))


def plan(session, sql: str) -> str:
    if is_sqlite(session):
        return "\n".join(r[-1] for r in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_sort = off"))  # a Sort node then means no index could serve
    return "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {sql}")))


def page_sql(session, user, **filters) -> str:
    captured = []
    from sqlalchemy import event

    engine = session.get_bind().engine if hasattr(session.get_bind(), "engine") else session.get_bind()

    def keep(conn, cursor, statement, params, context, executemany):
        if "ORDER BY" in statement and "FROM cases" in statement:
            captured.append(context.compiled)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        case_page(session, user, **filters)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    stmt = captured[-1].statement
    return compiled(session, stmt)


VALUES = {"state": "under_review", "region": "Gao", "sex": "female", "detaining_authority": "Police",
          "age_band": "under_15"}


@pytest.mark.parametrize("name", ["state", "region", "sex", "detaining_authority", "age_band"])
def test_each_filter_is_served_by_an_index_in_the_default_order(session, users, name):
    sql = page_sql(session, users["auditor"], **{name: VALUES[name]})
    p = plan(session, sql)
    assert "TEMP B-TREE" not in p and "Sort" not in p, p
    assert "ix_cases_" in p, p


@pytest.mark.parametrize("who", ["registrar", "partner"])
def test_each_remit_is_served_by_an_index(session, users, who):
    p = plan(session, page_sql(session, users[who]))
    assert "TEMP B-TREE" not in p and "Sort" not in p, p


def test_every_list_filter_has_its_index(session):
    from sqlalchemy import inspect

    names = {ix["name"] for ix in inspect(session.connection()).get_indexes("cases")}
    assert {f"ix_cases_{c}_created" for c in LIST_FILTERS} <= names


def test_the_dashboards_overdue_clocks_read_the_partial_index(session, users):
    from sqlalchemy import select

    from caseflow.cases.models import CaseClock
    from caseflow.db import utcnow

    stmt = (select(CaseClock.case_id).where(CaseClock.stopped_at.is_(None), CaseClock.due_at < utcnow())
            .order_by(CaseClock.due_at).limit(50))
    p = plan(session, compiled(session, stmt))
    assert "ix_case_clocks_running_due" in p, p


def test_filter_choices_are_read_once_a_minute_per_remit(app, session, users, make_case):
    from caseflow.cases.models import Case
    from caseflow.cases.queries import distinct_values

    app.config["FILTER_CHOICES_TTL_SECONDS"] = 60
    try:
        make_case(region="Tessalit")
        first = distinct_values(session, users["auditor"], Case.region)
        make_case(region="Anefis")
        assert distinct_values(session, users["auditor"], Case.region) == first  # cached
        assert "Anefis" not in first and "Tessalit" in first
    finally:
        app.config["FILTER_CHOICES_TTL_SECONDS"] = 0
    assert "Anefis" in distinct_values(session, users["auditor"], Case.region)


def test_the_overdue_case_list_is_an_index_range_most_overdue_first(session, users, make_case, clock):
    from datetime import timedelta

    from caseflow.db import utcnow

    late = make_case(encounter_at=(utcnow() - timedelta(hours=100)).isoformat())
    later = make_case(encounter_at=(utcnow() - timedelta(hours=60)).isoformat())
    on_time = make_case(encounter_at=(utcnow() - timedelta(hours=2)).isoformat())
    assert late.next_due_at == late.encounter_at + timedelta(hours=48)
    page = case_page(session, users["auditor"], overdue=True)
    codes = [c.code for c in page.items]
    assert codes.index(late.code) < codes.index(later.code) and on_time.code not in codes
    p = plan(session, page_sql(session, users["auditor"], overdue=True))
    assert "ix_cases_next_due" in p and "TEMP B-TREE" not in p and "Sort" not in p, p
    clock.advance(timedelta(hours=47))
    assert on_time.code in [c.code for c in case_page(session, users["auditor"], overdue=True).items]


def test_a_list_count_is_capped_and_kept_briefly(app, session, users, make_case, monkeypatch):
    from caseflow.cases import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    for _ in range(3):
        make_case(region="Ber")
    page = case_page(session, users["auditor"], region="Ber")
    assert page.total == 2 and page.more and page.items[0].region == "Ber"
    app.config["LIST_COUNT_TTL_SECONDS"] = 30
    try:
        monkeypatch.setattr(queries, "COUNT_CAP", 10)
        first = case_page(session, users["auditor"], region="Ber").total
        make_case(region="Ber")
        assert case_page(session, users["auditor"], region="Ber").total == first == 3  # kept
        assert case_page(session, users["registrar"], region="Ber").total == 4  # another remit counts anew
    finally:
        app.config["LIST_COUNT_TTL_SECONDS"] = 0
    assert case_page(session, users["auditor"], region="Ber").total == 4
