"""Backups that prove themselves (`flask backup create|verify|restore`), on the suite's database
(SQLite, or PostgreSQL in CI's second run): made while the data is there, checked by restoring into
a scratch database and running `audit verify` there; a changed byte, a missing or changed file and a
backup older than a kept head are each caught; a restore refuses a database that is not empty; a
restore onto an older state is reported as a rollback by a witness and by `audit verify --against`.
A backup holds no identity in clear, and an identity erased after it stays closed once the master
key it was sealed under is rotated away."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseflow.audit.hashing import canonical_json
from caseflow.auth.models import User
from caseflow.backup import archive
from caseflow.backup.dumps import as_url, libpq
from caseflow.cases.models import Case
from caseflow.db import write_intent
from caseflow.extensions import db
from caseflow.jobs.models import StoredFile
from caseflow.sealing.keys import Keyring, SealError, key_id, new_key_text, unb64
from tests import conftest
from tests.conftest import BACKEND, complete_intake, make_app
from tests.helpers import submit

NAME, FAMILY, BORN = "Oumou-Backupienne", "Sangaré-Kéïta", "2012-02-29"
FILE_BYTES = b"%PDF-1.4 a stored file kept in the database\n" * 50
KEY_1, KEY_2 = new_key_text(), new_key_text()


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A database of its own with one case (a distinctive identity) and one stored file, committed."""
    d = conftest.TestDatabase(tmp_path_factory, "backup")
    app = make_app(d, MASTER_KEY=KEY_1)
    with app.test_request_context("/"):
        token = write_intent.set(True)
        try:
            from caseflow.cases.operations import register_case
            from caseflow.jobs.storage import put

            users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
            case = register_case(db.session, complete_intake(given_name=NAME, family_name=FAMILY, date_of_birth=BORN,
                                                             claimed_age=None), users["registrar"],
                                 workflow="detained_child")
            submit(db.session, case, users)
            path = tmp_path_factory.mktemp("file") / "kept.pdf"
            path.write_bytes(FILE_BYTES)
            stored = put(db.session, path, name="kept.pdf", content_type="application/pdf", identifying=False)
            db.commit()
            app.config["TEST_CASE_CODE"], app.config["TEST_FILE_ID"] = case.code, stored.id
        finally:
            write_intent.reset(token)
    yield app
    app.extensions["caseflow.db"]["engine"].dispose()
    d.drop()


@pytest.fixture(scope="module")
def made(source, tmp_path_factory):
    path = tmp_path_factory.mktemp("backups") / "first.tar"
    r = run(source, "backup", "create", str(path))
    assert r.exit_code == 0, r.output
    return path


def manifest_of(path) -> dict:
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile(archive.MANIFEST).read())


def rewritten(app, path, out, change) -> str:
    """The backup with its manifest changed by ``change`` and signed again with the audit key: what
    a backup whose contents went missing after its manifest was made looks like."""
    with tarfile.open(path) as tar:
        m = json.loads(tar.extractfile(archive.MANIFEST).read())
        member = m["database"]["member"]
        tar.extract(member, out.parent, filter="data")
    change(m)
    with app.app_context():
        archive.write(str(out), m, str(out.parent / member))
    return str(out)


def test_a_backup_verifies_and_names_the_head_and_every_file(source, made):
    m = manifest_of(made)
    assert m["database"]["kind"] == BACKEND and m["revision"] and m["head"]["tree_size"] > 0
    assert [f["id"] for f in m["files"]] == [source.config["TEST_FILE_ID"]]
    assert oct(os.stat(made).st_mode & 0o777) == "0o600"
    r = run(source, "backup", "verify", str(made))
    assert r.exit_code == 0, r.output
    assert "OK:" in r.output and "1 files match" in r.output and f"head of {m['head']['tree_size']} events" in r.output


def test_create_never_overwrites(source, made):
    r = run(source, "backup", "create", str(made))
    assert r.exit_code == 1 and "never overwrites" in r.output


