"""The period report, checked against figures counted by hand: cases made through ``fire()`` over a
clock the test moves (registered, decided, handed over, still held, released by a court, assessed,
corrected later, registered late), reports made on 1 April and again in July "as of" 1 April."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.audit.verify import verify_database
from caseflow.reports.disclosure import Protected, perturb, perturbation, record_key
from caseflow.reports.facts import fold
from caseflow.reports.models import CaseFacts
from caseflow.reports.period import Period, build
from caseflow.workflow.engine import fire
from tests.helpers import (
    REVIEWERS,
    assessment_result,
    handover,
    release,
    request_assessment,
    submit,
    vote,
)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


Q1 = {"from": "2026-01-01", "to": "2026-03-31"}


def cells(report, key: str) -> dict:
    table = next(x for x in report.tables if x.key == key)
    return {label.strip(): dict(zip(table.columns, values, strict=True)) for label, values in table.rows}


def total(report, figure_label: str, column: str = "Total"):
    return cells(report, "summary")[figure_label][column]


@pytest.fixture
def quarter(session, users, make_case, clock):
    """Seven children: A to G, by hand (times in UTC)."""
    made = {}
    clock.freeze(t("2026-01-05T08:00:00"))
    made["A"] = make_case(sex="male", claimed_age=15, region="Mopti", encounter_at="2026-01-04T20:00:00",
                          charge_category="association", nationality="Malian")
    made["B"] = make_case(sex="female", claimed_age=13, region="Gao", encounter_at="2026-01-05T06:00:00",
                          charge_category="terrorism", nationality="Malian")
    made["D"] = make_case(sex="male", claimed_age=None, region="Mopti", encounter_at="2025-12-20T08:00:00")
    for code in ("A", "B"):
        submit(session, made[code], users)
        release(session, made[code], users)  # decided on 5 January 08:00
    clock.freeze(t("2026-01-08T08:00:00"))
    handover(session, made["A"], users, hours_after_encounter=30)  # 6 Jan 02:00, in time
    handover(session, made["B"], users, hours_after_encounter=60)  # 7 Jan 18:00, late
    clock.freeze(t("2026-01-10T09:00:00"))
    made["C"] = make_case(sex="male", claimed_age=16, region="Gao", encounter_at="2026-01-10T08:00:00")
    clock.freeze(t("2026-02-01T10:00:00"))
    made["E"] = make_case(sex="male", claimed_age=17, region="Kidal", encounter_at="2026-02-01T08:00:00")
    submit(session, made["E"], users)
    clock.freeze(t("2026-02-02T10:00:00"))
    request_assessment(session, made["E"], users)
    clock.freeze(t("2026-02-05T10:00:00"))
    fire(session, made["E"], "record_assessment", users["assessor"], assessment_result(min_age=16, max_age=18))
    clock.freeze(t("2026-03-05T08:00:00"))
    made["G"] = make_case(sex="male", claimed_age=14, region="Mopti", encounter_at="2026-03-01T08:00:00")
    fire(session, made["G"], "edit_intake", users["registrar"], {"custody_end": "2026-03-03T08:00:00"})
    session.commit()
    return made


def report_at(session, users, who="auditor", as_of=None, min_cell=0, by=("sex", "age_band"), **period):
    p = Period(start=datetime.fromisoformat(period.get("from", Q1["from"])).date(),
               end=datetime.fromisoformat(period.get("to", Q1["to"])).date(),
               as_of=as_of or t("2026-04-01T12:00:00"), by=by)
    return build(session, p, users[who], min_cell=min_cell)


def test_every_figure_counted_by_hand(session, users, quarter, clock):
    clock.freeze(t("2026-04-01T12:00:00"))
    r = report_at(session, users)
    s = cells(r, "summary")
    assert s["Newly detained"]["Total"] == 5  # A, B, C, E, G (D was detained in December)
    assert s["Released from detention"]["Total"] == 3  # A and B handed over, G released by a court
    assert s["Still detained at period end"]["Total"] == 3  # C, D, E
    assert s["Handed over to civilian child protection"]["Total"] == 2
    assert s["… of whom within the time limit"]["Total"] == 1  # A in 30 h; B in 60 h
    assert s["Decision: Release and handover to civilian child protection"]["Total"] == 2
    assert s["Decision: Defer"]["Total"] == 0
    assert s["Age assessments requested"]["Total"] == 1 and s["Age assessments concluded"]["Total"] == 1
    assert s["Assessed 15–17"]["Total"] == 1 and s["Assessed under 15"]["Total"] == 0

    by_sex = cells(r, "by_sex")
    assert by_sex["Newly detained"] == {"Boys": 4, "Girls": 1, "Sex unknown": 0, "Total": 5}
    assert by_sex["Still detained at period end"] == {"Boys": 3, "Girls": 0, "Sex unknown": 0, "Total": 3}
    by_age = cells(r, "by_age_band")
    # A 15, C 16, E 15 (assessed 16 on 5 Feb, carried back to 1 Feb); B 13, G 14; D unknown
    assert by_age["Newly detained"] == {"Under 15": 2, "15–17": 3, "18 and over": 0, "Age unknown": 0, "Total": 5}
    assert by_age["Still detained at period end"] == {"Under 15": 0, "15–17": 2, "18 and over": 0, "Age unknown": 1,
                                                      "Total": 3}
    assert cells(r, "by_region")["Newly detained"] == {"Gao": 2, "Kidal": 1, "Mopti": 2, "Total": 5}
    charge = cells(r, "by_charge")["Newly detained"]
    assert charge == {"Association with an armed group": 1, "Terrorism-related offence": 1, "Not recorded": 3,
                      "Total": 5}
    handed = cells(r, "by_nationality")["Handed over to civilian child protection"]
    assert handed == {"Malian": 2, "Not recorded": 0, "Total": 2}

    cross = cells(r, "newly_detained_by_sex_age_band")
    assert cross["Boys"] == {"Under 15": 1, "15–17": 3, "18 and over": 0, "Age unknown": 0, "Total": 4}
    assert cross["Girls"] == {"Under 15": 1, "15–17": 0, "18 and over": 0, "Age unknown": 0, "Total": 1}
    assert cross["Total"]["Total"] == 5

    d = cells(r, "durations")
    released = d["Length of detention, released in the period (days)"]
    # A 30 h (1.25 d), B 60 h (2.5 d), G 2 d: median 2, 90th percentile 2 + 0.8 × 0.5
    assert released == {"Children": 3, "Median": 2.0, "90th percentile": 2.4, "Longest": 2.5}
    held = d["Length of detention so far, still held at period end (days)"]
    # to 1 April 00:00: C 80 d 16 h, D 101 d 16 h, E 58 d 16 h
    assert held["Children"] == 3 and held["Median"] == 80.7 and held["Longest"] == 101.7
    to_decision = d["Encounter to joint-review decision (days)"]
    assert to_decision["Children"] == 2 and to_decision["Longest"] == 0.5  # A: 12 h; B: 2 h
    months = cells(r, "monthly")
    assert months["Newly detained"] == {"2026-01": 3, "2026-02": 1, "2026-03": 1, "Total": 5}
    assert months["Released from detention"] == {"2026-01": 2, "2026-02": 0, "2026-03": 1, "Total": 3}
    assert r.children == 6  # everyone but F (not yet registered) counts somewhere


def test_a_report_as_of_a_past_time_does_not_change_after_later_corrections(session, users, quarter, clock):
    clock.freeze(t("2026-04-01T12:00:00"))
    april = report_at(session, users)
    assert april.later_changes == []
    # after 1 April: A's encounter corrected (its handover becomes late), and F registered about March
    clock.freeze(t("2026-04-10T09:00:00"))
    fire(session, quarter["A"], "correct_record", users["registrar"],
         {"encounter_at": "2026-01-03T20:00:00", "reason": "The gendarmerie log shows an earlier arrest."})
    from caseflow.cases.operations import register_case

    register_case(session, {"sex": "female", "claimed_age": 12, "region": "Gao",
                            "encounter_at": "2026-03-30T08:00:00"}, users["registrar"], workflow="detained_child")
    session.commit()
    clock.freeze(t("2026-07-15T09:00:00"))
    july_as_of_april = report_at(session, users, as_of=t("2026-04-01T12:00:00"))
    assert [(x.key, x.rows) for x in july_as_of_april.tables] == [(x.key, x.rows) for x in april.tables]
    assert july_as_of_april.digest == april.digest
    changes = {c["case"]: c for c in july_as_of_april.later_changes}
    assert quarter["A"].code in changes and "Encounter" in changes[quarter["A"].code]["facts"]
    assert "Handover" in changes[quarter["A"].code]["facts"]
    assert len(changes) == 2 and july_as_of_april.later_changes_total == 2
    registered_late = next(c for c in changes.values() if c["registered_later"])
    assert registered_late["case"] != quarter["A"].code

    now = report_at(session, users, as_of=t("2026-07-15T09:00:00"))
    s = cells(now, "summary")
    assert s["Newly detained"]["Total"] == 6  # F, registered in April, was detained in March
    assert s["… of whom within the time limit"]["Total"] == 0  # A's handover now took 54 h
    assert now.later_changes == []


def test_the_kept_facts_are_what_the_events_fold_to(session, users, quarter):
    case = quarter["E"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.chain == case.code).order_by(AuditEvent.seq))
    folded = fold(e.details.get("facts", {}) for e in events)
    kept = session.scalar(select(CaseFacts).where(CaseFacts.case_id == case.id, CaseFacts.valid_to.is_(None)))
    # assessed 16-18 on 5 February: 16 at the latest birth date that allows, so 15 at the encounter
    assert folded == kept.facts and kept.facts["age"] == 15
    assert "given_name" not in str(kept.facts) and "Test" not in str(kept.facts)
    assert verify_database(session).ok


def test_a_vote_writes_no_facts(session, users, make_case):
    case = make_case()
    submit(session, case, users)
    before = session.scalars(select(CaseFacts.id).where(CaseFacts.case_id == case.id)).all()
    vote(session, case, users, who=REVIEWERS[:1])
    last = session.scalars(select(AuditEvent).where(AuditEvent.chain == case.code)
                           .order_by(AuditEvent.seq.desc())).first()
    assert last.action == "cast_vote" and "facts" not in last.details
    assert session.scalars(select(CaseFacts.id).where(CaseFacts.case_id == case.id)).all() == before


def test_facts_changed_behind_the_applications_back_are_reported(session, users, quarter):
    from sqlalchemy import update

    row = session.scalar(select(CaseFacts).where(CaseFacts.case_id == quarter["C"].id, CaseFacts.valid_to.is_(None)))
    session.execute(update(CaseFacts).where(CaseFacts.id == row.id).values(facts=dict(row.facts, sex="female")))
    result = verify_database(session, quarter["C"].code)
    assert not result.ok
    assert any("statistics' facts differ" in b.problem and "sex" in b.problem for b in result.breaks)


# --- disclosure control: the cell-key method --------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(count=st.integers(0, 10**6), key=st.integers(0, 10**7), k=st.integers(2, 10))
def test_a_count_moves_by_two_at_most_the_same_way_every_time_and_small_ones_look_alike(count, key, k):
    shown = perturb(count, key, k)
    assert shown == perturb(count, key, k)  # the same children, the same figure
    if count < k:
        assert str(shown) == f"<{k}"  # zero included: an empty cell and a cell of one child look alike
    elif isinstance(shown, Protected):
        assert count + perturbation(count, key % 256) < k
    else:
        assert abs(shown - count) <= 2 and shown >= k
    assert perturb(count, key, 1) == count and perturb(count, key, 0) == count  # control off: exact


def test_about_half_the_counts_are_unchanged_and_the_rest_spread_both_ways():
    moves = [perturbation(100, key) for key in range(256)]
    assert 0.4 < moves.count(0) / 256 < 0.6
    assert moves.count(1) == moves.count(-1) and moves.count(2) == moves.count(-2) > 0
    # the count enters the lookup: one child more with a record key of 0 still moves to another draw
    assert [perturbation(100, k) for k in range(256)] != [perturbation(101, k) for k in range(256)]


def test_record_keys_are_spread_and_need_the_secret():
    keys = [record_key(b"secret", i) for i in range(4096)]
    assert set(keys) == set(range(256))  # every key drawn, none much more often than the others
    assert max(keys.count(v) for v in range(256)) < 40
    assert keys != [record_key(b"another secret", i) for i in range(4096)]


def test_the_same_children_give_the_same_figure_in_every_table(session, users, quarter, clock, app):
    clock.freeze(t("2026-04-01T12:00:00"))
    r = report_at(session, users, min_cell=3)
    newly = [cells(r, key)["Newly detained"]["Total"] for key in ("summary", "by_sex", "by_region", "by_charge")]
    assert len(set(map(str, newly))) == 1  # the five newly detained children, one figure everywhere
    assert str(cells(r, "newly_detained_by_sex_age_band")["Total"]["Total"]) == str(newly[0])
    by_sex = cells(r, "by_sex")["Newly detained"]  # 4 boys, 1 girl (under 3): shown as "<3"
    assert str(by_sex["Girls"]) == "<3" and str(by_sex["Sex unknown"]) == "<3"  # one and zero alike
    again = report_at(session, users, min_cell=3, **{"from": "2025-12-01", "to": "2026-03-31"})
    # D joins the newly detained in the longer period: another set, another figure may come
    assert cells(again, "by_sex")["Handed over to civilian child protection"] == \
        cells(r, "by_sex")["Handed over to civilian child protection"]  # the same two children


def test_small_cells_are_withheld_in_the_report_by_default(session, users, quarter, clock, app):
    clock.freeze(t("2026-04-01T12:00:00"))
    r = report_at(session, users, min_cell=app.config["REPORT_MIN_CELL"])
    by_sex = cells(r, "by_sex")
    assert {k: str(v) for k, v in by_sex["Newly detained"].items() if k != "Total"} == {
        "Boys": "<5", "Girls": "<5", "Sex unknown": "<5"}
    total = by_sex["Newly detained"]["Total"]
    assert str(total) == "<5" or 3 <= total <= 7  # five children, perturbed by at most 2
    by_region = cells(r, "by_region")["Newly detained"]  # Gao 2, Kidal 1, Mopti 2: all small
    assert {str(v) for k, v in by_region.items() if k != "Total"} == {"<5"}
    d = cells(r, "durations")["Length of detention, released in the period (days)"]
    assert str(d["Children"]) == "<5" and d["Median"] is None


REGIONS = ("Gao", "Kidal", "Mopti", "Tombouctou")


def test_two_reports_a_day_apart_do_not_give_away_the_child_between_them(session, users, make_case, clock):
    """The attack tried from outside: a report to day D and one to day D + 1, with one child
    registered on the extra day, subtracted table by table. Before the cell-key method the cells
    that grew by exactly one named that child's sex, age band and region in 8 tries of 8."""
    clock.freeze(t("2026-03-01T08:00:00"))
    for i in range(60):  # a population with cells of five and more everywhere
        make_case(sex=("male", "female")[i % 2], claimed_age=(13, 16)[i // 2 % 2], region=REGIONS[i // 4 % 4],
                  encounter_at=f"2026-02-{1 + i % 27:02d}T08:00:00")
    named = 0
    for attempt in range(8):
        day = 1 + attempt
        sex, age, region = ("male", "female")[attempt % 2], (13, 16)[attempt // 2 % 2], REGIONS[attempt % 4]
        clock.freeze(t(f"2026-03-{day:02d}T09:00:00"))
        make_case(sex=sex, claimed_age=age, region=region, encounter_at=f"2026-03-{day:02d}T08:00:00")
        clock.freeze(t(f"2026-03-{day:02d}T23:00:00"))
        session.flush()
        before = report_at(session, users, min_cell=5, as_of=clock.now(), **{"from": "2026-02-01",
                                                                             "to": f"2026-03-{day - 1:02d}"}
                           if day > 1 else {"from": "2026-02-01", "to": "2026-02-28"})
        after = report_at(session, users, min_cell=5, as_of=clock.now(),
                          **{"from": "2026-02-01", "to": f"2026-03-{day:02d}"})
        guesses = {}
        for key in ("by_sex", "by_age_band", "by_region"):
            b, a = cells(before, key)["Newly detained"], cells(after, key)["Newly detained"]
            grew = [col for col in a if col != "Total" and isinstance(a[col], int) and isinstance(b[col], int)
                    and a[col] - b[col] == 1 and all(a[o] == b[o] for o in a if o not in (col, "Total"))]
            guesses[key] = grew[0] if len(grew) == 1 else None
        truth = {"by_sex": {"male": "Boys", "female": "Girls"}[sex], "by_age_band": "15–17" if age == 16 else
                 "Under 15", "by_region": region}
        named += guesses == truth
    assert named <= 2, f"the subtraction named the child in {named} tries of 8"


# --- who, and how it comes out ------------------------------------------------------------------------

def test_only_auditors_reviewers_and_partners_see_statistics(client, token, quarter, clock):
    clock.freeze(t("2026-04-01T12:00:00"))
    for who, status in (("auditor", 200), ("reviewer.un", 200), ("partner", 200), ("registrar", 403),
                        ("assessor", 403), ("admin", 403)):
        r = client.get("/api/v1/reports/period?from=2026-01-01&to=2026-03-31", headers=token(who))
        assert r.status_code == status, (who, r.get_data(as_text=True))


def test_a_partner_sees_only_its_own_organisations_cases(session, users, quarter, clock):
    clock.freeze(t("2026-04-01T12:00:00"))
    r = report_at(session, users, who="partner")
    s = cells(r, "summary")
    assert s["Handed over to civilian child protection"]["Total"] == 2
    assert s["Still detained at period end"]["Total"] == 0  # C, D and E were never released to it
    assert r.scope.startswith("organisation:")


def newly_detained_as_shown(session, users):
    """The five newly detained children of the quarter as every output shows them (perturbed)."""
    shown = cells(report_at(session, users, min_cell=5), "summary")["Newly detained"]["Total"]
    # five children, moved by at most 2: a count the change takes under 5 is shown "<5" (case ids,
    # and so record keys, differ between databases)
    assert str(shown) == "<5" or (isinstance(shown, int) and 5 <= shown <= 7), shown
    return shown


def test_the_api_answers_and_records_the_report(client, token, session, users, quarter, clock):
    clock.freeze(t("2026-04-01T12:00:00"))
    r = client.get("/api/v1/reports/period?from=2026-01-01&to=2026-03-31&by=region,sex", headers=token("auditor"))
    assert r.status_code == 200
    body = r.get_json()
    assert body["by"] == ["region", "sex"] and body["digest"].startswith("v1-")
    summary = next(x for x in body["tables"] if x["key"] == "summary")
    newly = next(row for row in summary["rows"] if row["label"] == "Newly detained")
    assert newly["values"] == [str(v) if isinstance(v, Protected) else v
                               for v in [newly_detained_as_shown(session, users)]]
    assert any(x["key"] == "newly_detained_by_region_sex" for x in body["tables"])
    made = session.scalars(select(AuditEvent).where(AuditEvent.action == "report_made")).all()
    assert made and made[-1].details["from"] == "2026-01-01" and made[-1].details["output"] == "json"


@pytest.mark.parametrize("query, field", [
    ("from=2026-03-31&to=2026-01-01", "to"),  # reversed
    ("from=2026-01-01&to=2026-12-31", "to"),  # ends after "as of" (now)
    ("from=2026-01-01", "to"),  # missing
    ("from=2026-02-30&to=2026-03-31", "from"),  # no such day
    ("from=2026-01-01&to=2026-03-31&as_of=2027-01-01T00:00:00Z", "as_of"),  # as of the future
    ("from=2026-01-01&to=2026-03-31&by=sex,sex", "by"),
    ("from=2026-01-01&to=2026-03-31&by=name", "by"),
    ("from=2026-01-01&to=2026-03-31&by=sex,region,charge", "by"),
    ("from=1850-01-01&to=2026-03-31", "from"),
])
def test_a_bad_period_is_refused_with_the_field_named(client, token, quarter, clock, query, field):
    clock.freeze(t("2026-04-01T12:00:00"))
    r = client.get(f"/api/v1/reports/period?{query}", headers=token("auditor"))
    assert r.status_code == 422, r.get_data(as_text=True)
    assert field in r.get_json()["errors"]


def test_a_leap_day_period(session, users, make_case, clock):
    clock.freeze(t("2028-03-01T12:00:00"))
    make_case(sex="female", claimed_age=12, encounter_at="2028-02-29T23:30:00")
    make_case(sex="female", claimed_age=12, encounter_at="2028-03-01T00:00:00")
    session.commit()
    r = report_at(session, users, as_of=t("2028-03-01T12:00:00"), **{"from": "2028-02-29", "to": "2028-02-29"})
    assert cells(r, "summary")["Newly detained"]["Total"] == 1
    assert cells(r, "monthly")["Newly detained"] == {"2028-02": 1, "Total": 1}


def test_the_workbook_has_every_table_its_charts_and_no_formula(client, auth, quarter, clock, session, users):
    clock.freeze(t("2026-04-01T12:00:00"))
    fire(session, quarter["C"], "edit_intake", users["registrar"], {"region": "=HYPERLINK(\"http://x\")"})
    session.commit()
    auth.login("auditor")
    r = client.get("/reports/period?from=2026-01-01&to=2026-03-31&by=sex,age_band&format=xlsx")
    assert r.status_code == 200
    data = r.get_data()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert len([n for n in names if n.startswith("xl/charts/chart")]) == 2
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "About" and "Later changes" in wb.sheetnames
    about = {row[0]: row[1] for row in wb["About"].iter_rows(min_row=2, values_only=True)}
    assert about["As of"].startswith("2026-04-01T12:00") and about["Audit digest at that time"].startswith("v1-")
    assert "<5" in about["Disclosure control"]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    region = next(ws for ws in wb.worksheets if "region" in ws.title)
    assert any(str(c.value).startswith("=HYPERLINK") for row in region.iter_rows() for c in row)
    r = client.get("/reports/period?from=2026-01-01&to=2026-03-31&format=csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert {"table", "row", "column", "value"} <= set(rows[0])
    assert all(not row["row"].startswith("=") for row in rows)
    newly = next(row for row in rows if row["table"] == "summary" and row["row"] == "Newly detained")
    assert newly["value"] == str(newly_detained_as_shown(session, users))


def test_the_page_in_french(client, auth, quarter, clock, session, users):
    clock.freeze(t("2026-04-01T12:00:00"))
    users["auditor"].locale = "fr"
    session.commit()
    auth.login("auditor")
    r = client.get("/reports/period?from=2026-01-01&to=2026-03-31")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "<svg" in page and "Nouvellement détenus" in page and "Garçons" in page


def test_the_page_refuses_a_reversed_period_in_place(client, auth, quarter, clock):
    clock.freeze(t("2026-04-01T12:00:00"))
    auth.login("reviewer.un")
    r = client.get("/reports/period?from=2026-03-31&to=2026-01-01")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "error-summary" in page


def test_the_cli_writes_the_workbook(app, session, users, quarter, clock, tmp_path):
    clock.freeze(t("2026-04-01T12:00:00"))
    out = tmp_path / "q1.xlsx"
    result = app.test_cli_runner().invoke(args=["report", "period", "--from", "2026-01-01", "--to", "2026-03-31",
                                                "--as", "auditor@caseflow.demo", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    summary = wb.worksheets[1]
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert str(values["Newly detained"]) == str(newly_detained_as_shown(session, users))
    result = app.test_cli_runner().invoke(args=["report", "period", "--from", "2026-03-31", "--to", "2026-01-01",
                                                "--as", "auditor@caseflow.demo", "-o", str(out)])
    assert result.exit_code != 0 and "ends before it starts" in result.output


def test_cases_from_before_the_facts_were_kept_are_filed_once(app, session, users, make_case, clock):
    from sqlalchemy import delete

    clock.freeze(t("2026-05-02T10:00:00"))
    case = make_case(sex="female", claimed_age=13, encounter_at="2026-05-01T08:00:00")
    session.execute(delete(CaseFacts).where(CaseFacts.case_id == case.id))  # as after migration 0012
    session.commit()
    assert cells(report_at(session, users, as_of=t("2026-05-02T10:00:00"), **{"from": "2026-05-01",
                 "to": "2026-05-01"}), "summary")["Newly detained"]["Total"] == 0
    clock.freeze(t("2026-05-03T10:00:00"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "backfill-facts"])
    assert result.exit_code == 0 and "facts filed for 1 cases" in result.output
    assert "facts filed for 0 cases" in runner.invoke(args=["report", "backfill-facts"]).output
    last = session.scalars(select(AuditEvent).where(AuditEvent.chain == case.code)
                           .order_by(AuditEvent.seq.desc())).first()
    assert last.action == "facts_recorded" and last.details["facts"]["sex"] == "female"
    assert verify_database(session, case.code).ok
    after = report_at(session, users, as_of=t("2026-05-03T10:00:00"), **{"from": "2026-05-01", "to": "2026-05-01"})
    assert cells(after, "summary")["Newly detained"]["Total"] == 1
    # filed from now on: a report as of before the backfill is unchanged
    before = report_at(session, users, as_of=t("2026-05-02T10:00:00"), **{"from": "2026-05-01", "to": "2026-05-01"})
    assert cells(before, "summary")["Newly detained"]["Total"] == 0


def test_every_part_an_effect_says_it_touches_is_read_by_its_stage(app):
    """An effect's ``touches=`` names a part of the facts that a stage reads (``@registry.facts``),
    and every part is touched by some effect: a misspelt part would leave the facts unread."""
    from caseflow.workflow import registry

    touched = {part for parts in registry.TOUCHES.values() for part in parts}
    assert touched and touched <= set(registry.FACT_PARTS), touched - set(registry.FACT_PARTS)
    assert set(registry.FACT_PARTS) <= touched
