"""Preview and import of a detention list. Nothing is written by a preview; an import writes
every row or none, and each created case's first audit event names the file (SHA-256) and row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from marshmallow import ValidationError, fields
from sqlalchemy import and_, or_, select

from caseflow.audit.hashing import file_sha256
from caseflow.audit.log import record
from caseflow.cases.models import Case
from caseflow.cases.operations import record_identity_search, register_case
from caseflow.cases.schemas import intake_schema
from caseflow.cases.scope import visible_to
from caseflow.db import utcnow
from caseflow.errors import ValidationFailed
from caseflow.imports.columns import REQUIRED_COLUMNS, cell_to_input, header_index
from caseflow.jobs import storage
from caseflow.jobs.models import StoredFile
from caseflow.labels import field_label
from caseflow.policy import require
from caseflow.schemas import translate_errors
from caseflow.sealing.identity import reference_token, token, words
from caseflow.sealing.models import IdentityToken
from caseflow.spreadsheet import UploadRefused, open_upload
from caseflow.workflow.engine import get_workflow


@dataclass
class RowResult:
    number: int
    data: dict
    errors: dict = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Preview:
    sha256: str
    filename: str
    columns: list[str]
    rows: list[RowResult]

    @property
    def valid(self) -> bool:
        return all(r.ok for r in self.rows) and bool(self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r.ok)


file_digest = file_sha256  # the name the import speaks of


#: an upload previewed but never confirmed is deleted by the next purge after this long (within the hour)
ABANDONED_AFTER = timedelta(minutes=45)


def upload_id(sha: str, user) -> str:
    """The stored upload's id: the file and who uploaded it (another registrar's preview is not yours)."""
    import hashlib

    return hashlib.sha256(f"{user.id}:{sha}".encode()).hexdigest()[:32]


def keep_upload(session, path, sha: str, user) -> None:
    """Keep a previewed list in the shared storage until it is imported (the confirm step, on any
    node, reads it back); a preview never confirmed is purged, audited, within the hour."""

    file_id = upload_id(sha, user)
    old = session.get(StoredFile, file_id)
    if old is not None:  # previewed again: the new copy replaces the old
        if old.deleted_at is None:
            storage.delete_file(session, old, "previewed again")
        session.delete(old)
        session.flush()
    storage.put(session, path, name="detention-list.xlsx", content_type="application/octet-stream",
                identifying=True, file_id=file_id, keep_for=ABANDONED_AFTER)
    storage.purge(session)  # with no scheduler (one machine), abandoned previews still go


def stored_upload(session, sha: str, user) -> tuple[str, object]:
    """(a temporary copy of the kept upload, its row); the caller removes the copy."""

    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValidationFailed(_("Unknown upload."))
    f = session.get(StoredFile, upload_id(sha, user))
    if f is None or f.deleted_at is not None or f.expires_at <= utcnow():
        raise ValidationFailed(_("This upload has expired; please upload the file again."))
    return storage.to_temp_file(session, f.id), f


def preview(session, path, filename: str, sha: str, user, workflow: str | None = None) -> Preview:
    """Every row checked as the chosen workflow's registration would check it; nothing written."""

    try:
        headers, body = open_upload(path, max_rows=current_app.config["IMPORT_MAX_ROWS"])
    except UploadRefused as exc:
        raise ValidationFailed(str(exc), errors={"file": [str(exc)]}) from None
    wf = get_workflow(workflow or current_app.config["DEFAULT_WORKFLOW"])
    schema = intake_schema(wf)()
    booleans = {n for n, f in schema.fields.items() if isinstance(f, fields.Boolean)}
    choices = {n: f.metadata["choices"] for n, f in schema.fields.items() if "choices" in (f.metadata or {})}
    index = header_index(list(schema.fields))
    columns, unknown = [], []
    for h in headers:
        code = index.get(h.lower()) if h else None
        if h and code is None:
            unknown.append(h)
        columns.append(code)
    problems = []
    if unknown:
        problems.append(_("Unknown columns: %(cols)s.", cols=", ".join(unknown)))
    missing = [field_label(c) for c in REQUIRED_COLUMNS if c in schema.fields and c not in columns]
    if missing:
        problems.append(_("Missing columns: %(cols)s.", cols=", ".join(missing)))
    dup_cols = {c for c in columns if c and columns.count(c) > 1}
    if dup_cols:
        problems.append(_("Columns given twice: %(cols)s.", cols=", ".join(field_label(c) for c in dup_cols)))
    if problems:
        raise ValidationFailed(" ".join(problems), errors={"file": problems})
    if not body:
        raise ValidationFailed(_("The list has no rows."), errors={"file": [_("The list has no rows.")]})
    rows = []
    for number, values in body:
        data = {c: cell_to_input(c, v, booleans, choices.get(c)) for c, v in zip(columns, values, strict=False)
                if c}
        data = {k: v for k, v in data.items() if v not in (None, "")}
        result = RowResult(number, data)
        try:
            schema.load(data)
        except ValidationError as exc:
            result.errors = translate_errors(exc.messages)
        rows.append(result)
    searched = mark_duplicates(session, rows, user)
    if searched:  # the names looked for among the user's cases: a search of identities, recorded

        record_identity_search(session, user, purpose=wf.identity_uses.get("on_duplicate_check"),
                               where="import",
                               query={"names": searched[:1000]},
                               found=sum(1 for r in rows if any("case" in str(d) for d in r.duplicates)))
    return Preview(sha, filename, [c for c in columns if c], rows)


