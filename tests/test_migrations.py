"""The schema is made only by migrations, and the migrated schema is the models' schema."""

import pytest
from sqlalchemy import inspect

from caseflow.db import make_engine
from caseflow.migrate import current_revision, schema_diff
from caseflow.models import Base


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from caseflow.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrated_schema_equals_the_models(database):
    engine = make_engine(database.url)
    try:
        assert schema_diff(engine) == []
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_constraint_names_follow_the_convention(database):
    engine = make_engine(database.url)
    try:
        checks = {c["name"] for c in inspect(engine).get_check_constraints("cases")}
        assert "ck_cases_closed_reason_allowed" in checks
        # what a state requires of the record is the workflow files', not a constraint naming states
        assert "ck_cases_closed_has_reason" not in checks and "ck_cases_handover_has_receiver" not in checks
        uniques = {c["name"] for c in inspect(engine).get_unique_constraints("audit_events")}
        assert "uq_audit_events_chain_seq" in uniques
    finally:
        engine.dispose()


def test_rows_written_before_0020_are_sealed_by_it_and_still_read(tmp_path_factory):
    """A database with free text in clear (at 0019): the migration seals it with each case's key
    (made for a case that had none), the application reads it back, a facility reference is found
    through the blind index, and no clear text is left in the columns."""
    from datetime import datetime

    from sqlalchemy import select, text

    from caseflow import create_app
    from caseflow.imports.operations import same_reference
    from caseflow.migrate import upgrade
    from caseflow.review.models import Vote
    from tests import conftest

    database = conftest.TestDatabase(tmp_path_factory, "before0020", revision="0019")
    engine = make_engine(database.url)
    try:
        now = datetime(2026, 5, 1, 8, 0)
        with engine.begin() as c:
            c.execute(text("INSERT INTO organisations (id, name, kind, active, created_at) "
                           "VALUES (1, 'Registry', 'government', true, :t)"), {"t": now})
            c.execute(text("INSERT INTO users (id, email, full_name, password_hash, role, organisation_id, locale, "
                           "active, created_at) VALUES (1, 'r@x', 'R', 'x', 'registrar', 1, 'en', true, :t)"),
                      {"t": now})
            c.execute(text("INSERT INTO cases (id, code, workflow, state, version, state_entered_at, created_at, "
                           "created_by_id, registering_org_id, cercle, facility_reference, charges) VALUES "
                           "(1, 'CF-2026-00001', 'detained_child', 'under_review', 2, :t, :t, 1, 1, 'Ansongo', "
                           "'GAO-17', 'Association')"), {"t": now})
            c.execute(text("INSERT INTO review_rounds (id, case_id, number, opened_at) VALUES (1, 1, 1, :t)"),
                      {"t": now})
            c.execute(text("INSERT INTO review_votes (id, round_id, voter_id, organisation_id, organisation_kind, "
                           "outcome, offence_category, reasons, cast_at) VALUES (1, 1, 1, 1, 'government', "
                           "'release', 'support_tasks', 'No offence beyond association', :t)"), {"t": now})
        app = create_app(conftest.app_config(database.url))
        with app.app_context():
            upgrade(engine, "head")
            with engine.connect() as c:
                cercle, ref = c.execute(text("SELECT cercle, facility_reference FROM cases")).one()
                reasons = c.execute(text("SELECT reasons FROM review_votes")).scalar_one()
            assert cercle.startswith("c1.") and ref.startswith("c1.") and reasons.startswith("c1.")
            assert "Ansongo" not in cercle and "association" not in reasons
            from caseflow.cases.models import Case
            from caseflow.extensions import db

            case = db.session.get(Case, 1)
            assert (case.cercle, case.facility_reference, case.charges) == ("Ansongo", "GAO-17", "Association")
            assert db.session.get(Vote, 1).reasons == "No offence beyond association"
            assert db.session.scalar(select(Case.code).where(same_reference("gao-17"))) == "CF-2026-00001"
            db.session.rollback()
        engine.dispose()
        app.extensions["caseflow.db"]["engine"].dispose()
    finally:
        engine.dispose()
        database.drop()


#: migrations that do not go back: 0020 sealed the free text, which is never put back in clear
ONE_WAY = {"0020": "restore a backup taken before 0020"}


def test_every_migration_goes_down_one_step_and_up_again(tmp_path_factory):
    """From the empty schema, each revision in turn: up to it, one step down, up again; at the end
    the schema is the models' (a downgrade that forgot a column or an index shows here)."""
    from alembic.script import ScriptDirectory

    from caseflow.migrate import alembic_config, current_revision, downgrade, schema_diff, upgrade
    from tests import conftest

    revisions = [s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()][::-1]
    database = conftest.TestDatabase(tmp_path_factory, "updown", revision="base")
    engine = make_engine(database.url)
    try:
        for revision in revisions:
            upgrade(engine, revision)
            if revision in ONE_WAY:  # refused whole, with the way back said: nothing changed
                with pytest.raises(RuntimeError, match=ONE_WAY[revision]):
                    downgrade(engine, "-1")
                assert current_revision(engine) == revision
                continue
            downgrade(engine, "-1")
            assert current_revision(engine) == (None if revision == revisions[0] else
                                                revisions[revisions.index(revision) - 1])
            upgrade(engine, revision)
            assert current_revision(engine) == revision
        assert schema_diff(engine) == []
    finally:
        engine.dispose()
        database.drop()


def test_a_database_written_by_a_newer_caseflow_is_refused(tmp_path_factory):
    from sqlalchemy import text

    from caseflow import create_app
    from tests import conftest

    database = conftest.TestDatabase(tmp_path_factory, "newer")
    engine = make_engine(database.url)
    try:
        with engine.begin() as c:
            c.execute(text("UPDATE alembic_version SET version_num = '0999'"))
        app = create_app(conftest.app_config(database.url))
        r = app.test_cli_runner().invoke(args=["db", "upgrade"], catch_exceptions=False)
        assert r.exit_code == 1 and "revision 0999" in r.output and "a newer Caseflow wrote it" in r.output
        with engine.connect() as c:  # nothing was changed
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0999"
        app.extensions["caseflow.db"]["engine"].dispose()
    finally:
        engine.dispose()
        database.drop()
