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
            load_people(db.session)
            db.commit()
            yield db
        finally:
            write_intent.reset(token)
