"""Faults under load. Caseflow runs under gunicorn (2 workers) with a Celery worker and beat, on a
PostgreSQL and a Redis of its own: ``initdb`` into a temporary folder with the installed server
binaries, and ``redis-server --port``, each on a port of its own, so that restarting them disturbs
nothing else on the machine. A bounded load of transitions, reads, exports and sign-ins runs while
PostgreSQL is restarted, then Redis, and then the Celery worker is killed (SIGKILL) and another is
started. Afterwards every invariant is checked:

- no answer was a 500; every 503 was problem+json with ``Retry-After``;
- every 2xx transition is in the database and in its case's chain;
- every refused transition changed nothing;
- ``audit verify`` passes;
- every export job finished or failed (none left queued or running);
- sign-in worked while Redis was down (each process counting on its own), and the shared limit
  holds again once it is back.

    python -m bench.faults [--cases 1500] [--seconds 40] [--outage 3]

It prints the figures: requests sent, 2xx, 503 and anything else by kind, and per fault the 503s
and the time from the dependency's return to the next 2xx transition. ``tests/test_faults.py``
runs it and asserts that nothing is reported.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import glob
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.http import PASSWORD, build, free_port, serve

ROOT = Path(__file__).resolve().parent.parent


def server_binary(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), reverse=True) or [shutil.which(tool)]
    if not found[0]:
        raise SystemExit(f"{tool} is not installed (PostgreSQL's server binaries)")
    return found[0]


class Postgres:
    """A PostgreSQL server in a folder of its own, on a port of its own (run as the ``postgres``
    user when started by root, which initdb refuses)."""

    def __init__(self, root: Path):
        self.home = root / "pg"
        self.home.mkdir()
        self.data, self.log, self.port = self.home / "data", self.home / "server.log", free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(server_binary("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/caseflow"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)  # noqa: S603

    def start(self) -> None:
        self._run(server_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1", "start")

    def stop(self) -> None:
        self._run(server_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres",
                               isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.execute(text("CREATE DATABASE caseflow"))
        engine.dispose()


class Redis:
    """A Redis of its own, with its append-only file (a restart keeps the queue, as in production)."""

    def __init__(self, root: Path):
        self.dir, self.port, self.proc = root / "redis", free_port(), None
        self.dir.mkdir()
        self.url = f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        import redis

        self._out = (self.dir / "server.log").open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - the installed server, our options
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--appendonly", "yes", "--save", ""], stdout=self._out, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
                return
            except redis.RedisError:
                time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self._out.close()


class Celery:
    def __init__(self, env: dict, log: Path, *args: str):
        self._out = log.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own worker command
            [sys.executable, "-m", "celery", "-A", "caseflow.worker", *args, "--loglevel", "INFO"], cwd=ROOT,
            env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)
        self._out.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


def worker(env: dict, root: Path, name: str) -> Celery:
    return Celery(env, root / f"{name}.log", "worker", "--pool", "solo", "-n", f"{name}@%h", "--without-gossip",
                  "--without-mingle", "--without-heartbeat")


@dataclass
class Answer:
    kind: str
    at: float
    status: int
    code: str | None = None
    well_formed: bool = True  # a 503: problem+json with Retry-After


@dataclass
class Load:
    base: str
    tokens: dict
    registered: list
    reviewing: list
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, kind: str, r, code: str | None = None) -> None:
        status = r if isinstance(r, int) else r.status_code
        ok = True
        if status == 503:  # the API answers problem+json; a page, an HTML page saying the same
            kind_of = "text/html" if kind == "sign-in" else "application/problem+json"
            ok = bool(r.headers.get("Retry-After")) and r.headers.get("Content-Type", "").startswith(kind_of)
        with self.lock:
            self.answers.append(Answer(kind, time.monotonic(), status, code, ok))

    def bearer(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}", "Accept": "application/json"}

    def transitions(self) -> None:
        with requests.Session() as s:
            while not self.stop.is_set():
                with self.lock:
                    if not self.registered:
                        return
                    code = self.registered.pop()
                self.keep("transition", self.call(s.post, f"/api/v1/cases/{code}/transitions/submit_for_review",
                                                  json={}, headers={**self.bearer("registrar"), "If-Match": '"1"'}),
                          code)
                self.stop.wait(0.1)  # paced: the cases last the whole run

    def reads(self) -> None:
        with requests.Session() as s:
            while not self.stop.is_set():
                code = random.choice(self.reviewing)  # noqa: S311 - a load generator's choice
                self.keep("read", self.call(s.get, f"/api/v1/cases/{code}", headers=self.bearer("registrar")))
                self.stop.wait(0.02)

    def exports(self) -> None:
        with requests.Session() as s:
            while not self.stop.is_set():
                r = self.call(s.get, "/api/v1/exports/cases.xlsx", headers={**self.bearer("auditor"),
                                                                            "Prefer": "respond-async"})
                self.keep("export", r)
                if not isinstance(r, int) and r.status_code == 202:
                    with self.lock:
                        self.jobs.append(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
                self.stop.wait(1.5)

    def sign_ins(self) -> None:
        while not self.stop.is_set():
            with requests.Session() as s:
                page = self.call(s.get, "/login")
                if isinstance(page, int) or page.status_code != 200:
                    self.keep("sign-in", page)
                else:
                    csrf = page.text.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
                    self.keep("sign-in", self.call(s.post, "/login", allow_redirects=False, data={
                        "csrf_token": csrf, "email": "registrar@caseflow.demo", "password": PASSWORD}))
            self.stop.wait(0.3)

    def call(self, method, path: str, **kw):
        try:
            return method(self.base + path, timeout=30, **kw)
        except requests.RequestException:
            return 599  # no answer at all


@dataclass
class Report:
    figures: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def say(self, line: str) -> None:
        self.figures.append(line)
        print(line, flush=True)


def run(n: int = 1500, seconds: float = 40, outage: float = 3) -> Report:
    root = Path(tempfile.mkdtemp(prefix="caseflow-faults-"))
    root.chmod(0o755)
    pg, rd = Postgres(root), Redis(root)
    procs: list = []
    try:
        pg.start()
        pg.create_database()
        rd.start()
        data = build(pg.url, n, reviewing=False)
        env = {**os.environ, "DATABASE_URL": pg.url, "SECRET_KEY": "faults", "CASEFLOW_ENV": "development",
               "CASEFLOW_RATELIMIT_STORAGE_URI": f"{rd.url}/2", "CASEFLOW_CELERY_BROKER_URL": f"{rd.url}/0",
               "CASEFLOW_CELERY_VISIBILITY_TIMEOUT": "10", "CASEFLOW_JOBS_REQUEUE_AFTER_SECONDS": "5",
               "CASEFLOW_SECOND_FACTOR_ROLES": "none", "CASEFLOW_EXPORT_INLINE_MAX_EVENTS": "1",
               "CASEFLOW_LOG_FORMAT": "json"}
        web, base = serve("caseflow:create_app()", pg.url, root / "gunicorn.log", env)
        procs.append(web)
        celery = [worker(env, root, "first"), Celery(env, root / "beat.log", "beat", "-s", str(root / "beat"))]
        procs += celery
        load = Load(base, data["tokens"], list(data["registered"]), list(data["registered"]))
        faults = drive(load, seconds, outage, pg, rd, celery, env, root)
        procs += celery[2:]
        report = Report()
        figures(load, faults, report)
        check(load, faults, pg, rd, env, base, report)
        if any("answered 5" in problem for problem in report.problems):  # what the server logged of them
            report.problems += unhandled(root / "gunicorn.log")
        return report
    finally:
        for p in procs:
            if isinstance(p, Celery):
                p.stop()
            else:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=30)
                p.log_file.close()
        for stop in (rd.stop, pg.stop):
            with contextlib.suppress(Exception):  # already stopped
                stop()
        shutil.rmtree(root, ignore_errors=True)


def drive(load: Load, seconds: float, outage: float, pg: Postgres, rd: Redis, celery: list, env: dict,
          root: Path) -> dict:
    """The load in threads; the faults on the main thread, at 20 %, 45 % and 70 % of the time.
    Returns each fault's (went, back) times."""
    threads = [threading.Thread(target=fn, daemon=True) for fn in
               (load.transitions, load.transitions, load.reads, load.reads, load.exports, load.sign_ins)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    faults = {}

    def at(share: float) -> None:
        time.sleep(max(0.0, t0 + share * seconds - time.monotonic()))

    for name, share, stop, start in (("postgresql restarted", 0.2, pg.stop, pg.start),
                                     ("redis restarted", 0.45, rd.stop, rd.start)):
        at(share)
        went = time.monotonic()
        stop()
        time.sleep(outage)
        start()
        faults[name] = (went, time.monotonic())
    at(0.7)
    went = time.monotonic()
    celery[0].kill()
    time.sleep(2)
    celery.append(worker(env, root, "second"))
    faults["celery worker killed"] = (went, time.monotonic())
    at(1.0)
    load.stop.set()
    for t in threads:
        t.join(60)
    return faults


def figures(load: Load, faults: dict, report: Report) -> None:
    by_kind = collections.defaultdict(collections.Counter)
    for a in load.answers:
        by_kind[a.kind]["2xx" if 200 <= a.status < 400 else str(a.status)] += 1
    sent = len(load.answers)
    ok = sum(c["2xx"] for c in by_kind.values())
    unavailable = sum(c["503"] for c in by_kind.values())
    report.say(f"requests sent {sent}: 2xx/3xx {ok}, 503 {unavailable}, anything else {sent - ok - unavailable}")
    for kind, counts in sorted(by_kind.items()):
        report.say(f"  {kind:10} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    moves = sorted(a.at for a in load.answers if a.kind == "transition" and 200 <= a.status < 300)
    for name, (went, back) in faults.items():
        during = sum(1 for a in load.answers if went <= a.at <= back + 1 and a.status == 503)
        after = next((t for t in moves if t >= back), None)
        recovery = "no 2xx transition after it" if after is None else f"{after - back:.2f} s"
        report.say(f"  {name:22} {back - went:.1f} s out, 503s {during}, back to a 2xx transition in {recovery}")
        if after is None:
            report.problems.append(f"{name}: no transition succeeded afterwards")


def check(load: Load, faults: dict, pg: Postgres, rd: Redis, env: dict, base: str, report: Report) -> None:
    import redis
    from sqlalchemy import create_engine, text

    p = report.problems
    p += [f"{a.kind} answered {a.status}" for a in load.answers if a.status >= 500 and a.status not in (503, 599)]
    p += [f"a 503 to {a.kind} without Retry-After or problem+json" for a in load.answers if not a.well_formed]
    moved = {a.code for a in load.answers if a.kind == "transition" and 200 <= a.status < 300}
    refused = {a.code for a in load.answers if a.kind == "transition" and 400 <= a.status < 599}
    engine = create_engine(pg.url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as c:
        states = dict(c.execute(text("SELECT code, state FROM cases")).all())
        submitted = set(c.execute(text("SELECT chain FROM audit_events WHERE action = 'submit_for_review'"))
                        .scalars())
        deadline = time.monotonic() + 120
        while (waiting := c.execute(text("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')"))
               .scalar()) and time.monotonic() < deadline:
            time.sleep(1)
            c.rollback()
        jobs = dict(c.execute(text("SELECT state, count(*) FROM jobs GROUP BY state")).all())
    engine.dispose()
    p += [f"transition of {code} answered 2xx but is not recorded" for code in moved
          if states.get(code) != "under_review" or code not in submitted]
    p += [f"transition of {code} was refused but changed the case" for code in refused
          if states.get(code) != "registered" or code in submitted]
    report.say(f"transitions: {len(moved)} recorded, {len(refused)} refused and unchanged; jobs: {dict(jobs)}")
    if waiting:
        p.append(f"{waiting} export jobs still queued or running two minutes after the load")
    verify = subprocess.run([sys.executable, "-m", "flask", "--app", "caseflow", "audit", "verify"], env=env,  # noqa: S603
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    report.say("audit verify: " + (verify.stdout.strip().splitlines() or ["(nothing)"])[-1])
    if verify.returncode != 0:
        p.append(f"audit verify failed: {verify.stderr.strip()[:300]}")
    went, back = faults["redis restarted"]
    during = [a.status for a in load.answers if a.kind == "sign-in" and went <= a.at <= back]
    if any(s != 302 for s in during):
        p.append(f"sign-in while Redis was down answered {during}")
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    codes = []
    with requests.Session() as s:
        for _ in range(6):
            page = s.get(base + "/login", timeout=30).text
            csrf = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
            codes.append(s.post(base + "/login", data={"csrf_token": csrf, "email": nobody, "password": "x" * 14},
                                allow_redirects=False, timeout=30).status_code)
    shared = len(redis.Redis.from_url(f"{rd.url}/2").keys("LIMITS*"))
    report.say(f"sign-in during the Redis outage: {len(during)} tried, all signed in: {all(s == 302 for s in during)};"
               f" six failures after it: {codes}, {shared} limit keys in Redis")
    if 429 not in codes or not shared:
        p.append(f"the shared sign-in limit did not come back: {codes}, {shared} keys")


def unhandled(log: Path) -> list[str]:
    import json

    out = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("exception"):
            lines = entry["exception"].splitlines()
            where = [x.strip() for x in lines if x.strip().startswith("File ") and "/caseflow/" in x][-4:]
            error = next((x for x in reversed(lines) if "Error" in x.split(":")[0]), lines[-1])
            out.append(f"the server logged: {entry['message']}: {error[:300]} (at {' / '.join(where)})")
    return out[:5]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--outage", type=float, default=3)
    args = parser.parse_args()
    report = run(args.cases, args.seconds, args.outage)
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    sys.exit(1 if report.problems else 0)


if __name__ == "__main__":
    main()
