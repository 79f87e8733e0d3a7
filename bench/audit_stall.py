"""The longest write stall while auditors reload the integrity page (PostgreSQL).

Writers append audit events, each in its own transaction as a transition does, for ``--seconds``;
then again while ``--auditors`` auditors reload /audit/ as fast as it answers (and, where the code
has one, a publisher signs a tree head every second). Writers and auditors run in processes of their
own. Printed: each phase's write latency (p50, p99, max) and the auditors' page rate.

    python -m bench.audit_stall --events 50000 --seconds 15

Before signed tree heads, the page computed a digest under ``LOCK TABLE audit_chain_heads IN SHARE
MODE``, which every append waited for; the same script run on that commit gives the "before" row.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import statistics
import tempfile
import threading
import time

PASSWORD = "caseflow-demo-2026"


def make_app(url: str):
    from caseflow import create_app

    return create_app({"CASEFLOW_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url,
                       "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "SECOND_FACTOR_ROLES": frozenset(),
                       "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False})


def prepare(url: str, events: int) -> None:
    from sqlalchemy import func, select

    from caseflow.audit.log import record
    from caseflow.audit.models import AuditEvent
    from caseflow.auth.models import User
    from caseflow.db import write_intent
    from caseflow.demo import load_people
    from caseflow.extensions import db
    from caseflow.migrate import upgrade

    app = make_app(url)
    with app.app_context():
        upgrade(db.engine)
        write_intent.set(True)
        if not db.session.scalar(select(func.count()).select_from(User)):
            load_people(db.session)
            db.commit()
        have = db.session.scalar(select(func.count()).select_from(AuditEvent))
        t0 = time.perf_counter()
        for i in range(have, events):
            record(db.session, "note_added", chain=f"CF-2026-{i // 20:07d}", actor_label="bench",
                   details={"note": "bench"})
            if i % 2000 == 1999:
                db.commit()
        db.commit()
        if events > have:
            print(f"appended {events - have:,} events in {time.perf_counter() - t0:.0f} s")
        publish_once(db)


def publish_once(db) -> bool:
    try:
        from caseflow.audit.publish import publish
    except ImportError:  # the code before signed tree heads
        return False
    publish(db.session)
    db.commit()
    return True


def writer(url: str, threads: int, seconds: float, out) -> None:
    from caseflow.audit.log import record
    from caseflow.db import write_intent
    from caseflow.extensions import db

    app = make_app(url)
    lat: list[float] = []
    stop = time.monotonic() + seconds

    def loop(n: int) -> None:
        with app.app_context():
            write_intent.set(True)
            k = 0
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                record(db.session, "note_added", chain=f"STALL-{n}-{k % 50}", actor_label="bench",
                       details={"note": "write under audit"})
                db.commit()
                lat.append(time.perf_counter() - t0)
                k += 1

    ts = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(("write", lat))


def auditor(url: str, threads: int, seconds: float, out) -> None:
    app = make_app(url)
    lat: list[float] = []
    stop = time.monotonic() + seconds

    def loop() -> None:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)
        client.post("/login", data={"csrf_token": token, "email": "auditor@caseflow.demo", "password": PASSWORD})
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            r = client.get("/audit/")
            assert r.status_code == 200, r.status_code
            lat.append(time.perf_counter() - t0)

    ts = [threading.Thread(target=loop) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(("audit", lat))


def publisher(url: str, seconds: float, out) -> None:
    from caseflow.db import write_intent
    from caseflow.extensions import db

    app = make_app(url)
    stop, n = time.monotonic() + seconds, 0
    with app.app_context():
        write_intent.set(True)
        while time.monotonic() < stop:
            if not publish_once(db):
                break
            n += 1
            time.sleep(1)
    out.put(("publish", [n]))


def phase(url: str, args, with_auditors: bool) -> dict:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(url, args.writers, args.seconds, out))]
    if with_auditors:
        procs.append(ctx.Process(target=auditor, args=(url, args.auditors, args.seconds, out)))
        procs.append(ctx.Process(target=publisher, args=(url, args.seconds, out)))
    for p in procs:
        p.start()
    got = dict(out.get() for _ in procs)
    for p in procs:
        p.join()
    return got


def describe(name: str, lat: list[float], seconds: float) -> str:
    ms = sorted(x * 1000 for x in lat)
    p99 = ms[int(len(ms) * 0.99) - 1] if ms else 0
    return (f"{name:<34} {len(ms) / seconds:7.0f}/s  p50 {statistics.median(ms):6.1f} ms  p99 {p99:7.1f} ms  "
            f"max {ms[-1]:7.1f} ms")


def main() -> None:
    from bench.common import scratch_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000, help="events in the log before measuring")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--auditors", type=int, default=4)
    parser.add_argument("--keep", help="a PostgreSQL database to keep (and reuse) between runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_url("postgresql", args.keep, tmp) as (url, _fresh):
        prepare(url, args.events)
        alone = phase(url, args, with_auditors=False)
        loaded = phase(url, args, with_auditors=True)
        print(f"PostgreSQL, {args.events:,} events, {args.writers} writers, {args.auditors} auditors, "
              f"{args.seconds:.0f} s per phase")
        print(describe("writes alone", alone["write"], args.seconds))
        print(describe("writes while auditors reload", loaded["write"], args.seconds))
        print(describe("integrity page loads", loaded["audit"], args.seconds))
        print(f"tree heads published meanwhile: {loaded['publish'][0]}")


if __name__ == "__main__":
    main()
