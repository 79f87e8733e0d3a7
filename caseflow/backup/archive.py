"""The backup file: one tar archive of three members — ``manifest.json`` (canonical JSON),
``manifest.sig`` (the audit key's Ed25519 signature of it) and the database (``database.sqlite3``,
a ``VACUUM INTO`` copy, or ``database.pgdump``, ``pg_dump -Fc``). Written with mode 600: the
database inside holds sealed identity (opened only with the master key, which is never in it)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass

from flask_babel import gettext as _

from caseflow.audit.hashing import canonical_json
from caseflow.audit.signing import signer

FORMAT = "caseflow-backup-1"
CONTEXT = "caseflow-backup-v1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
MANIFEST_MAX = 64 * 1024 * 1024
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(ValueError):
    """A file that is not a readable Caseflow backup (said in one sentence)."""


def statement(manifest: dict) -> bytes:
    return canonical_json([CONTEXT, manifest])


def sha256_of(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def write(path: str, manifest: dict, database_path: str) -> None:
    """The archive at ``path``, written beside it first and moved into place whole."""
    sig = signer().sign(statement(manifest))
    if sig is None:
        raise BackupError(_("No audit signing key is configured: a backup's manifest cannot be signed."))
    partial = f"{path}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            for name, data in ((MANIFEST, canonical_json(manifest)), (SIGNATURE, sig.encode())):
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o600
                tar.addfile(info, io.BytesIO(data))
            tar.add(database_path, arcname=manifest["database"]["member"], recursive=False)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise


@dataclass
class Opened:
    """A backup as read: its manifest, whether the signature verifies, and the database member
    extracted to ``database_path`` (the caller removes it)."""

    manifest: dict
    signed: bool
    database_path: str


def read(path: str, into: str) -> Opened:
    """Open the archive, check the manifest's signature with the trusted keys and extract the
    database into the folder ``into``."""
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError):
        raise BackupError(_("This file is not a Caseflow backup (it is not a readable archive).")) from None
    with tar:
        try:
            if tar.getmember(MANIFEST).size > MANIFEST_MAX:  # a manifest lists files: megabytes, never more
                raise KeyError(MANIFEST)
            manifest_bytes = tar.extractfile(MANIFEST).read()
            sig = tar.extractfile(SIGNATURE).read().decode("ascii", "replace").strip()
            manifest = json.loads(manifest_bytes)
            member = manifest["database"]["member"]
            if member not in DATABASE_MEMBERS.values() or manifest.get("format") != FORMAT:
                raise KeyError(member)
            source = tar.extractfile(member)
        except (KeyError, AttributeError, ValueError, tarfile.TarError):
            raise BackupError(_("This file is not a Caseflow backup (its manifest or database is missing).")) from None
        signed = manifest_bytes == canonical_json(manifest) and signer().verify(statement(manifest), sig)
        target = os.path.join(into, member)
        with open(target, "wb") as out:
            while block := source.read(1 << 20):
                out.write(block)
    return Opened(manifest, signed, target)
