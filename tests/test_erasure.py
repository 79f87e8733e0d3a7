"""Identity erasable without breaking the chain: sealed per case, proposed after the workflow's
retention (a clock the test moves), approved by an auditor and an administrator, erased by destroying
the case's key; afterwards no table or export holds the name, the page says "identity erased", and
audit verify passes, reporting the case as erased. The master key's rotation keeps everything open."""

import os
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect, select, text

from caseflow.audit.verify import verify_database
from caseflow.errors import Conflict, Forbidden
from caseflow.exports.operations import export_to_file
from caseflow.exports.protect import decrypted_copy
from caseflow.exports.workbook import ExportFilters
from caseflow.protection.operations import approve, propose_erasures
from caseflow.workflow.engine import fire
from tests.helpers import submit

NAME, FAMILY, BORN = "Zeynabou", "Maïga-Touré", "2011-02-28"


def closed_case(session, users, make_case):
    case = make_case(given_name=NAME, family_name=FAMILY, date_of_birth=BORN, claimed_age=None)
    submit(session, case, users)
    fire(session, case, "close", users["registrar"], {"reason": "transferred", "notes": "Moved to Niger"})
    return case


def everything_stored(session) -> str:
    """Every row of every table, as text."""
    out = []
    for table in inspect(session.get_bind()).get_table_names():
        out += [str(tuple(r)) for r in session.execute(text(f'SELECT * FROM "{table}"'))]  # noqa: S608 - names from the schema
    return "\n".join(out)


def test_the_name_is_never_stored_in_clear(session, users, make_case):
    closed_case(session, users, make_case)
    session.flush()
    stored = everything_stored(session)
    assert NAME not in stored and "Zeynabou".lower() not in stored.lower() and BORN not in stored


def test_erasure_after_retention_by_two_people(session, users, make_case, clock, tmp_path):
    case = closed_case(session, users, make_case)
    assert propose_erasures(session) == []  # not before the retention period has passed
    clock.advance(timedelta(days=1825, hours=1))
    [erasure] = propose_erasures(session)
    assert propose_erasures(session) == []  # proposed once
    with pytest.raises(Forbidden):
        approve(session, erasure.id, users["registrar"])
    approve(session, erasure.id, users["auditor"])
    with pytest.raises(Conflict):
        approve(session, erasure.id, users["auditor"])  # the same role twice is not two people
    assert erasure.done_at is None and case.given_name == NAME
    approve(session, erasure.id, users["admin"])
    assert erasure.done_at is not None and case.identity_erased
    session.flush()
    session.expire_all()

    stored = everything_stored(session)
    assert NAME not in stored and FAMILY not in stored and BORN not in stored
    from caseflow.cases.models import Case

    case = session.scalar(select(Case).where(Case.code == case.code))
    assert case.given_name is None and case.identity_erased
    report = verify_database(session)
    assert report.ok, [b.describe() for b in report.breaks][:3]
    assert case.code in report.erased
    from caseflow.audit.log import events_for_chain

    last = events_for_chain(session, case.code)[-1]
    assert last.action == "identity_erased" and last.details["erasure"] == erasure.id
    assert set(last.details["approved_by"]) == {"auditor", "admin"}

    path = tmp_path / "after.xlsx"
    export_to_file(session, users["auditor"], ExportFilters(codes=[case.code]), True, path, passphrase="pp-test")
    plain = decrypted_copy(path, "pp-test")
    wb = load_workbook(plain)
    os.unlink(plain)
    cells = str(list(wb["Cases"].values)) + str(list(wb["History"].values))
    assert NAME not in cells and "identity erased" in cells
    with pytest.raises(Conflict, match="erased"):
        from caseflow.cases.operations import reveal_identity

        reveal_identity(session, case, users["auditor"], "audit")


def test_a_case_reopened_before_the_second_approval_keeps_its_identity(session, users, make_case, clock):
    case = closed_case(session, users, make_case)
    clock.advance(timedelta(days=1826))
    [erasure] = propose_erasures(session)
    approve(session, erasure.id, users["admin"])
    fire(session, case, "reopen", users["registrar"], {"reason": "The family asked for the case again."})
    with pytest.raises(Conflict, match="open again"):
        approve(session, erasure.id, users["auditor"])
    assert case.given_name == NAME and not case.identity_erased


def test_the_erased_case_page_says_so_and_takes_no_new_name(client, auth, session, users, make_case, clock):
    case = closed_case(session, users, make_case)
    clock.advance(timedelta(days=1826))
    [erasure] = propose_erasures(session)
    approve(session, erasure.id, users["auditor"])
    approve(session, erasure.id, users["admin"])
    session.commit()
    auth.login("auditor")
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert "Identity erased" in page and "INTEGRITY BROKEN" not in page
    auth.logout()
    auth.login("admin")
    dp = client.get("/protection/").get_data(as_text=True)
    assert case.code in dp and "Awa Traoré" in dp


