"""The auditor's workbook: safe cells, pseudonymised by default, verifiable offline, streamed."""

import os
import re
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.exports.operations import export_to_file
from caseflow.exports.verify import UnreadableExport, verify_export
from caseflow.exports.workbook import ExportFilters
from tests.helpers import release, submit, vote

DANGEROUS = ['=HYPERLINK("http://evil.example","click")', "@SUM(A1)", "+1", "-1", "\tTabbed", "\rCarriage",
             "=cmd|' /C calc'!A0", "=1+1"]


@pytest.fixture
def cases(session, users, make_case):
    made = []
    for i, danger in enumerate(DANGEROUS):
        c = make_case(region=danger, detaining_authority=DANGEROUS[-1 - i], given_name=f"Secret{i}",
                      family_name="Name")
        made.append(c)
    submit(session, made[0], users)
    release(session, made[0], users)
    submit(session, made[1], users)
    vote(session, made[1], users, who=("reviewer.un",))
    session.flush()
    return made


PASSPHRASE = "test-passphrase-of-this-export"


def export(session, user, tmp_path, name="x.xlsx", identity=False, **filters):
    """A workbook; with identity, encrypted with PASSPHRASE and given back opened (``plain_…``)."""
    from caseflow.exports.protect import decrypted_copy

    path = tmp_path / name
    outcome = export_to_file(session, user, ExportFilters(**filters), identity, path,
                             passphrase=PASSPHRASE if identity else None)
    if identity:
        plain = tmp_path / f"plain_{name}"
        os.replace(decrypted_copy(path, PASSPHRASE), plain)
        return plain, outcome
    return path, outcome


def test_cells_are_text_never_formulas(session, users, cases, tmp_path):
    path, _ = export(session, users["auditor"], tmp_path)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(z.read(n).decode() for n in sheets)
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere
    wb = load_workbook(path)
    cases_ws = wb.worksheets[1]
    values = {c.value for row in cases_ws.iter_rows(min_row=2) for c in row}
    assert '=HYPERLINK("http://evil.example","click")' in values and "@SUM(A1)" in values
    assert "+1" in values and "-1" in values and "Tabbed" in values and "Carriage" in values
    assert "=cmd|' /C calc'!A0" in values
    for row in cases_ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, str) and c.value[:1] in "=@+-":
                assert c.data_type == "s"