def mark_duplicates(session, rows: list[RowResult], user) -> list[list[str]]:
    """Likely duplicates: same names and date of birth, or the same facility reference — among the
    cases this user may see (never a hint that another organisation holds a named child) and within
    the file. A warning, not a refusal. Gives back the names it looked for among the cases."""
    seen: dict[tuple, int] = {}
    searched: list[list[str]] = []
    for r in rows:
        d = r.data
        keys = []
        if d.get("given_name") and d.get("family_name") and d.get("date_of_birth"):
            keys.append(("name", d["given_name"].lower(), d["family_name"].lower(), str(d["date_of_birth"])))
        if d.get("facility_reference"):
            keys.append(("ref", str(d["facility_reference"]).lower()))
        for k in keys:
            if k in seen:
                r.duplicates.append(_("same as row %(n)d", n=seen[k]))
            else:
                seen[k] = r.number
        conditions = []
        if keys and keys[0][0] == "name":
            searched.append([d["given_name"], d["family_name"], str(d["date_of_birth"])])
            conditions.append(same_person(d["given_name"], d["family_name"], _as_date(keys[0][3])))
        if d.get("facility_reference"):
            conditions.append(same_reference(str(d["facility_reference"])))
        if conditions:
            for code in session.scalars(select(Case.code).where(visible_to(user), or_(*conditions)).limit(3)):
                r.duplicates.append(_("like case %(code)s", code=code))
    return searched


def same_person(given: str, family: str, born):
    """Cases with these names and this date of birth, through the blind index (no name in clear)."""
    from sqlalchemy import exists

    wanted = [token("name", w) for w in words(given) + words(family)]
    if born is not None:
        wanted.append(token("dob", born.isoformat()))
    return and_(*(exists().where(IdentityToken.case_id == Case.id, IdentityToken.token == t) for t in wanted))


def same_reference(reference: str):
    """Cases with this facility reference, through the blind index (the reference is sealed)."""
    from sqlalchemy import exists

    return exists().where(IdentityToken.case_id == Case.id, IdentityToken.token == reference_token(reference))


def _as_date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def import_rows(session, path, filename: str, actor, *, workflow: str) -> list[Case]:
    """All or nothing: any invalid row refuses the whole file, and nothing is written."""
    require(actor, "import_lists", _("Only registrars import detention lists."))
    sha = file_digest(path)
    result = preview(session, path, filename, sha, actor, workflow)
    if not result.valid:
        raise ValidationFailed(_("%(n)d rows have errors; nothing was imported.", n=result.error_count))
    created = []
    for row in result.rows:
        created.append(register_case(session, row.data, actor, workflow=workflow,
                                     source={"import": filename[:200], "sha256": sha, "row": row.number}))
    record(session, "cases_imported", actor=actor,
           details={"file": filename[:200], "sha256": sha, "rows": len(created),
                    "cases": [c.code for c in created][:1000]})
    return created
