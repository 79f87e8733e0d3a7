"""What every benchmark starts from: an app on the benchmark's database, migrated, with the demo
people (and cheap password hashing: the benchmarks measure other things)."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def bench_database(url: str):
    """An app context on ``url``, migrated, the demo people loaded and committed, writing."""
    from caseflow import create_app
    from caseflow.db import write_intent
    from caseflow.demo import load_people
    from caseflow.extensions import db
    from caseflow.migrate import upgrade

    app = create_app({"CASEFLOW_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})
    with app.app_context():
        upgrade(db.engine)
        token = write_intent.set(True)
        try:
            from sqlalchemy import func, select

            from caseflow.auth.models import User

            if not db.session.scalar(select(func.count()).select_from(User)):
                load_people(db.session)
                db.commit()
            yield db
        finally:
            write_intent.reset(token)
            db.session.close()
            db.engine.dispose()


@contextmanager
def scratch_url(kind: str, keep: str | None, tmp):
    """A database URL for a benchmark: a SQLite file under ``tmp`` (or ``keep``), or a PostgreSQL
    database of its own (named ``keep``, or made and dropped here). Yields (url, fresh)."""
    import os
    from pathlib import Path

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from caseflow.db import normalise_url

    if kind == "sqlite":
        path = Path(keep) if keep else Path(tmp) / "bench.sqlite3"
        yield f"sqlite:///{path}", not path.exists()
        return
    admin_url = normalise_url(os.environ.get("CASEFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))
    dbname = keep or f"caseflow_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        fresh = not c.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": dbname}).first()
        if fresh:
            c.execute(text(f'CREATE DATABASE "{dbname}"'))
    try:
        yield make_url(admin_url).set(database=dbname).render_as_string(hide_password=False), fresh
    finally:
        if not keep:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        admin.dispose()
