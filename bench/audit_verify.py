"""Benchmark: audit-chain verification on N events (default 1,000,000), beside bare SHA-256 over
the same canonical bytes in the same run. Not a test: it prints numbers.

    python -m bench.audit_verify [--events N] [--db-events M]

--db-events M also writes M events into a fresh SQLite database through the real append path
and times ``verify_database`` on it (reading included).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta

from caseflow.audit.hashing import HASH_VERSION, canonical_json, event_bytes, event_hash, format_ts
from caseflow.audit.models import GENESIS_HASH
from caseflow.audit.verify import verify_events, verify_links


class Event:
    """An event as verification reads it from the database (``verify.stream_events``): every column,
    the JSON ones as their stored text."""
    __slots__ = ("chain", "seq", "case_id", "hash_version", "occurred_at", "actor_id", "actor_name", "actor_role",
                 "actor_org", "action", "from_state", "to_state", "details_json", "identifying_json", "ident_digest",
                 "request_id", "client_addr", "prev_hash", "hash", "at_text")


def make_events(n: int, per_chain: int = 25, actor_id: int | None = 7) -> list[Event]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events, prev, chain = [], GENESIS_HASH, None
    for i in range(n):
        if i % per_chain == 0:
            chain, prev = f"CF-2026-{i // per_chain:07d}", GENESIS_HASH
        e = Event()
        e.chain, e.seq, e.case_id, e.hash_version = chain, i % per_chain + 1, i // per_chain + 1, HASH_VERSION
        e.occurred_at = start + timedelta(seconds=i, microseconds=i * 7919 % 1_000_000)  # as a clock gives them
        e.at_text = format_ts(e.occurred_at)  # as the database writes it for verification
        e.actor_id, e.actor_name, e.actor_role, e.actor_org = actor_id, "Claire Martin", "reviewer", "UN mission"
        e.action, e.from_state, e.to_state = "cast_vote", "under_review", "under_review"
        e.details_json = canonical_json({"payload": {"outcome": "release", "offence_category": "support_tasks",
                                                     "reasons": "Association only; hand over without delay."},
                                         "round": 1}).decode()
        e.identifying_json, e.ident_digest = "null", ""
        e.request_id, e.client_addr = "5f2c0e1a9b7d3c11", "10.0.0.8"
        e.prev_hash = prev
        e.hash = prev = event_hash(e)
        events.append(e)
    return events


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def as_links(events: list[Event]) -> list[tuple]:
    """The same events as ``verify.stream_links`` reads them: ``models.link_columns()`` in order, the
    canonical bytes written by the database (``models.canonical_content``, held equal to
    ``event_bytes`` by tests/test_audit.py), exact-size copies (orjson over-allocates)."""
    return [(e.chain, e.seq, e.prev_hash, e.at_text, e.hash, bytes(bytearray(event_bytes(e))), e.identifying_json,
             e.ident_digest, e.case_id) for e in events]


def bench_memory(n: int) -> None:
    t0 = time.perf_counter()
    events = make_events(n)
    links = as_links(events)
    print(f"built {n:,} chained events in {time.perf_counter() - t0:.1f} s")
    total = sum(len(link[5]) for link in links)

    t0 = time.perf_counter()
    for link in links:
        hashlib.sha256(link[5]).hexdigest()
    bare = time.perf_counter() - t0

    t0 = time.perf_counter()
    report = verify_links(links)
    full = time.perf_counter() - t0
    assert report.ok and report.events == n

    t0 = time.perf_counter()
    assert verify_events(events).ok
    encoding = time.perf_counter() - t0
    print(f"bare SHA-256 over the same {total / 1e6:,.0f} MB: {n / bare:,.0f} events/s ({bare:.2f} s)")
    print(f"verify_links (the database's bytes: hash + link checks): {n / full:,.0f} events/s ({full:.2f} s)")
    print(f"verify_events (encoded in Python, as for a workbook): {n / encoding:,.0f} events/s ({encoding:.2f} s)")
    ratio = bare / full
    print(f"verification runs at {ratio:.2f} of bare SHA-256 speed (goal 0.7: {'met' if ratio >= 0.7 else 'NOT met'});"
          f" peak memory {peak_mb():,.0f} MB")


def bench_database(m: int) -> None:
    from caseflow import create_app
    from caseflow.audit.log import record
    from caseflow.audit.verify import stream_events, stream_links, verify_chains, verify_database
    from caseflow.db import write_intent
    from caseflow.extensions import db
    from caseflow.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}"
        app = create_app({"CASEFLOW_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
        with app.app_context():
            upgrade(db.engine)
            token = write_intent.set(True)
            t0 = time.perf_counter()
            for i in range(m):
                record(db.session, "cast_vote", chain=f"CF-2026-{i // 25:07d}", actor_label="bench",
                       details={"payload": {"outcome": "release"}, "round": 1})
                if i % 5000 == 4999:
                    db.commit()
            db.commit()
            write_intent.reset(token)
            print(f"appended {m:,} events through record() in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            read = sum(1 for _ in stream_links(db.session))
            reading = time.perf_counter() - t0
            chains = verify_chains(db.session)
            assert chains.ok and chains.events == read == m
            print(f"reading the links (the database writes each event's bytes): {m / reading:,.0f} events/s")
            print(f"verify_chains (reading included): {chains.rate:,.0f} events/s ({chains.seconds:.2f} s)")
            t0 = time.perf_counter()
            assert verify_events(stream_events(db.session)).ok
            print(f"the same, whole rows encoded in Python: {m / (time.perf_counter() - t0):,.0f} events/s")
            report = verify_database(db.session)
            assert report.ok
            print(f"verify_database (SQLite; heads, log and records included): {report.rate:,.0f} events/s "
                  f"({report.seconds:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db-events", type=int, default=0)
    args = parser.parse_args()
    bench_memory(args.events)
    if args.db_events:
        bench_database(args.db_events)


if __name__ == "__main__":
    main()