def test_a_changed_byte_anywhere_is_caught(source, made, tmp_path):
    with tarfile.open(made) as tar:
        data = tar.getmember(manifest_of(made)["database"]["member"])
        manifest = tar.getmember(archive.MANIFEST)
        raw = tar.extractfile(manifest).read()
    created = raw.index(b'"created_at":"') + len(b'"created_at":"') + 3  # a digit of the year: 2026 -> 2027
    for offset, says in ((data.offset_data + data.size // 2, "differs from its SHA-256"),
                         (manifest.offset_data + created, "signature does not verify")):
        bad = tmp_path / f"bad-{offset}.tar"
        shutil.copyfile(made, bad)
        with open(bad, "r+b") as fh:
            fh.seek(offset)
            byte = fh.read(1)
            fh.seek(offset)
            fh.write(bytes([byte[0] ^ 0x01]))
        r = run(source, "backup", "verify", str(bad))
        assert r.exit_code == 1 and says in r.output, r.output
        r = run(source, "backup", "restore", "--force", str(bad))
        assert r.exit_code == 1 and "not restored" in r.output


def test_a_missing_or_changed_file_is_caught(source, made, tmp_path):
    missing = rewritten(source, made, tmp_path / "missing" / "b.tar", lambda m: m["files"].append(
        {"id": "f" * 32, "sha256": "0" * 64, "size": 1}))
    r = run(source, "backup", "verify", missing)
    assert r.exit_code == 1 and f"The file {'f' * 32} named by the manifest is missing" in r.output
    changed = rewritten(source, made, tmp_path / "changed" / "b.tar", lambda m: m["files"][0].update(sha256="1" * 64))
    r = run(source, "backup", "verify", changed)
    assert r.exit_code == 1 and "differs from its SHA-256 in the manifest" in r.output


def test_not_a_backup(source, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x00\xff" * 4000)
    r = run(source, "backup", "verify", str(junk))
    assert r.exit_code == 1 and "not a Caseflow backup" in r.output


def test_restore_refuses_a_database_that_is_not_empty(source, made, tmp_path_factory):
    other = conftest.TestDatabase(tmp_path_factory, "restore_refused")
    app = make_app(other, MASTER_KEY=KEY_1)
    try:
        r = run(app, "backup", "restore", str(made))
        assert r.exit_code == 1 and "is not empty" in r.output and "--force" in r.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Case)) == 0  # nothing was replaced
    finally:
        app.extensions["caseflow.db"]["engine"].dispose()
        other.drop()


def test_restored_onto_an_older_head_is_a_rollback_to_a_witness_and_to_verify(source, made, tmp_path_factory):
    """The live log moves on after the backup; a kept head of the later log then marks the backup as
    older, and once restored, a witness and `audit verify --against` both call it a rollback."""
    tmp = tmp_path_factory.mktemp("rollback")
    with source.test_request_context("/"):
        token = write_intent.set(True)
        try:
            from caseflow.cases.operations import register_case

            registrar = db.session.scalar(select(User).where(User.email.like("registrar@%")))
            register_case(db.session, complete_intake(given_name="Later"), registrar, workflow="detained_child")
            db.commit()
        finally:
            write_intent.reset(token)
    kept = run(source, "audit", "heads").output.strip().splitlines()[-1]
    assert kept.startswith("sth1-")
    assert run(source, "audit", "bundle", str(tmp / "later.json")).exit_code == 0
    state = tmp / "witness.jsonl"
    assert run(source, "audit", "witness", str(tmp / "later.json"), "--state", str(state)).exit_code == 0

    r = run(source, "backup", "verify", "--against", kept, str(made))
    assert r.exit_code == 1 and "older than a kept head" in r.output and "roll the audit log back" in r.output

    target = conftest.TestDatabase(tmp_path_factory, "restored")
    app = make_app(target, MASTER_KEY=KEY_1)
    try:
        r = run(app, "backup", "restore", "--force", str(made))
        assert r.exit_code == 0 and "restored: revision" in r.output, r.output
        assert run(app, "audit", "verify").exit_code == 0
        with app.app_context():
            restored = db.session.scalar(select(StoredFile).where(StoredFile.id == source.config["TEST_FILE_ID"]))
            assert restored is not None and restored.size == len(FILE_BYTES)
        r = run(app, "audit", "verify", "--against", kept)
        assert r.exit_code == 1 and "rollback" in r.output, r.output
        assert run(app, "audit", "bundle", str(tmp / "restored.json")).exit_code == 0
        r = run(app, "audit", "witness", str(tmp / "restored.json"), "--state", str(state))
        assert r.exit_code == 2 and "ALARM (rollback)" in r.output
    finally:
        app.extensions["caseflow.db"]["engine"].dispose()
        target.drop()


def backup_text(path, tmp) -> bytes:
    """What anyone holding the backup file can read without a key: the archive's bytes, and on
    PostgreSQL the dump written out as SQL (its custom format compresses)."""
    raw = path.read_bytes()
    if BACKEND != "postgresql":
        return raw
    with tarfile.open(path) as tar:
        tar.extract("database.pgdump", tmp, filter="data")
    sql = subprocess.run(["pg_restore", "-f", "-", str(tmp / "database.pgdump")], capture_output=True, check=True)
    return raw + sql.stdout