def test_rotating_the_master_key_keeps_every_identity_open(app, session, users, make_case):
    from caseflow.cases.queries import name_matches
    from caseflow.protection.operations import rotate_master_key
    from caseflow.sealing.keys import Keyring, key_id, keyring

    case = closed_case(session, users, make_case)
    session.flush()
    old = keyring()
    new_key = b"\x07" * 32
    app.extensions["caseflow.keyring"] = Keyring(key_id(new_key), {key_id(new_key): new_key, **old.keys})
    try:
        counts = rotate_master_key(session)
        assert counts["case_keys"] >= 1
        app.extensions["caseflow.keyring"] = Keyring(key_id(new_key), {key_id(new_key): new_key})  # old key gone
        from caseflow.cases.models import Case

        session.expire_all()
        again = session.scalar(select(Case).where(Case.code == case.code))
        assert again.given_name == NAME
        assert again.code in session.scalars(select(Case.code).where(name_matches("zeyn"))).all()
        assert verify_database(session, case.code).ok
    finally:
        app.extensions["caseflow.keyring"] = old


def test_the_data_protection_workbook_lists_who_saw_whom_and_why(client, auth, session, users, make_case, tmp_path):
    from caseflow.cases.operations import reveal_identity

    case = make_case(given_name=NAME)
    reveal_identity(session, case, users["registrar"], "duplicate_check")
    session.commit()
    auth.login("auditor")
    page = client.get("/protection/").get_data(as_text=True)
    assert "Moussa Keita" in page and "Check for a duplicate case" in page and NAME not in page
    r = client.get("/protection/report.xlsx")
    assert r.status_code == 200
    (tmp_path / "dp.xlsx").write_bytes(r.data)
    wb = load_workbook(tmp_path / "dp.xlsx", read_only=True)
    views = list(wb["Identity views"].values)
    assert any(case.code in row and "Check for a duplicate case" in row for row in views)
    assert [s.title for s in wb.worksheets] == ["Identity views", "Erasures", "Second factor"]
    wb.close()
    assert client.get("/protection/?from=2026-12-01&to=2026-11-01").status_code == 422  # reversed
    assert client.get("/protection/?to=9999-12-31").status_code == 422  # the future (and past any range)
    assert client.get("/protection/report.xlsx?from=1899-12-31").status_code == 422
    auth.logout()
    auth.login("reviewer.un")
    assert client.get("/protection/").status_code == 403


@pytest.mark.parametrize("trigger, payload", [
    ("edit_intake", {"given_name": "Someone"}),
    ("edit_intake", {"date_of_birth": "2012-02-29"}),
    ("correct_record", {"date_of_birth": "2012-02-29", "reason": "A birth certificate was found after all."}),
])
def test_an_erased_identity_is_never_written_again(session, users, make_case, clock, trigger, payload):
    from caseflow.errors import ValidationFailed

    case = closed_case(session, users, make_case)
    fire(session, case, "reopen", users["registrar"], {"reason": "Reopened to test the erasure rule."})
    fire(session, case, "close", users["registrar"], {"reason": "transferred"})
    clock.advance(timedelta(days=1826))
    [erasure] = propose_erasures(session)
    approve(session, erasure.id, users["auditor"])
    approve(session, erasure.id, users["admin"])
    fire(session, case, "reopen", users["registrar"], {"reason": "The family came back to the office."})
    with pytest.raises(ValidationFailed) as err:  # a 422 naming the field, never a 500
        fire(session, case, trigger, users["registrar"], payload)
    assert set(err.value.errors) & {"given_name", "date_of_birth"}
    assert case.given_name is None and case.identity_erased


def test_text_written_after_an_erasure_survives_the_master_key_rotation(app, session, users, make_case, clock):
    """A case reopened after its erasure: what is written about it from then on is sealed with the
    master key (never in clear); rotating the master key seals it again, so the old key can go."""
    from caseflow.cases.models import Case
    from caseflow.protection.operations import rotate_master_key
    from caseflow.sealing.keys import Keyring, key_id, keyring

    case = closed_case(session, users, make_case)
    clock.advance(timedelta(days=1826))
    [erasure] = propose_erasures(session)
    approve(session, erasure.id, users["auditor"])
    approve(session, erasure.id, users["admin"])
    fire(session, case, "reopen", users["registrar"], {"reason": "The family came back to the office."})
    assert case.state == "under_review"
    fire(session, case, "cast_vote", users["reviewer.un"],
         {"outcome": "release", "offence_category": "support_tasks", "reasons": "Bourem family found"})
    session.flush()
    stored = session.execute(text("SELECT reasons FROM review_votes ORDER BY id DESC LIMIT 1")).scalar_one()
    assert stored.startswith("s1.") and "Bourem" not in stored
    old = keyring()
    new_key = b"\x09" * 32
    app.extensions["caseflow.keyring"] = Keyring(key_id(new_key), {key_id(new_key): new_key, **old.keys})
    try:
        assert rotate_master_key(session)["text_after_erasure"] >= 1
        app.extensions["caseflow.keyring"] = Keyring(key_id(new_key), {key_id(new_key): new_key})  # old key gone
        session.flush()
        session.expire_all()
        from caseflow.review.models import Vote

        again = session.scalar(select(Case).where(Case.code == case.code))
        vote = session.scalars(select(Vote).order_by(Vote.id.desc())).first()
        assert vote.reasons == "Bourem family found" and again.identity_erased
    finally:
        app.extensions["caseflow.keyring"] = old
