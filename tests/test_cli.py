"""The CLI: users (passwords from a prompt or stdin, never arguments), demo data, audit."""

import re

from sqlalchemy import func, select

from caseflow.auth.models import Organisation, User
from caseflow.extensions import db


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input, catch_exceptions=False)


def test_users_create_list_disable_set_role(live_app):
    r = run(live_app, "users", "create", "--email", "new.registrar@example.org", "--name", "New Registrar",
            "--role", "registrar", "--organisation", "UNICEF", "--password-stdin",
            input="a-long-enough-password\n")
    assert r.exit_code == 0, r.output
    assert "new.registrar@example.org" in run(live_app, "users", "list").output
    assert run(live_app, "users", "set-role", "new.registrar@example.org", "auditor").exit_code == 0
    assert run(live_app, "users", "disable", "new.registrar@example.org").exit_code == 0
    line = [x for x in run(live_app, "users", "list").output.splitlines() if x.startswith("new.registrar")][0]
    assert "auditor" in line and "disabled" in line


def test_password_prompt_and_refusals(live_app):
    r = run(live_app, "users", "create", "--email", "short@example.org", "--name", "Short", "--role", "auditor",
            "--organisation", "UNICEF", "--password-stdin", input="short\n")
    assert r.exit_code == 1 and "At least 12 characters" in r.output
    r = run(live_app, "users", "create", "--email", "prompted@example.org", "--name", "Prompted",
            "--role", "auditor", "--organisation", "UNICEF", input="prompted-password-1\nprompted-password-1\n")
    assert r.exit_code == 0, r.output
    r = run(live_app, "users", "create", "--email", "x@example.org", "--name", "X", "--role", "auditor",
            "--organisation", "Nowhere", "--password-stdin", input="a-long-enough-password\n")
    assert r.exit_code == 1 and "No organisation named Nowhere" in r.output


def test_demo_load_twice_adds_nothing(live_app):
    first = run(live_app, "demo", "load")
    with live_app.app_context():
        counts = (db.session.scalar(select(func.count()).select_from(Organisation)),
                  db.session.scalar(select(func.count()).select_from(User)))
    second = run(live_app, "demo", "load")
    assert first.exit_code == second.exit_code == 0
    assert "nothing added" in second.output and "caseflow-demo-2026" in second.output
    with live_app.app_context():
        assert counts == (db.session.scalar(select(func.count()).select_from(Organisation)),
                          db.session.scalar(select(func.count()).select_from(User)))


def test_audit_verify_and_heads(live_app):
    r = run(live_app, "audit", "heads")
    assert r.exit_code == 0
    token = re.search(r"sth1-\S+", r.output).group(0)
    v = run(live_app, "audit", "verify", "--against", token)
    assert v.exit_code == 0, v.output
    assert re.search(r"checked \d+ events in \d+ chains .* events/s", v.output) and "OK" in v.output
    size, at, root, sig = token.split("-", 4)[1:]
    bad = f"sth1-{size}-{at}-{'0' * 64}-{sig}"  # a root someone would like, under the real signature
    assert run(live_app, "audit", "verify", "--against", bad).exit_code == 1
    assert run(live_app, "audit", "verify", "--against", "rubbish").exit_code == 1
