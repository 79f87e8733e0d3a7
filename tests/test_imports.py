"""Detention-list import: template, preview with errors and duplicates, all-or-nothing, refusals."""

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.imports.operations import file_digest, import_rows, preview

HEADERS_EN = ["Given name", "Family name", "Sex", "Date of birth", "Claimed age (years)", "Region",
              "Encounter date and time (UTC)", "Detaining authority", "Facility type", "Facility reference"]


def workbook(tmp_path, rows, headers=HEADERS_EN, name="list.xlsx", mutate=None):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    if mutate:
        mutate(ws)
    path = tmp_path / name
    wb.save(path)
    return path


def good_row(i):
    return [f"Child{i}", "Doe", "Male" if i % 2 else "Féminin", None, 15, "Mopti", f"2026-01-{i % 28 + 1:02d} 08:00",
            "Gendarmerie", "Prison", f"REF-{i}"]


def test_template_in_both_languages(client, auth):
    auth.login("registrar")
    for lang, header in (("en", "Given name"), ("fr", "Prénom")):
        r = client.get(f"/imports/template.xlsx?lang={lang}")
        assert r.status_code == 200
        wb = load_workbook(io.BytesIO(r.data))
        first, example = wb.worksheets
        assert header in [c.value for c in first[1]]
        assert first.max_row == 1  # nothing to import by mistake: the example is on its own sheet
        assert example.title in ("Example", "Exemple") and any(c.value for c in example[2])


def test_preview_lists_errors_by_row_and_column_and_duplicates(session, users, make_case, tmp_path):
    make_case(facility_reference="REF-2")
    rows = [good_row(1), good_row(2), ["X", "Y", "robot", None, 200, "Gao", "not a date", "G", "Prison", None],
            good_row(1)]
    rows[3][-1] = "REF-9"
    path = workbook(tmp_path, rows)
    result = preview(session, path, "list.xlsx", file_digest(path), users["registrar"])
    by_row = {r.number: r for r in result.rows}
    assert by_row[2].ok and by_row[3].ok
    assert set(by_row[4].errors) == {"sex", "claimed_age", "encounter_at"}
    assert any("like case" in d for d in by_row[3].duplicates)  # same facility reference as an existing case
    assert not result.valid and result.error_count == 1


def test_import_is_all_or_nothing(session, users, tmp_path):
    before = session.scalar(select(func.count()).select_from(Case))
    bad = workbook(tmp_path, [good_row(1), ["X", "Y", "robot"] + [None] * 7], name="bad.xlsx")
    with pytest.raises(ValidationFailed, match="nothing was imported"):
        import_rows(session, bad, "bad.xlsx", users["registrar"], workflow="detained_child")
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_two_hundred_rows_import_in_one_go_with_their_source(session, users, tmp_path):
    path = workbook(tmp_path, [good_row(i) for i in range(1, 201)])
    created = import_rows(session, path, "list.xlsx", users["registrar"], workflow="detained_child")
    assert len(created) == 200 and all(c.state == "registered" for c in created)
    assert {c.sex for c in created} == {"male", "female"}  # English and French labels both understood
    first = session.scalar(select(AuditEvent).where(AuditEvent.chain == created[0].code, AuditEvent.seq == 1))
    assert first.details["source"] == {"import": "list.xlsx", "sha256": file_digest(path), "row": 2}
    assert "Child1" not in str(first.details)  # names stay in the identifying part


def test_only_registrars_import(session, users, tmp_path):
    path = workbook(tmp_path, [good_row(1)])
    with pytest.raises(Forbidden):
        import_rows(session, path, "list.xlsx", users["auditor"], workflow="detained_child")