def test_the_workbook_has_every_sheet_and_is_pseudonymised_by_default(session, users, cases, tmp_path):
    path, outcome = export(session, users["auditor"], tmp_path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["About", "Cases", "History", "Decisions", "Assessments", "Handovers", "Referrals"]
    about = {r[0]: r[2] for r in wb["About"].iter_rows(min_row=2, values_only=True)}
    assert about["identifying_data"] == "no" and about["rows_cases"] == str(len(cases))
    assert about["exported_by"].startswith("Helen Park")
    text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Secret" not in text
    assert wb["Cases"].freeze_panes == "A2" and wb["Cases"].auto_filter.ref.startswith("A1:")
    encounter = wb["Cases"].cell(row=2, column=10).value
    assert encounter.__class__.__name__ == "datetime"  # a real Excel date
    history = wb["History"]  # written by the fast row writer: same cell types
    assert history.cell(row=2, column=3).is_date and history.cell(row=2, column=2).value == 1
    assert history.cell(row=2, column=2).data_type == "n" and history.cell(row=2, column=21).data_type == "s"
    assert outcome["rows"]["decisions"] >= 1


def test_identifying_data_only_when_asked_and_allowed(session, users, cases, tmp_path):
    path, outcome = export(session, users["auditor"], tmp_path, identity=True)
    wb = load_workbook(path)
    assert "Secret0" in [c.value for c in wb["Cases"]["S"]] + [c.value for c in wb["Cases"]["T"]] or \
        any(c.value == "Secret0" for row in wb["Cases"].iter_rows() for c in row)
    assert verify_export(path).ok and outcome["identifying_data"] is True


def test_only_auditors_export_many_cases_and_only_permitted_roles_identities(session, users, cases, tmp_path):
    with pytest.raises(Forbidden):
        export(session, users["registrar"], tmp_path)
    path, _ = export(session, users["registrar"], tmp_path, codes=[cases[2].code])  # one case: allowed
    assert load_workbook(path)["About"]
    with pytest.raises(Forbidden):
        export(session, users["admin"], tmp_path, identity=True, codes=[cases[2].code])


def test_offline_verification_passes_and_detects_edits(session, users, cases, tmp_path):
    path, _ = export(session, users["auditor"], tmp_path)
    result = verify_export(path)
    assert result.ok and result.report.events > 10

    wb = load_workbook(path)
    ws = wb["History"]
    ws.cell(row=3, column=6).value = "Someone Else"  # the actor of an event
    wb.save(tmp_path / "edited.xlsx")
    bad = verify_export(tmp_path / "edited.xlsx")
    assert not bad.ok and "content was changed" in bad.problems()[0]

    wb = load_workbook(path)
    wb["History"].delete_rows(4)
    wb.save(tmp_path / "deleted.xlsx")
    assert not verify_export(tmp_path / "deleted.xlsx").ok

    wb = load_workbook(path)
    last = wb["History"].max_row
    wb["History"].delete_rows(last)
    wb.save(tmp_path / "cut.xlsx")
    cut = verify_export(tmp_path / "cut.xlsx")
    assert not cut.ok and "rows were removed" in cut.problems()[-1]


def test_with_identity_an_edited_name_is_detected(session, users, cases, tmp_path):
    path, _ = export(session, users["auditor"], tmp_path, identity=True)
    wb = load_workbook(path)
    ws = wb["History"]
    for row in ws.iter_rows(min_row=2):
        if row[15].value and "Secret" in row[15].value:
            row[15].value = row[15].value.replace("Secret", "Other")
            break
    wb.save(tmp_path / "renamed.xlsx")
    result = verify_export(tmp_path / "renamed.xlsx")
    assert not result.ok and "identifying data was changed" in result.problems()[0]


def test_a_file_that_is_not_an_export_is_refused(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(UnreadableExport):
        verify_export(junk)


def test_cli_export_and_verify(live_app, tmp_path):
    runner = live_app.test_cli_runner()
    out = tmp_path / "cli.xlsx"
    r = runner.invoke(args=["export", "cases", "--as", "auditor@caseflow.demo", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert re.search(r"sha256 [0-9a-f]{64}", r.output)
    v = runner.invoke(args=["audit", "verify-export", str(out)])
    assert v.exit_code == 0 and "OK" in v.output
    r = runner.invoke(args=["export", "cases", "--as", "registrar@caseflow.demo", "-o", str(out)])
    assert r.exit_code == 1 and "auditors" in r.output


def test_web_export_downloads_and_records_the_export(client, auth, session, cases):
    session.commit()
    auth.login("auditor")
    r = client.post("/exports/", data={"csrf_token": auth.token("/exports/"), "state": ["handover_pending"]})
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r.data[:2] == b"PK"
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "cases_exported")
                         .order_by(AuditEvent.id.desc())).first()
    assert ev.details["rows"]["cases"] == 1 and ev.details["identifying_data"] is False
    assert len(ev.details["sha256"]) == 64


def test_web_export_validates_the_filters(client, auth):
    auth.login("auditor")
    r = client.post("/exports/", data={"csrf_token": auth.token("/exports/"), "date_from": "2026-02-30"})
    assert r.status_code == 422 and "Not a valid date" in r.get_data(as_text=True)
    auth.logout()
    auth.login("reviewer.un")
    assert client.get("/exports/").status_code == 403


def test_per_case_history_export_from_the_case_page(client, auth, session, cases):
    session.commit()
    auth.login("registrar")
    code = cases[3].code
    r = client.post(f"/exports/case/{code}", data={"csrf_token": auth.token(f"/cases/{code}")})
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert f"{code}-history.xlsx" in r.headers["Content-Disposition"]


def test_a_large_export_is_prepared_in_the_background(live_app, tmp_path):
    import time

    from tests.conftest import csrf_token, login
    from tests.test_concurrency import case_under_review_with_votes

    case_under_review_with_votes(live_app)
    live_app.config["EXPORT_INLINE_MAX_EVENTS"] = 1
    try:
        client = live_app.test_client()
        login(client, "auditor@caseflow.demo")
        r = client.post("/exports/", data={"csrf_token": csrf_token(client, "/exports/")})
        assert r.status_code == 302 and "/jobs/" in r.headers["Location"]
        job_url = r.headers["Location"]
        for _ in range(100):
            page = client.get(job_url).get_data(as_text=True)
            if "Download the workbook" in page:
                break
            assert "failed" not in page
            time.sleep(0.1)
        assert "Download the workbook" in page
        with client.get(job_url + "/file") as download:
            assert download.status_code == 200 and download.data[:2] == b"PK"
            (tmp_path / "bg.xlsx").write_bytes(download.data)
        assert verify_export(tmp_path / "bg.xlsx").ok
        other = live_app.test_client()
        login(other, "reviewer.un@caseflow.demo")
        assert other.get(job_url).status_code == 404  # someone else's export
    finally:
        live_app.config["EXPORT_INLINE_MAX_EVENTS"] = 20_000


def test_the_safe_workbook_strips_what_xml_cannot_carry_and_keeps_types(tmp_path):
    import json
    from datetime import UTC, date, datetime

    from caseflow.spreadsheet import SafeWorkbook

    book = SafeWorkbook(tmp_path / "t.xlsx")
    sheet = book.sheet("T", ["a", "b", "c", "d", "e", "f", "g"])
    stored = json.dumps({"region": "North\ufffeEast\uffff"}, ensure_ascii=False)
    sheet.append(["nul\x00\x01\x1fx\ufffe\uffff\ud800", "=SUM(1,2)", datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
                  date(2026, 1, 2), True, stored, "+cmd|' /C calc'!A0"], trusted=frozenset({5}))
    book.save()
    ws = load_workbook(tmp_path / "t.xlsx")["T"]
    row = [c for c in ws[2]]
    assert row[0].value == "nulx"
    assert row[1].value == "=SUM(1,2)" and row[1].data_type == "s"
    assert row[2].value == datetime(2026, 1, 2, 3, 4) and row[2].is_date
    assert row[3].is_date and row[4].value is True
    assert json.loads(row[5].value) == {"region": "North\ufffeEast\uffff"}  # the same values, as JSON escapes
    assert row[6].data_type == "s"


def test_control_characters_never_reach_the_database(session, users, make_case):
    with pytest.raises(ValidationFailed) as err:
        make_case(region="Ga\x00o\x07")
    assert "region" in err.value.errors
    case = make_case(charges="line one\r\nline two\ttabbed")
    assert case.charges == "line one\nline two\ttabbed"


def test_text_stored_before_the_boundary_still_exports_and_verifies(session, users, make_case, tmp_path):
    """Rows as a migration or an older version could have left them: characters XML cannot carry in
    a case field and in the hashed details of its history. Every export still writes, and verifies."""
    from sqlalchemy import update

    from caseflow.audit.log import record
    from caseflow.audit.verify import verify_database
    from caseflow.cases.models import Case

    case = make_case(region="North")
    session.execute(update(Case).where(Case.id == case.id).values(region="North\ufffeEast\uffff",
                                                                   detaining_authority="Gendarmerie\x07"))
    record(session, "legacy_note", actor=users["registrar"], chain=case.code, case_id=case.id,
           from_state=case.state, to_state=case.state,
           details={"changes": {"region": ["North", "North\ufffeEast\uffff"]}, "note": "bell\x07"})
    session.flush()
    session.expire_all()
    assert verify_database(session, case.code).ok
    everything, _ = export(session, users["auditor"], tmp_path, "legacy.xlsx")
    one_case, _ = export(session, users["auditor"], tmp_path, "case.xlsx", codes=[case.code])
    for path in (everything, one_case):
        assert verify_export(path).ok
        row = next(r for r in load_workbook(path).worksheets[1].iter_rows(min_row=2, values_only=True)
                   if r[0] == case.code)
        assert "NorthEast" in row and "Gendarmerie" in row


def test_an_identity_export_opens_only_with_its_passphrase(session, users, cases, tmp_path):
    from zipfile import BadZipFile

    from caseflow.exports.verify import UnreadableExport

    path = tmp_path / "identity.xlsx"
    outcome = export_to_file(session, users["auditor"], ExportFilters(), True, path, passphrase=PASSPHRASE)
    assert outcome["encrypted"] is True and PASSPHRASE not in str(outcome)  # the record never holds it
    with pytest.raises((BadZipFile, OSError, KeyError, ValueError)):
        load_workbook(path)  # not a plain workbook: an encrypted one
    assert b"Secret0" not in path.read_bytes()
    for wrong in (None, "", "not-the-passphrase"):
        with pytest.raises(UnreadableExport, match="passphrase"):
            verify_export(path, wrong)
    assert verify_export(path, PASSPHRASE).ok
    with pytest.raises(ValueError):  # identifying data never leaves unencrypted
        export_to_file(session, users["auditor"], ExportFilters(), True, tmp_path / "plain.xlsx")



@pytest.mark.parametrize("sheet, column", [
    ("History", "Time (UTC)"), ("History", "Action"), ("History", "Details"), ("Cases", "State"),
    ("Cases", "Age used"), ("Cases", "Region"), ("Cases", "Registered (UTC)"), ("Decisions", "Votes"),
    ("Decisions", "Round"),
])
def test_every_column_a_person_reads_is_verified_and_named(session, users, cases, tmp_path, sheet, column):
    from datetime import datetime

    path, _ = export(session, users["auditor"], tmp_path)
    wb = load_workbook(path)
    ws = wb[sheet]
    col = [c.value for c in ws[1]].index(column) + 1
    cell = ws.cell(row=3 if ws.max_row >= 3 else 2, column=col)
    old = cell.value
    if isinstance(old, datetime):
        cell.value = old.replace(year=old.year - 1)  # a time moved back a year
    elif isinstance(old, int) and not isinstance(old, bool):
        cell.value = old + 1
    else:
        cell.value = f"{old or ''} (edited)"
    wb.save(tmp_path / "edited.xlsx")
    result = verify_export(tmp_path / "edited.xlsx")
    assert not result.ok
    assert result.problems()[0] == f"sheet {sheet}, row {cell.row}, column {column}: not the value that was exported"


def test_the_about_sheet_and_the_seals_are_signed(session, users, cases, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from caseflow.audit.signing import Signer

    path, _ = export(session, users["auditor"], tmp_path)
    wb = load_workbook(path)
    about = {row[0].value: row[2] for row in wb["About"].iter_rows(min_row=2)}
    about["exported_by"].value = "Somebody Else <x@example.org>"
    wb.save(tmp_path / "about.xlsx")
    problems = verify_export(tmp_path / "about.xlsx").problems()
    assert problems[0].startswith("sheet About: its values or the sheets' seals do not match the signature")

    # a forger edits a case, re-seals its sheet and re-signs the About sheet with a key of their own
    import json

    from caseflow.exports.seal import SheetSeal, cell_value, statement
    from caseflow.spreadsheet import read_rows

    wb = load_workbook(path)
    wb["Cases"].cell(row=2, column=2).value = "Closed"
    wb.save(tmp_path / "resealed.xlsx")
    seals = json.loads(about["sheet_seals"].value)
    seal = SheetSeal("cases", seals["cases"]["columns"])
    checks = [seal.row(list(values)[:-1]) for values in list(read_rows(tmp_path / "resealed.xlsx", 1))[1:]]
    seals["cases"] = seal.summary()
    stranger = Signer(Ed25519PrivateKey.generate())
    wb = load_workbook(tmp_path / "resealed.xlsx")
    for i, check in enumerate(checks, start=2):
        wb["Cases"].cell(row=i, column=wb["Cases"].max_column).value = check
    rows = {row[0].value: row[2] for row in wb["About"].iter_rows(min_row=2)}
    rows["sheet_seals"].value = json.dumps(seals, sort_keys=True, separators=(",", ":"))
    signed = {k: cell_value(c.value) for k, c in rows.items() if k not in ("signature", "signing_key")}
    rows["signing_key"].value = stranger.public
    rows["signature"].value = stranger.sign(statement(signed, seals))
    wb.save(tmp_path / "resealed.xlsx")
    problems = verify_export(tmp_path / "resealed.xlsx").problems()
    # the sheet agrees with its new seal; the key is no one's
    assert problems[0] == ("sheet About: its values or the sheets' seals do not match the signature (or it was not "
                           "signed with a trusted audit key)")
    # and even were that key trusted, the sheet no longer agrees with the History replayed beside it
    rebuilt = verify_export(tmp_path / "resealed.xlsx", keys=[stranger.public]).problems()
    assert rebuilt == ["sheet Cases, row 2, column State: differs from the History (it makes handover_pending, "
                       "the sheet says Closed)"]
    assert verify_export(path, keys=[stranger.public]).ok  # an extra key adds trust, never removes it

    wb = load_workbook(path)
    wb["About"].delete_rows(wb["About"].max_row)  # the signature removed
    wb.save(tmp_path / "unsigned.xlsx")
    assert "carries no signature" in verify_export(tmp_path / "unsigned.xlsx").problems()[0]


@pytest.mark.parametrize("sheet, column, value", [
    ("Decisions", "Votes", "Release: 7"), ("Decisions", "Dissenting votes", 2), ("Cases", "Handed over (UTC)", None),
    ("Cases", "Workflow", "A workflow nobody wrote"),
])
def test_the_other_sheets_are_rebuilt_from_the_history(session, users, cases, tmp_path, sheet, column, value):
    """A sheet re-sealed and re-signed by the key's holder, or written from rows changed behind the
    application's back, must still agree with the hashed History: replayed, it says otherwise."""
    from caseflow.exports.rebuild import rebuild_problems
    from caseflow.exports.verify import _event
    from caseflow.spreadsheet import read_rows

    path, _ = export(session, users["auditor"], tmp_path)
    wb = load_workbook(path)
    ws = wb[sheet]
    col = [c.value for c in ws[1]].index(column) + 1
    row = 2
    if value is None:  # a handover time on a case that had none
        from datetime import datetime

        value = datetime(2026, 1, 1, 12, 0, 0)
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=col).value is None)
    ws.cell(row=row, column=col).value = value
    wb.save(tmp_path / "edited.xlsx")
    events = [_event(r, i) for i, r in enumerate(list(read_rows(tmp_path / "edited.xlsx", 2))[1:], start=2)]
    problems = rebuild_problems(tmp_path / "edited.xlsx", events, wb.sheetnames)
    assert problems and problems[0].startswith(f"sheet {sheet}, row {row}, column {column}: "), problems
    assert "differs from the History" in problems[0] or "not a workflow this application knows" in problems[0]
    assert rebuild_problems(path, events, wb.sheetnames) == []  # the file as exported agrees


def test_an_export_shows_the_rows_as_they_are_now_not_as_the_session_held_them(session, users, make_case, client,
                                                                                auth, tmp_path):
    """A session that loaded a case before someone else moved it (here the test's own, beside a
    request) must not export the old state: the sheet would then disagree with the History."""
    case = make_case()
    session.commit()
    assert case.state == "registered"  # loaded, and kept in this session
    auth.login("registrar")
    r = client.post(f"/cases/{case.code}/act/submit_for_review",
                    data={"csrf_token": auth.token(f"/cases/{case.code}"), "version": "1"})
    assert r.status_code == 302
    path, _ = export(session, users["auditor"], tmp_path, codes=[case.code])
    assert verify_export(path).ok, verify_export(path).problems()
