"""The schema is made only by migrations, and the migrated schema is the models' schema."""

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
