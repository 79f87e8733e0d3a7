"""The CLI: users (passwords from a prompt or stdin, never arguments), demo data, audit."""

import os
import re

import pytest
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


def export_events(app):
    from caseflow.audit.models import AuditEvent

    with app.app_context():
        return db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "cases_exported")
                                  .order_by(AuditEvent.id)).all()


def test_an_identifying_export_is_encrypted_with_the_passphrase_given(live_app, tmp_path, monkeypatch):
    from caseflow.exports.protect import WrongPassphrase, decrypted_copy
    from caseflow.spreadsheet import reading
    from tests.test_real_server import committed_case

    code = committed_case(live_app)  # registered as Awa Traoré
    secret = tmp_path / "passphrase"
    secret.write_text("correct horse battery staple\n")
    out = tmp_path / "with-identity.xlsx"
    r = run(live_app, "export", "cases", "--as", "auditor@caseflow.demo", "--code", code, "--identity",
            "--purpose", "audit", "--passphrase-file", str(secret), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "encrypted" in r.output and "correct horse" not in r.output
    try:
        decrypted_copy(str(out), "wrong passphrase!")
        raise AssertionError("a wrong passphrase opened the workbook")
    except WrongPassphrase:
        pass
    plain = decrypted_copy(str(out), "correct horse battery staple")
    with reading(plain) as wb:
        cells = [c for ws in wb for row in ws.iter_rows(values_only=True) for c in row]
    os.unlink(plain)
    assert "Traoré" in cells
    last = export_events(live_app)[-1]
    assert last["identifying_data"] is True and last["purpose"] == "audit"
    assert "correct horse" not in str(last)

    monkeypatch.setenv("CASEFLOW_EXPORT_PASSPHRASE", "another long passphrase")
    r = run(live_app, "export", "cases", "--as", "auditor@caseflow.demo", "--code", code, "--identity",
            "--purpose", "audit", "-o", str(tmp_path / "from-env.xlsx"))
    assert r.exit_code == 0, r.output
    os.unlink(decrypted_copy(str(tmp_path / "from-env.xlsx"), "another long passphrase"))


@pytest.mark.parametrize("extra, says", [
    ([], "give its passphrase"),                                          # no file, no variable, no terminal
    (["--passphrase-file", "SHORT"], "at least 12 characters"),
    (["--purpose", "family_tracing", "--passphrase-file", "GOOD"], "purpose"),  # not an auditor's purpose
])
def test_an_identifying_export_refused_is_one_line_and_writes_nothing(live_app, tmp_path, monkeypatch, extra, says):
    from tests.test_real_server import committed_case

    monkeypatch.delenv("CASEFLOW_EXPORT_PASSPHRASE", raising=False)
    code = committed_case(live_app)
    (tmp_path / "SHORT").write_text("too short\n")
    (tmp_path / "GOOD").write_text("a passphrase long enough\n")
    extra = [str(tmp_path / a) if a in ("SHORT", "GOOD") else a for a in extra]
    if "--purpose" not in extra:
        extra = ["--purpose", "audit", *extra]
    before = len(export_events(live_app))
    out = tmp_path / "refused.xlsx"
    r = run(live_app, "export", "cases", "--as", "auditor@caseflow.demo", "--code", code, "--identity", *extra,
            "-o", str(out))
    assert r.exit_code != 0
    assert says in r.output.lower() and "Traceback" not in r.output
    assert not out.exists() and len(export_events(live_app)) == before


@pytest.mark.parametrize("args, says", [
    (["export", "cases", "--as", "auditor@caseflow.demo", "--from", "2026-13-01", "-o", "x.xlsx"], "date_from"),
    (["export", "cases", "--as", "nobody@caseflow.demo", "-o", "x.xlsx"], "no user"),
    (["export", "cases", "--as", "auditor@caseflow.demo", "--purpose", "audit", "-o", "x.xlsx"], "--identity"),
    (["report", "period", "--from", "2026-02-30", "--to", "2026-03-01", "--as", "auditor@caseflow.demo", "-o",
      "r.xlsx"], "from"),
])
def test_every_cli_error_is_one_clear_line(live_app, tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    r = run(live_app, *args)
    assert r.exit_code != 0
    assert "Traceback" not in r.output and says in r.output
    assert len([line for line in r.output.splitlines() if line.strip()]) <= 3  # usage line, hint, the error
