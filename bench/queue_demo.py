"""The job queue end to end, as the operators would run it: two gunicorn instances on different ports
and two Celery workers on one PostgreSQL database and Redis. An export of N history rows (1,000,000 by
default) is started through the first instance's API, the worker that took it is killed with SIGKILL
mid-export, the other worker finishes it, and the workbook downloads through the second instance.

    python -m bench.queue_demo [--rows 1000000] [--keep DBNAME]

Prints the time each step took, the job's attempts, and whether the download's SHA-256 matches the
job's. Needs PostgreSQL (CASEFLOW_BENCH_PG) and Redis (CASEFLOW_BENCH_REDIS, database 12 by default).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REDIS = os.environ.get("CASEFLOW_BENCH_REDIS", "redis://127.0.0.1:6379/12")


def env_for(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "CASEFLOW_ENV": "development",
            "CASEFLOW_CELERY_BROKER_URL": REDIS, "CASEFLOW_CELERY_VISIBILITY_TIMEOUT": "10",
            "CASEFLOW_LOGIN_RATE_PER_IP": "100000 per minute"}


def spawn(args: list[str], url: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, env=env_for(url), stdout=log.open("wb"), stderr=subprocess.STDOUT,  # noqa: S603
                            start_new_session=True)


def web(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    from bench.http import free_port

    port = free_port()
    proc = spawn([str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--timeout", "120", "--bind",
                  f"127.0.0.1:{port}", "caseflow:create_app()"], url, log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(base + "/", timeout=5).close()
            return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not start; see {log}")


def worker(url: str, name: str, log: Path) -> subprocess.Popen:
    return spawn([sys.executable, "-m", "celery", "-A", "caseflow.worker", "worker", "--pool", "solo", "-n",
                  f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"], url, log)


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)


def main() -> None:
    import redis
    from sqlalchemy import select

    from bench.common import bench_database, scratch_url
    from bench.export_history import populate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="PostgreSQL database name to build (or reuse) and keep")
    args = parser.parse_args()
    redis.Redis.from_url(REDIS).flushdb()
    tmp = Path(tempfile.mkdtemp(prefix="caseflow-queue-"))
    with scratch_url("postgresql", args.keep, tmp) as (url, fresh):
        t0 = time.perf_counter()
        if fresh:
            populate(url, args.rows)
        print(f"database: {args.rows:,} history rows ({time.perf_counter() - t0:.0f} s)", flush=True)
        with bench_database(url) as db:
            from caseflow.auth.models import User
            from caseflow.auth.operations import create_token

            auditor = db.session.scalar(select(User).where(User.email == "auditor@caseflow.demo"))
            token = create_token(db.session, auditor, "queue-demo", 1)[1]
            db.commit()
        hdr = {"Authorization": f"Bearer {token}"}
        procs = []
        try:
            one_proc, one = web(url, tmp / "web1.log")
            two_proc, two = web(url, tmp / "web2.log")
            procs += [one_proc, two_proc]
            first = worker(url, "first", tmp / "worker1.log")
            procs.append(first)
            t0 = time.perf_counter()
            r = requests.get(f"{one}/api/v1/exports/cases.xlsx", headers={**hdr, "Prefer": "respond-async"},
                             timeout=120)
            assert r.status_code == 202, r.text
            job_url = two + r.headers["Location"]
            print(f"202 from instance 1 in {time.perf_counter() - t0:.1f} s: {r.headers['Location']}", flush=True)
            while (job := requests.get(job_url, headers=hdr, timeout=30).json())["done"] < min(20_000, args.rows // 4):
                time.sleep(0.5)
            print(f"instance 2 sees it running: {job['done']:,} of {job['total']:,} rows; SIGKILL the worker",
                  flush=True)
            stop(first, signal.SIGKILL)
            second = worker(url, "second", tmp / "worker2.log")
            procs.append(second)
            while (job := requests.get(job_url, headers=hdr, timeout=30).json())["state"] not in ("done", "failed"):
                time.sleep(1)
            print(f"job {job['state']} after {time.perf_counter() - t0:.0f} s, attempts {job['attempts']}", flush=True)
            assert job["state"] == "done", job
            digest, size = hashlib.sha256(), 0
            with requests.get(two + job["file"], headers=hdr, stream=True, timeout=600) as f:
                f.raise_for_status()
                for block in f.iter_content(1 << 20):
                    digest.update(block)
                    size += len(block)
            same = digest.hexdigest() == job["result"]["sha256"]
            print(f"downloaded from instance 2: {size:,} bytes, SHA-256 {'matches' if same else 'DIFFERS'}; "
                  f"deleted after {job['file_expires_at']}")
        finally:
            for p in procs:
                stop(p)


if __name__ == "__main__":
    main()
