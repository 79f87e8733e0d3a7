"""Faults under load, with real servers of the test's own (bench/faults.py): PostgreSQL restarted,
Redis restarted, the Celery worker killed, while transitions, reads, exports and sign-ins go on;
then every invariant checked (no 500; 503s with Retry-After; every 2xx transition recorded and in
its chain; every refused one changed nothing; audit verify; every job finished; sign-in during the
Redis outage; the shared limit back)."""

from __future__ import annotations

from bench.faults import run


def test_postgresql_redis_and_a_worker_restarted_under_load_break_no_invariant():
    report = run(n=1000, seconds=24, outage=3)
    print("\n".join(report.figures))
    assert not report.problems, report.problems
    assert any(line.startswith("requests sent") and " 503 0," not in line for line in report.figures), \
        "the outage was not seen by any request: the test tested nothing"
