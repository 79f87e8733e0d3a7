"""SQLite, the embedded default, under load: 20 concurrent readers (API with tokens, HTML pages with a
login session) against 4 writers, through gunicorn with 2 workers on one SQLite file. Reads never
write, writers queue (BEGIN IMMEDIATE, busy_timeout): no answer is a 5xx."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from caseflow.db import make_engine
from caseflow.migrate import upgrade
from tests.conftest import PASSWORD, complete_intake

pytestmark = pytest.mark.concurrency

READERS, WRITERS, SECONDS = 20, 4, 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path / 'load.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-test-secret", "CASEFLOW_ENV": "development",
           "CASEFLOW_LOGIN_RATE_PER_IP": "1000 per minute"}
    env.pop("CASEFLOW_TEST_DATABASE_URL", None)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "caseflow", "demo", "load"], env=env, check=True,
                   capture_output=True, timeout=120)
    tokens = {}
    for who in ("registrar", "auditor", "reviewer.un"):
        out = subprocess.run([str(bin_dir / "flask"), "--app", "caseflow", "tokens", "create",
                              "--as", f"{who}@caseflow.demo", "--name", "load"], env=env, check=True,
                             capture_output=True, text=True, timeout=60).stdout
        tokens[who] = out.strip().splitlines()[-1].strip()
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                             "--log-level", "warning", "caseflow:create_app()"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(f"{base}/login", timeout=5).close()
            break
        except requests.RequestException:  # not listening yet, or its workers still loading the app
            time.sleep(0.2)
    yield base, tokens
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def test_readers_and_writers_at_once_get_no_5xx(server):
    base, tokens = server
    stop = time.monotonic() + SECONDS
    answers: list[int] = []
    lock = threading.Lock()

    def note(status):
        with lock:
            answers.append(status)

    def api_reader():
        with requests.Session() as s:
            s.headers["Authorization"] = f"Bearer {tokens['auditor']}"
            while time.monotonic() < stop:
                note(s.get(f"{base}/api/v1/cases?per_page=25", timeout=30).status_code)

    def html_reader():
        with requests.Session() as s:
            page = s.get(f"{base}/login", timeout=30).text
            csrf = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
            s.post(f"{base}/login", timeout=30,
                   data={"csrf_token": csrf, "email": "auditor@caseflow.demo", "password": PASSWORD})
            while time.monotonic() < stop:
                note(s.get(f"{base}/cases/", timeout=30).status_code)

    def writer():
        with requests.Session() as s:
            s.headers["Authorization"] = f"Bearer {tokens['registrar']}"
            while time.monotonic() < stop:
                r = s.post(f"{base}/api/v1/cases", json=complete_intake(), timeout=30)
                note(r.status_code)
                if r.status_code == 201:
                    code = r.json()["code"]
                    r = s.post(f"{base}/api/v1/cases/{code}/transitions/submit_for_review", json={},
                               headers={"If-Match": '"1"'}, timeout=30)
                    note(r.status_code)

    threads = [threading.Thread(target=api_reader if i % 2 else html_reader) for i in range(READERS)]
    threads += [threading.Thread(target=writer) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 60)
    assert len(answers) > 50
    assert [a for a in answers if a >= 500] == []
    assert answers.count(201) >= 4


def test_a_writer_waits_for_the_write_lock_and_gives_up_only_after_the_wait(tmp_path):
    """The writer's own retries (caseflow.db.begin_immediate): it gets the lock once the other
    writer commits, gives up with SQLAlchemy's "database is locked" only after the connection's busy
    timeout (at once where that is 0, as for a "last used" touch), and leaves that timeout as it was
    for every other statement."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from caseflow.db import begin_immediate

    path = tmp_path / "lock.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    waiter = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x INTEGER)")
    waiter.execute("PRAGMA busy_timeout=15000")

    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.05, lambda: holder.execute("COMMIT")).start()
    begin_immediate(waiter)  # waits for the commit, then holds the lock
    waiter.execute("INSERT INTO t VALUES (1)")
    waiter.execute("COMMIT")
    assert waiter.execute("PRAGMA busy_timeout").fetchone() == (15000,)

    holder.execute("BEGIN IMMEDIATE")
    for timeout in (50, 0):
        waiter.execute(f"PRAGMA busy_timeout={timeout}")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            begin_immediate(waiter)
        assert time.monotonic() - started >= timeout / 1000
        assert not waiter.in_transaction and waiter.execute("PRAGMA busy_timeout").fetchone() == (timeout,)
    holder.execute("COMMIT")
    assert holder.execute("SELECT count(*) FROM t").fetchone() == (1,)
