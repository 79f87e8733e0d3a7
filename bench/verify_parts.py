"""Benchmark: a whole verification as a job, on one Celery worker and split across two, on PostgreSQL
and Redis. Not a test: it prints numbers.

    python -m bench.verify_parts [--events 300000] [--parts 4] [--keep DBNAME]

N events (chains of 25, signed heads, every event in the published log) are loaded in bulk into a
database of their own; then the ``verify`` job runs three times: one worker verifying the whole
(``CASEFLOW_AUDIT_VERIFY_PARTS=1``), one worker taking the parts one after another, two workers
sharing them. Each time is from the job's start to its end, as its row records it. Needs PostgreSQL
(CASEFLOW_BENCH_PG) and Redis (CASEFLOW_BENCH_REDIS, database 12 by default)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.audit_verify import make_events
from bench.common import bench_database, scratch_url
from bench.queue_demo import REDIS, spawn, stop

COLUMNS = ("chain", "seq", "case_id", "hash_version", "occurred_at", "actor_id", "actor_name", "actor_role",
           "actor_org", "action", "from_state", "to_state", "ident_digest", "request_id", "client_addr", "prev_hash",
           "hash")


def load(db, n: int) -> None:
    """The events as verification would find them after N appends, written in bulk."""
    import orjson
    from sqlalchemy import insert

    from caseflow.audit.models import AuditEvent, ChainHead
    from caseflow.audit.publish import publish
    from caseflow.audit.signing import head_message, signer

    t0 = time.perf_counter()
    events = make_events(n, actor_id=None)  # no such user here
    for i in range(0, n, 20000):
        rows = [{**{c: getattr(e, c) for c in COLUMNS}, "details": orjson.loads(e.details_json)}
                for e in events[i:i + 20000]]
        db.session.execute(insert(AuditEvent), rows)
    heads, keys = {}, signer()
    for e in events:
        heads[e.chain] = e
    db.session.execute(insert(ChainHead), [{"chain": c, "seq": e.seq, "hash": e.hash, "occurred_at": e.occurred_at,
                                            "sig": keys.sign(head_message(c, e.seq, e.hash))}
                                           for c, e in heads.items()])
    db.commit()
    publish(db.session)
    db.commit()
    print(f"loaded {n:,} events in {len(heads):,} chains, published in the log, in {time.perf_counter() - t0:.0f} s")


def workers(url: str, count: int, parts: int, tmp: Path) -> list:
    import os

    os.environ["CASEFLOW_AUDIT_VERIFY_PARTS"] = str(parts)
    procs = [spawn([sys.executable, "-m", "celery", "-A", "caseflow.worker", "worker", "--pool", "solo", "-n",
                    f"verify{i}-{parts}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"], url,
                   tmp / f"worker{i}-{parts}.log") for i in range(count)]
    time.sleep(6)  # the workers' start, not part of the measure
    return procs


def run_once(url: str, count: int, parts: int, tmp: Path) -> float:
    from caseflow import create_app
    from caseflow.db import write_intent
    from caseflow.extensions import db
    from caseflow.jobs.models import Job
    from caseflow.jobs.operations import enqueue, start

    procs = workers(url, count, parts, tmp)
    app = create_app({"CASEFLOW_ENV": "testing", "SECRET_KEY": "bench-secret", "DATABASE_URL": url,
                      "CELERY_BROKER_URL": REDIS})
    try:
        with app.app_context():
            token = write_intent.set(True)
            job = start(db.session, "verify", None, {})
            job_id = job.id
            db.commit()
            write_intent.reset(token)
            enqueue(job_id)
            while True:
                db.session.expire_all()
                job = db.session.get(Job, job_id)
                if job.state in ("done", "failed"):
                    break
                db.rollback()
                time.sleep(0.05)
            assert job.state == "done" and job.result["ok"], (job.error, job.result)
            seconds = (job.finished_at - job.started_at).total_seconds()
            db.rollback()
    finally:
        for p in procs:
            stop(p)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--keep", help="a PostgreSQL database name to keep (and load once)")
    args = parser.parse_args()
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    with tempfile.TemporaryDirectory() as tmp, scratch_url("postgresql", args.keep, tmp) as (url, fresh):
        if fresh:
            with bench_database(url) as db:
                load(db, args.events)
        whole = run_once(url, 1, 1, Path(tmp))
        one = run_once(url, 1, args.parts, Path(tmp))
        two = run_once(url, 2, args.parts, Path(tmp))
        n = args.events
        print(f"one worker, the whole at once: {whole:.2f} s ({n / whole:,.0f} events/s)")
        print(f"one worker, {args.parts} parts and the log in turn: {one:.2f} s ({n / one:,.0f} events/s)")
        print(f"two workers sharing them: {two:.2f} s ({n / two:,.0f} events/s)")
        speedup = whole / two
        print(f"two workers run at {speedup:.2f} x one (goal 1.7: {'met' if speedup >= 1.7 else 'NOT met'})")


if __name__ == "__main__":
    main()
