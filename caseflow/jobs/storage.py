"""Files that every node sees: kept in the database in 1 MiB chunks (``file_chunks``), written and read
one chunk at a time, deleted once their retention period ends (an audit event says which, when).

The database is the storage because it is already shared by every node and backed up with the
cases: one machine and many work the same, with nothing more to run. (An S3-compatible bucket would
be the next backend for files past a few hundred MB; none is needed at today's sizes.)
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import timedelta

from flask import Response, current_app, stream_with_context
from sqlalchemy import delete, insert, select, update

from caseflow.audit.log import record
from caseflow.db import utcnow
from caseflow.jobs.models import FileChunk, StoredFile

CHUNK = 1024 * 1024


def retention(identifying: bool) -> timedelta:
    key = "FILE_RETENTION_IDENTITY_HOURS" if identifying else "FILE_RETENTION_HOURS"
    return timedelta(hours=current_app.config[key])


def put(session, path, *, name: str, content_type: str, identifying: bool, file_id: str | None = None,
        keep_for: timedelta | None = None) -> StoredFile:
    """Store the file at ``path``; the caller's transaction commits it (or nothing)."""
    now = utcnow()
    stored = StoredFile(id=file_id or secrets.token_hex(16), name=name, content_type=content_type, size=0,
                        sha256="", identifying=identifying, created_at=now,
                        expires_at=now + (keep_for or retention(identifying)))
    session.add(stored)
    session.flush()
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        n = 0
        while block := fh.read(CHUNK):
            session.execute(insert(FileChunk).values(file_id=stored.id, n=n, data=block))  # not kept in memory
            digest.update(block)
            size += len(block)
            n += 1
    stored.size, stored.sha256 = size, digest.hexdigest()
    return stored


def chunks(engine, file_id: str) -> Iterator[bytes]:
    """The file's bytes, one chunk per query on a connection of its own (a download can outlast
    the request's transaction)."""
    n = 0
    while True:
        with engine.connect() as conn:
            data = conn.scalar(select(FileChunk.data).where(FileChunk.file_id == file_id, FileChunk.n == n))
        if data is None:
            return
        yield bytes(data)
        n += 1


def to_temp_file(session, file_id: str) -> str:
    """A stored file copied to a temporary path (the caller removes it), for a reader that wants a path."""
    import os
    import tempfile

    fd, path = tempfile.mkstemp(suffix=".xlsx")
    with os.fdopen(fd, "wb") as out:
        n = 0
        while (data := session.scalar(select(FileChunk.data).where(FileChunk.file_id == file_id,
                                                                   FileChunk.n == n))) is not None:
            out.write(data)
            n += 1
    return path


def delete_file(session, f: StoredFile, reason: str) -> None:
    """Its bytes go; its row stays, marked, and an audit event says what went, when and why."""
    session.execute(delete(FileChunk).where(FileChunk.file_id == f.id))
    session.execute(update(StoredFile).where(StoredFile.id == f.id).values(deleted_at=utcnow()))
    record(session, "file_deleted", details={"file": f.id, "name": f.name, "sha256": f.sha256,
                                             "identifying_data": f.identifying, "created_at": f.created_at,
                                             "reason": reason})


def purge(session) -> int:
    """Delete every file past its retention period; each deletion is an audit event."""
    expired = session.scalars(select(StoredFile).where(StoredFile.deleted_at.is_(None),
                                                       StoredFile.expires_at <= utcnow())
                              .order_by(StoredFile.expires_at)).all()
    for f in expired:
        delete_file(session, f, "retention period over")
    return len(expired)


def download(f) -> Response:
    """A stored file as a download, streamed chunk by chunk (a large workbook never sits in memory
    whole); the page and the API answer with it alike."""
    engine = current_app.extensions["caseflow.db"]["engine"]
    return Response(stream_with_context(chunks(engine, f.id)), mimetype=f.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{f.name}"',
                             "Content-Length": str(f.size), "X-Content-SHA256": f.sha256})
