"""The README's examples run as written on freshly loaded demo data, against a real server
(gunicorn) on a file database of its own, the way a new user tries them after `make run`."""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from caseflow.cases.models import Case
from caseflow.db import make_engine
from tests import conftest

README = Path(__file__).resolve().parent.parent / "README.md"
BIN = Path(sys.executable).parent


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """`make run`'s steps (migrate, `flask demo load`), then gunicorn, on a database of their own."""
    database = conftest.TestDatabase(tmp_path_factory, "readme")
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": "readme-secret", "CASEFLOW_ENV": "development",
           "CASEFLOW_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    env.pop("CASEFLOW_TEST_DATABASE_URL", None)
    workdir = tmp_path_factory.mktemp("readme-run")
    loaded = subprocess.run([str(BIN / "flask"), "--app", "caseflow", "demo", "load"], env=env, cwd=workdir,
                            capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    port = free_port()
    log = (workdir / "gunicorn.log").open("w")
    proc = subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                             "caseflow:create_app()"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(base + "/login", timeout=5).close()
            break
        except requests.RequestException:
            time.sleep(0.2)
    try:
        yield {"base": base, "env": env, "cwd": workdir, "url": database.url, "demo_load": loaded.stdout}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        database.drop()


def test_make_run_prints_a_second_factor_command_that_works(demo_server):
    said = demo_server["demo_load"]
    [command] = re.findall(r"print the code of this moment with: (.+)$", said, re.M)
    assert "--app caseflow" in command
    words = command.split()
    program = words[0] if words[0] != "flask" else str(BIN / "flask")
    code = subprocess.run([program, *words[1:]], env=demo_server["env"], cwd=demo_server["cwd"],
                          capture_output=True, text=True, timeout=120)
    assert code.returncode == 0 and re.fullmatch(r"\d{6}", code.stdout.strip()), code.stderr
    assert re.search(r"registrar\s+registrar@caseflow.demo\s+fr ", said)  # the stored language is printed


def test_the_json_api_example_runs_as_written_on_the_demo_data(demo_server):
    [block] = re.findall(r"```sh\n(.*?)```", section("JSON API"), re.S)[:1]
    script = (block.replace("http://127.0.0.1:5000", demo_server["base"])
              .replace(".venv/bin/flask", str(BIN / "flask"))
              .replace("curl ", "curl --silent --show-error --fail-with-body "))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=demo_server["env"], cwd=demo_server["cwd"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    engine = make_engine(demo_server["url"])
    try:
        with engine.connect() as conn:
            state = conn.scalar(select(Case.state).where(Case.code == "CF-2026-00002"))
    finally:
        engine.dispose()
    assert state == "handover_pending"