@pytest.mark.parametrize("kind, expected", [
    ("text", "not an Excel workbook"),
    ("ole", "password-protected"),
    ("corrupt", "damaged"),
    ("bomb", "zip bomb"),
    ("formula", "formulas"),
    ("merged", "merged cells"),
    ("unknown", "Unknown columns: Shoe size"),
    ("missing", "Missing columns"),
    ("too_many", "at most 5"),
    ("empty", "no rows"),
])
def test_bad_files_get_a_clear_message(session, users, tmp_path, app, kind, expected):
    path = tmp_path / f"{kind}.xlsx"
    if kind == "text":
        path.write_text("name,sex\nA,male\n")
    elif kind == "ole":
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    elif kind == "corrupt":
        good = workbook(tmp_path, [good_row(1)], name="good.xlsx").read_bytes()
        path.write_bytes(good[: len(good) // 2])
    elif kind == "bomb":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/workbook.xml", "<x/>")
            z.writestr("xl/worksheets/sheet1.xml", "0" * (200 * 1024 * 1024 // 2))
    elif kind == "formula":
        workbook(tmp_path, [good_row(1)], name=path.name, mutate=lambda ws: ws.__setitem__("F2", "=1+1"))
    elif kind == "merged":
        workbook(tmp_path, [good_row(1), good_row(2)], name=path.name, mutate=lambda ws: ws.merge_cells("A2:A3"))
    elif kind == "unknown":
        workbook(tmp_path, [good_row(1) + ["42"]], headers=HEADERS_EN + ["Shoe size"], name=path.name)
    elif kind == "missing":
        workbook(tmp_path, [["A", "B"]], headers=["Given name", "Family name"], name=path.name)
    elif kind == "too_many":
        app.config["IMPORT_MAX_ROWS"] = 5
        workbook(tmp_path, [good_row(i) for i in range(1, 8)], name=path.name)
    elif kind == "empty":
        workbook(tmp_path, [], name=path.name)
    try:
        with pytest.raises(ValidationFailed) as err:
            preview(session, path, path.name, file_digest(path), users["registrar"])
    finally:
        app.config["IMPORT_MAX_ROWS"] = 5_000
    assert expected in str(err.value.detail)


def test_upload_preview_confirm_in_the_browser_forms(client, auth, session, tmp_path):
    path = workbook(tmp_path, [good_row(1), good_row(2)])
    auth.login("registrar")
    token = auth.token("/imports/")
    r = client.post("/imports/", data={"csrf_token": token, "file": (io.BytesIO(path.read_bytes()), "list.xlsx")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Child1" in page
    sha = file_digest(path)
    assert sha in page
    r = client.post("/imports/confirm", data={"csrf_token": token, "sha256": sha, "filename": "list.xlsx"})
    assert r.status_code == 302
    from caseflow.cases.queries import name_matches

    codes = session.scalars(select(Case.code).where(name_matches("Doe"))).all()  # names only in the blind index
    assert len(codes) == 2
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    said = "2 cases imported from list.xlsx" in page or "2 dossiers importés de list.xlsx" in page
    assert said and all(code in page for code in codes)


def test_a_wrong_upload_is_422_with_the_reason_never_500(client, auth):
    auth.login("registrar")
    token = auth.token("/imports/")
    r = client.post("/imports/", data={"csrf_token": token, "file": (io.BytesIO(b"hello"), "list.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "Excel" in r.get_data(as_text=True)
    r = client.post("/imports/", data={"csrf_token": token}, content_type="multipart/form-data")
    assert r.status_code == 422


def test_an_oversized_upload_is_refused_with_413(client, auth, app):
    auth.login("registrar")
    body = b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10)  # refused from its length, before parsing
    r = client.post("/imports/", data=body, content_type="multipart/form-data; boundary=x")
    assert r.status_code == 413 and "trop volumineux" in r.get_data(as_text=True)  # the registrar reads French


def test_the_french_template_speaks_french_and_its_example_imports(client, auth, session, users, tmp_path):
    """The example row of the French template shows French words (Masculin, Arrêté), never codes,
    and a list filled in those words imports as the codes."""
    auth.login("registrar")
    wb = load_workbook(io.BytesIO(client.get("/imports/template.xlsx?lang=fr").data))
    first, example = wb.worksheets
    headers = [c.value for c in first[1]]
    row = dict(zip(headers, [c.value for c in example[2]], strict=False))
    assert "Masculin" in row.values() and "Arrêté" in row.values()
    assert not {"male", "arrested"} & {str(v) for v in row.values()}
    path = tmp_path / "fr.xlsx"
    filled = Workbook()
    filled.active.append(headers)
    filled.active.append([row.get(h) for h in headers])
    filled.save(path)
    result = preview(session, path, "fr.xlsx", file_digest(path), users["registrar"])
    assert result.valid, [r.errors for r in result.rows]
    assert result.rows[0].data["sex"] == "male" and result.rows[0].data["encounter_type"] == "arrested"
