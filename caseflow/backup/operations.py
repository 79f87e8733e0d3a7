"""Make, check and restore a backup (``flask backup create|verify|restore``)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.audit.digest import check_against
from caseflow.audit.heads import SignedHead
from caseflow.audit.models import AuditEvent, TreeHead
from caseflow.audit.publish import latest_head, publish
from caseflow.audit.signing import signer
from caseflow.audit.verify import verify_database
from caseflow.backup import archive, dumps
from caseflow.backup.archive import BackupError
from caseflow.db import make_engine, utcnow
from caseflow.jobs.models import FileChunk, StoredFile
from caseflow.version import VERSION


def _files(conn) -> list[dict]:
    rows = conn.execute(select(StoredFile.id, StoredFile.sha256, StoredFile.size)
                        .where(StoredFile.deleted_at.is_(None)).order_by(StoredFile.id))
    return [{"id": i, "sha256": s, "size": n} for i, s, n in rows]


def _head(conn) -> dict | None:
    row = conn.execute(select(TreeHead.tree_size, TreeHead.root, TreeHead.signed_at, TreeHead.signature,
                              TreeHead.key).order_by(TreeHead.tree_size.desc()).limit(1)).first()
    if row is None:
        return None
    return SignedHead(row.tree_size, row.root, row.signed_at, row.signature, row.key).as_json()


@dataclass
class Made:
    path: str
    manifest: dict


def refuse(path: str) -> None:
    """Before anything is done: a file in the way, or no key to sign the manifest with."""
    if os.path.exists(path):
        raise BackupError(_("%(path)s exists; a backup never overwrites a file.", path=path))
    if not signer().enabled:
        raise BackupError(_("No audit signing key is configured: a backup's manifest cannot be signed."))


def sign_head(session: Session) -> None:
    """A tree head over every committed event (in the caller's transaction, which commits it)."""
    publish(session)


def create(engine, path: str) -> Made:
    """Copy the database as one moment (the head signed just before included) and write the
    archive. The app may go on serving meanwhile."""
    refuse(path)
    kind = engine.dialect.name
    member = archive.DATABASE_MEMBERS[kind]
    with tempfile.TemporaryDirectory(prefix="caseflow-backup-") as tmp:
        dump = os.path.join(tmp, member)
        with dumps.snapshot(engine, dump) as conn:
            files, head = _files(conn), _head(conn)
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        sha, size = archive.sha256_of(dump)
        manifest = {"format": archive.FORMAT, "created_at": utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "caseflow": VERSION, "revision": revision, "key": signer().public,
                    "database": {"kind": kind, "member": member, "sha256": sha, "size": size},
                    "head": head, "files": files}
        archive.write(path, manifest, dump)
    return Made(path, manifest)


@dataclass
class Check:
    """What ``verify`` found: ``problems`` (each one sentence; none means the backup proves itself)
    and what it counted."""

    manifest: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    events: int = 0
    chains: int = 0
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _file_sha(session: Session, file_id: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    for (data,) in session.execute(select(FileChunk.data).where(FileChunk.file_id == file_id).order_by(FileChunk.n)):
        digest.update(data)
    return digest.hexdigest()


def _check_restored(session: Session, manifest: dict, check: Check) -> None:
    report = verify_database(session)
    check.events, check.chains = report.events, report.chains
    check.problems += [_("audit verify in the restored copy: %(problem)s", problem=b.describe())
                       for b in report.breaks[:5]]
    head = manifest.get("head")
    latest = latest_head(session)
    if head is not None:
        kept = SignedHead.from_json(head)
        if latest is None or (latest.tree_size, latest.root) != (kept.tree_size, kept.root):
            check.problems.append(_("The restored copy's latest tree head is not the one the manifest names."))
        ok, _digest, _root = check_against(session, kept.token)
        if not ok:
            check.problems.append(_("The restored copy's log does not give the manifest's head."))
    present = {i: (s, n) for i, s, n in session.execute(
        select(StoredFile.id, StoredFile.sha256, StoredFile.size).where(StoredFile.deleted_at.is_(None)))}
    for f in manifest.get("files", []):
        check.files += 1
        if f["id"] not in present:
            check.problems.append(_("The file %(id)s named by the manifest is missing.", id=f["id"]))
        elif _file_sha(session, f["id"]) != f["sha256"]:
            check.problems.append(_("The file %(id)s differs from its SHA-256 in the manifest.", id=f["id"]))


def _against(manifest: dict, kept: list[str], check: Check) -> None:
    """A kept head (an auditor's, a witness's) further along than the backup's: restoring would roll
    the log back."""
    size = (manifest.get("head") or {}).get("tree_size", 0)
    for token in kept:
        try:
            head = SignedHead.parse(token)
        except ValueError as exc:
            check.problems.append(str(exc))
            continue
        if not signer().verify(head.statement, head.signature):
            check.problems.append(_("The kept tree head's signature does not verify with the trusted keys."))
        elif head.tree_size > size:
            check.problems.append(_("The backup's head (%(size)s events) is older than a kept head (%(kept)s "
                                    "events): restoring it would roll the audit log back.",
                                    size=size, kept=head.tree_size))


def verify(path: str, server_url=None, against: tuple[str, ...] = ()) -> Check:
    """The manifest's signature and hashes; then the database restored into a scratch database,
    ``audit verify`` run there, its head and files checked against the manifest."""
    check = Check()
    with tempfile.TemporaryDirectory(prefix="caseflow-verify-") as tmp:
        opened = archive.read(path, tmp)
        check.manifest = m = opened.manifest
        if not opened.signed:
            check.problems.append(_("The manifest's signature does not verify: it was changed, or signed with a "
                                    "key this server does not trust."))
        sha, size = archive.sha256_of(opened.database_path)
        if (sha, size) != (m["database"].get("sha256"), m["database"].get("size")):
            check.problems.append(_("The database in the backup differs from its SHA-256 in the manifest: "
                                    "the backup was changed after it was made."))
            return check
        _against(m, list(against), check)
        with dumps.scratch_database(m["database"]["kind"], opened.database_path, server_url) as engine:
            scratch = make_engine(engine.url.render_as_string(hide_password=False))
            try:
                with Session(scratch) as session:
                    _check_restored(session, m, check)
            finally:
                scratch.dispose()
    return check


def restore(path: str, engine, *, force: bool = False) -> dict:
    """Replace the database at DATABASE_URL with the backup's (the app stopped). Refuses a backup
    that does not prove itself on its face (signature, hash), and a database that holds tables
    unless ``force``."""
    with tempfile.TemporaryDirectory(prefix="caseflow-restore-") as tmp:
        opened = archive.read(path, tmp)
        m = opened.manifest
        if not opened.signed:
            raise BackupError(_("The manifest's signature does not verify: this backup is not restored."))
        if archive.sha256_of(opened.database_path) != (m["database"].get("sha256"), m["database"].get("size")):
            raise BackupError(_("The database in the backup differs from its SHA-256 in the manifest: "
                                "this backup is not restored."))
        if m["database"]["kind"] != engine.dialect.name:
            raise BackupError(_("This backup is of a %(kind)s database; DATABASE_URL is not one.",
                                kind=m["database"]["kind"]))
        with engine.connect() as conn:
            held = dumps.tables(conn)
            empty = not held
            events = (conn.execute(select(func.count()).select_from(AuditEvent)).scalar()
                      if "audit_events" in held else 0)
        if not empty and not force:
            raise BackupError(_("The database at DATABASE_URL is not empty (%(events)s audit events): pass "
                                "--force to replace it.", events=events))
        engine.dispose()
        if engine.dialect.name == "sqlite":
            dumps.restore_sqlite(opened.database_path, engine.url.database)
        else:
            dumps.restore_postgresql(opened.database_path, engine.url, clean=not empty)
    engine.dispose()
    with engine.connect() as conn:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return {"revision": revision, "head": m.get("head")}
