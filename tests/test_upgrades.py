"""Upgrades on real data: a database at every earlier migration head, written by the Caseflow of
that head (its own migrations and its own demo data: tests/fixtures/migrations/build.py), upgraded
to head by this one; every chain then verifies, the records agree with their histories, and the
schema is the models'."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from caseflow import create_app
from caseflow.audit.models import AuditEvent
from caseflow.audit.signing import _unb64, public_text
from caseflow.audit.verify import verify_database
from caseflow.cases.models import Case
from caseflow.db import make_engine, normalise_url
from caseflow.extensions import db
from caseflow.migrate import head_revision, schema_diff, upgrade
from tests import conftest

FIXTURES = Path(__file__).parent / "fixtures" / "migrations"
REVISIONS = sorted(p.name.split(".")[0] for p in FIXTURES.glob("*.sqlite.sql"))


def fixture_keys(monkeypatch) -> None:
    """The keys the fixtures were written with (build.py): their sealed values open, their heads verify."""
    import sys

    sys.path.insert(0, str(FIXTURES))
    try:
        import build
    finally:
        sys.path.pop(0)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signing = Ed25519PrivateKey.from_private_bytes(_unb64(build.SIGNING_KEY)).public_key()
    monkeypatch.setenv("CASEFLOW_MASTER_KEY", build.MASTER_KEY)
    monkeypatch.setenv("CASEFLOW_AUDIT_TRUSTED_KEYS", public_text(signing))


def restored(revision: str, tmp_path) -> tuple[str, callable]:
    """The fixture of ``revision`` in a database of its own; returns its URL and how to drop it."""
    if conftest.BACKEND == "sqlite":
        import sqlite3

        path = tmp_path / f"{revision}.sqlite3"
        with sqlite3.connect(path) as conn:
            conn.executescript((FIXTURES / f"{revision}.sqlite.sql").read_text())
        return f"sqlite:///{path}", lambda: None
    admin = create_engine(normalise_url(conftest.PG_URL), isolation_level="AUTOCOMMIT")
    name = f"caseflow_upgrade_{revision}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name)
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(FIXTURES / f"{revision}.pg.sql"), plain],
                   check=True, capture_output=True)

    def drop():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def test_every_earlier_head_has_a_fixture():
    assert REVISIONS and REVISIONS[-1] < head_revision()
    numbers = [int(r) for r in REVISIONS]
    assert numbers == list(range(numbers[0], int(head_revision()))), REVISIONS


@pytest.mark.parametrize("revision", REVISIONS)
def test_a_database_at_an_earlier_head_upgrades_and_every_chain_verifies(revision, tmp_path, monkeypatch):
    fixture_keys(monkeypatch)
    url, drop = restored(revision, tmp_path)
    app = create_app(conftest.app_config(url))
    try:
        with app.app_context():
            cases = db.session.scalar(select(func.count()).select_from(Case))
            events = db.session.scalar(select(func.count()).select_from(AuditEvent))
            db.session.rollback()
            engine = make_engine(url)
            upgrade(engine)
            assert schema_diff(engine) == []
            engine.dispose()
            assert db.session.scalar(select(func.count()).select_from(Case)) == cases > 0
            assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= events
        if int(revision) < 14:  # heads were not signed then: signed once, after their chains verify
            r = app.test_cli_runner().invoke(args=["audit", "sign-heads"])
            assert r.exit_code == 0 and "chain heads signed" in r.output, r.output
        with app.app_context():
            report = verify_database(db.session)
            assert report.ok, [b.describe() for b in report.breaks][:5]
    finally:
        app.extensions["caseflow.db"]["engine"].dispose()
        drop()