def test_a_backup_reveals_no_identity_and_an_erasure_after_it_holds_once_the_key_is_rotated(
        source, made, clock, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keys")
    text = backup_text(made, tmp)
    for value in (NAME, FAMILY, BORN):
        assert value.encode() not in text and value.encode("utf-8").lower() not in text.lower()

    # the case erased after the backup (two approvals), then the master key rotated (KEY_1 -> KEY_2)
    code = source.config["TEST_CASE_CODE"]
    with source.test_request_context("/"):
        token = write_intent.set(True)
        try:
            from caseflow.protection.operations import approve, propose_erasures
            from caseflow.workflow.engine import fire

            people = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
            case = db.session.scalar(select(Case).where(Case.code == code))
            fire(db.session, case, "close", people["registrar"], {"reason": "transferred", "notes": "moved"})
            clock.advance(timedelta(days=1825, hours=1))
            erasure = next(e for e in propose_erasures(db.session) if e.case_id == case.id)
            approve(db.session, erasure.id, people["auditor"])
            approve(db.session, erasure.id, people["admin"])
            db.commit()
        finally:
            write_intent.reset(token)
    rotated = make_app_on(source, MASTER_KEY=KEY_2, MASTER_KEY_PREVIOUS=KEY_1)
    try:
        assert run(rotated, "protection", "rotate-master-key").exit_code == 0
    finally:
        rotated.extensions["caseflow.db"]["engine"].dispose()

    # the backup still holds the case's data key, sealed under KEY_1 only
    wrapped = wrapped_case_key(made, tmp, code)
    with pytest.raises(SealError):
        Keyring(key_id(unb64(KEY_2)), {key_id(unb64(KEY_2)): unb64(KEY_2)}).open(wrapped, f"casekey:{code}")
    # what destroying KEY_1 takes away: with it, the backup's identity would open again
    assert Keyring(key_id(unb64(KEY_1)), {key_id(unb64(KEY_1)): unb64(KEY_1)}).open(wrapped, f"casekey:{code}")


def make_app_on(app, **extra):
    from caseflow import create_app
    from tests.conftest import app_config

    return create_app(app_config(app.config["DATABASE_URL"], **extra))


def wrapped_case_key(path, tmp, code: str) -> str:
    """The case's wrapped data key as the backup holds it, read from the backup itself."""
    from sqlalchemy import create_engine

    from caseflow.sealing.models import CaseKey

    with tarfile.open(path) as tar:
        member = manifest_of(path)["database"]["member"]
        tar.extract(member, tmp, filter="data")
    if BACKEND == "postgresql":
        import uuid

        from caseflow.backup.dumps import restore_postgresql
        from tests.conftest import PG_URL

        name = f"caseflow_keys_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin.url.set(database=name)
        try:
            restore_postgresql(str(tmp / member), url, clean=False)
            engine = create_engine(url)
            with engine.connect() as c:
                wrapped = c.execute(select(CaseKey.wrapped).join(Case, Case.id == CaseKey.case_id)
                                    .where(Case.code == code)).scalar_one()
            engine.dispose()
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
        return wrapped
    engine = create_engine(f"sqlite:///{tmp / member}")
    with engine.connect() as c:
        wrapped = c.execute(select(CaseKey.wrapped).join(Case, Case.id == CaseKey.case_id)
                            .where(Case.code == code)).scalar_one()
    engine.dispose()
    return wrapped


def test_the_password_goes_to_the_environment_not_the_arguments():
    from sqlalchemy.engine import make_url

    text = "postgresql+psycopg://caseflow:s3cret@db.example.org:5433/caseflow?sslmode=require"
    for url in (text, make_url(text)):  # an engine's URL object too, whose str() hides the password
        dsn, env = libpq(url)
        assert "s3cret" not in dsn and env["PGPASSWORD"] == "s3cret"
        assert dsn == "postgresql://caseflow@db.example.org:5433/caseflow?sslmode=require"
    assert as_url(make_url(text)).password == "s3cret"  # what the scratch database is made with


def test_the_signature_covers_the_manifest_canonically(made):
    with tarfile.open(made) as tar:
        raw = tar.extractfile(archive.MANIFEST).read()
    assert raw == canonical_json(json.loads(raw))
