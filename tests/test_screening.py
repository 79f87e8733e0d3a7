"""The second workflow, screening of recruits (workflows/recruit_screening.yaml): a campaign of 50
recruits through fire(), some cleared, some assessed with the benefit of the doubt, some separated
and handed over; its figures, the export, the API and audit verify all cover it."""

from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.verify import verify_database
from caseflow.cases.models import Case
from caseflow.cases.operations import register_case
from caseflow.db import utcnow
from caseflow.errors import Conflict, Forbidden, GuardRefused, ValidationFailed
from caseflow.exports.workbook import ExportFilters, write_workbook
from caseflow.reports.figures import workflow_figures
from caseflow.screening.operations import create_campaign
from caseflow.workflow.engine import fire, get_workflow
from tests.helpers import ASSESSOR_ORG, PARTNER_ORG, assessment_result, handover, org_id, referral

WF = "recruit_screening"


@pytest.fixture
def campaign(session, users):
    today = clock.today()
    return create_campaign(session, {"code": "GAO-2026-1", "region": "Gao", "place": "Camp Firhoun",
                                     "unit": "FAMa 4th battalion", "starts_on": (today - timedelta(days=3)).isoformat(),
                                     "ends_on": (today + timedelta(days=10)).isoformat()}, users["registrar"])


def recruit(session, users, in_campaign, n, **extra):
    data = {"campaign": in_campaign.code, "unit": "FAMa 4th battalion", "service_number": f"SN-{n:04d}",
            "sex": "male", "encounter_at": (utcnow() - timedelta(hours=2)).isoformat(),
            "encounter_place": "Camp Firhoun", "given_name": f"Recruit{n}", "family_name": "Test"}
    data.update(extra)
    return register_case(session, data, users["registrar"], workflow=WF)


def born_years_ago(years: int, days: int = 30) -> str:
    today = clock.today()
    return (date(today.year - years, today.month, 1) - timedelta(days=days)).isoformat()


def assess(session, users, case, min_age, max_age):
    fire(session, case, "refer_for_assessment", users["registrar"],
         {"reason_for_doubt": "No document; the recruit looks younger than the age he gives.",
          "assessor_org_id": org_id(session, ASSESSOR_ORG)})
    fire(session, case, "record_assessment", users["assessor"], assessment_result(min_age, max_age))


def separate(session, users, case):
    fire(session, case, "separate", users["registrar"], {"receiving_org_id": org_id(session, PARTNER_ORG),
                                                         "reasons": "Under 18: leaves the ranks today."})


def test_a_campaign_of_fifty_recruits(session, users, campaign, clock):
    documented = [recruit(session, users, campaign, n, date_of_birth=born_years_ago(22), age_estimated=False)
                  for n in range(20)]
    doubtful_child = [recruit(session, users, campaign, n, claimed_age=18) for n in range(20, 30)]
    doubtful_adult = [recruit(session, users, campaign, n, claimed_age=20) for n in range(30, 40)]
    plainly_child = [recruit(session, users, campaign, n, claimed_age=15) for n in range(40, 50)]
    assert {c.code[:3] for c in documented} == {"SC-"} and documented[0].workflow_fields["campaign"] == "GAO-2026-1"

    for case in documented:
        fire(session, case, "clear", users["registrar"], {"reasons": "Birth certificate: 22 years old."})
    for case in doubtful_child:  # assessed 16 to 19: the minimum counts, so a child
        assess(session, users, case, 16, 19)
        with pytest.raises(GuardRefused, match="under 18"):
            clock.advance(timedelta(days=15))
            fire(session, case, "clear", users["reviewer.un"], {"reasons": "He says he is eighteen."})
        separate(session, users, case)
    for case in doubtful_adult:  # assessed 19 to 23: cleared once the appeal window has passed
        assess(session, users, case, 19, 23)
        with pytest.raises(GuardRefused, match="appeal window"):
            fire(session, case, "clear", users["reviewer.un"], {"reasons": "Assessed 19 to 23 years old."})
    clock.advance(timedelta(days=15))
    for case in doubtful_adult:
        fire(session, case, "clear", users["reviewer.un"], {"reasons": "Assessed 19 to 23 years old."})
    for case in plainly_child:
        with pytest.raises(GuardRefused, match="documented date of birth"):  # a claimed age never clears
            fire(session, case, "clear", users["registrar"], {"reasons": "He says he is fifteen, clear him."})
        separate(session, users, case)
    for case in doubtful_child[:5] + plainly_child[:5]:
        handover(session, case, users)
        fire(session, case, "start_reintegration", users["partner"], referral())

    states = dict(session.execute(select(Case.state, Case.id).where(Case.workflow == WF)).all())
    counts = {s: sum(1 for c in documented + doubtful_child + doubtful_adult + plainly_child if c.state == s)
              for s in states}
    assert counts == {"cleared": 30, "separation_pending": 10, "in_reintegration": 10}
    assert {c.value("screening_outcome") for c in documented + doubtful_adult} == {"cleared"}
    assert {c.value("screening_outcome") for c in doubtful_child + plainly_child} == {"separated"}

    wf = get_workflow(WF)
    table = workflow_figures(session, wf, users["auditor"], k=0)  # exact, to count by hand
    assert table.counts["GAO-2026-1"] == {"screened": 50, "doubtful": 20, "assessed": 20, "separated": 20,
                                          "cleared": 30}
    registrar_view = workflow_figures(session, wf, users["registrar"], k=0)
    assert registrar_view.totals["screened"] == 50
    partner_view = workflow_figures(session, wf, users["partner"], k=0)  # only the children it received
    assert partner_view.totals == {"screened": 20, "doubtful": 10, "assessed": 10, "separated": 20, "cleared": 0}

    report = verify_database(session)
    assert report.ok, [b.describe() for b in report.breaks][:3]
    # the period statistics on detention count no screening (its file does not ask for them)
    from caseflow.reports.models import CaseFacts

    assert session.scalar(select(CaseFacts.id).join(Case, Case.id == CaseFacts.case_id)
                          .where(Case.workflow == WF).limit(1)) is None


def test_screening_refuses_what_would_defeat_it(session, users, campaign, clock):
    outside = recruit(session, users, campaign, 1, date_of_birth=born_years_ago(25), age_estimated=False,
                      encounter_at=(utcnow() - timedelta(days=5)).isoformat())
    with pytest.raises(GuardRefused, match="outside campaign GAO-2026-1"):
        fire(session, outside, "clear", users["registrar"], {"reasons": "Birth certificate: 25 years old."})
    estimated = recruit(session, users, campaign, 2, date_of_birth=born_years_ago(25), age_estimated=True)
    with pytest.raises(GuardRefused, match="documented date of birth"):
        fire(session, estimated, "clear", users["registrar"], {"reasons": "Estimated at 25 years old."})
    just_under = recruit(session, users, campaign, 3, date_of_birth=born_years_ago(18, days=-40),
                         age_estimated=False)
    with pytest.raises(GuardRefused, match="under 18"):
        fire(session, just_under, "clear", users["registrar"], {"reasons": "Nearly eighteen, clear him."})
    with pytest.raises(ValidationFailed) as err:  # a campaign that does not exist
        recruit(session, users, campaign, 4, campaign="NOWHERE-1")
    assert "campaign" in err.value.errors
    with pytest.raises(ValidationFailed) as err:  # a detention field is not part of a screening
        recruit(session, users, campaign, 5, detaining_authority="Gendarmerie")
    assert "detaining_authority" in err.value.errors
    with pytest.raises(Forbidden):
        create_campaign(session, {"code": "X-1"}, users["partner"])
    with pytest.raises(Conflict):
        create_campaign(session, {"code": "GAO-2026-1", "region": "Gao", "place": "P", "unit": "U",
                                  "starts_on": clock.today().isoformat(), "ends_on": clock.today().isoformat()},
                        users["registrar"])
    with pytest.raises(ValidationFailed) as err:
        create_campaign(session, {"code": "GAO-2026-2", "region": "Gao", "place": "P", "unit": "U",
                                  "starts_on": clock.today().isoformat(),
                                  "ends_on": (clock.today() - timedelta(days=1)).isoformat()}, users["registrar"])
    assert "ends_on" in err.value.errors


def test_screening_cases_in_the_list_page_export_and_api(client, session, users, campaign, token, auth, tmp_path):
    case = recruit(session, users, campaign, 7, date_of_birth=born_years_ago(22), age_estimated=False,
                   documents_seen="birth_certificate")
    fire(session, case, "clear", users["registrar"], {"reasons": "Birth certificate: 22 years old."})
    session.commit()

    r = client.get(f"/api/v1/cases?state=cleared&workflow={WF}", headers=token("auditor"))
    assert [c["code"] for c in r.get_json()["items"]] == [case.code]
    r = client.get("/api/v1/cases?workflow=detained_child&state=cleared", headers=token("auditor"))
    assert r.get_json()["items"] == []
    body = client.get(f"/api/v1/cases/{case.code}", headers=token("auditor")).get_json()
    assert body["workflow"] == WF and body["state"] == "cleared" and body["workflow_version"] == 1
    own = body["workflow_fields"]
    assert own["campaign"] == "GAO-2026-1" and own["screening_outcome"] == "cleared"
    assert "service_number" not in body["workflow_fields"]  # it identifies the person: never in the API
    history = client.get(f"/api/v1/cases/{case.code}/history", headers=token("auditor")).get_json()
    assert "SN-0007" not in str(history)

    path = tmp_path / "all.xlsx"
    write_workbook(session, path, user=users["auditor"], filters=ExportFilters(), include_identity=False)
    wb = load_workbook(path, read_only=True)
    rows = list(wb["Cases"].iter_rows(values_only=True))
    wb.close()
    header, row = rows[0], next(r for r in rows if r[0] == case.code)
    got = dict(zip(header, row, strict=False))
    assert got["State"] == "Cleared (18 or more)" and got["Workflow"] == "Screening of recruits"
    assert "Screening campaign: GAO-2026-1" in got["Fields of this workflow"]
    assert "Age document seen: Birth certificate" in got["Fields of this workflow"]
    assert "SN-0007" not in str(rows)
    with_identity = tmp_path / "identity.xlsx"
    write_workbook(session, with_identity, user=users["auditor"], filters=ExportFilters(), include_identity=True)
    wb = load_workbook(with_identity, read_only=True)
    assert "Service number: SN-0007" in str(list(wb["Cases"].values))
    wb.close()

    auth.login("registrar")  # who reads French
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert "Campagne de dépistage" in page and "GAO-2026-1" in page and "Admis (18 ans ou plus)" in page
    assert "Autorité de détention" not in page  # only the fields screening records
    assert "SN-0007" not in page  # shown only on request, and the request is recorded
    shown = client.post(f"/cases/{case.code}/identity", data={"csrf_token": auth.token(f"/cases/{case.code}"),
                                                              "purpose": "edit_record"})
    assert "SN-0007" in shown.get_data(as_text=True) and "Matricule" in shown.get_data(as_text=True)
    form = client.get("/cases/new?workflow=recruit_screening").get_data(as_text=True)
    assert 'name="campaign"' in form and 'name="detaining_authority"' not in form
    campaigns = client.get("/screening/campaigns").get_data(as_text=True)
    assert "GAO-2026-1" in campaigns and "FAMa 4th battalion" in campaigns


def test_a_screening_list_is_imported_into_the_screening_workflow(session, users, campaign, tmp_path):
    from openpyxl import Workbook

    from caseflow.imports.operations import file_digest, import_rows, preview

    path = tmp_path / "campaign.xlsx"
    wb = Workbook()
    wb.active.append(["Screening campaign", "Unité", "sex", "encounter_at", "Age document seen", "Matricule"])
    screened = (utcnow() - timedelta(hours=3)).replace(tzinfo=None, microsecond=0)
    wb.active.append([campaign.code, "FAMa 4th battalion", "Male", screened, "Acte de naissance", "SN-9001"])
    wb.active.append(["NOWHERE-9", "FAMa 4th battalion", "Male", screened, "None", "SN-9002"])
    wb.save(path)
    result = preview(session, path, "campaign.xlsx", file_digest(path), users["registrar"], WF)
    assert result.rows[0].ok and result.rows[0].data["documents_seen"] == "birth_certificate"
    assert "campaign" in result.rows[1].errors
    with pytest.raises(ValidationFailed):  # all rows or none
        import_rows(session, path, "campaign.xlsx", users["registrar"], workflow=WF)
    wb.active.delete_rows(3)
    wb.save(path)
    [case] = import_rows(session, path, "campaign.xlsx", users["registrar"], workflow=WF)
    assert case.workflow == WF and case.state == "screening" and case.value("service_number") == "SN-9001"
    with pytest.raises(ValidationFailed):  # a screening's columns are no detention list's
        preview(session, path, "campaign.xlsx", file_digest(path), users["registrar"], "detained_child")


@pytest.mark.parametrize("screened, clears", [
    ("2026-02-28T10:00:00+00:00", False),  # born 29 February 2008: still 17 on 28 February 2026
    ("2026-03-01T08:00:00+00:00", True),   # 18 on 1 March (no 29th in 2026)
])
def test_a_leap_day_birth_clears_only_from_the_first_of_march(session, users, clock, screened, clears):
    from datetime import UTC, datetime

    clock.freeze(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    camp = create_campaign(session, {"code": "LEAP-1", "region": "Gao", "place": "Camp", "unit": "U",
                                     "starts_on": "2026-02-20", "ends_on": "2026-03-10"}, users["registrar"])
    case = recruit(session, users, camp, 1, date_of_birth="2008-02-29", age_estimated=False, encounter_at=screened)
    if clears:
        fire(session, case, "clear", users["registrar"], {"reasons": "Birth certificate: 29 February 2008."})
        assert case.state == "cleared"
    else:
        with pytest.raises(GuardRefused, match="under 18"):
            fire(session, case, "clear", users["registrar"], {"reasons": "Birth certificate: 29 February 2008."})


def test_a_campaign_refuses_dates_that_would_defeat_it(session, users, clock):
    base = {"region": "Gao", "place": "Camp", "unit": "U"}
    for bad, field in ((dict(code="X-1", starts_on="2999-01-01", ends_on="2999-02-01"), "starts_on"),  # future
                       (dict(code="X-2", starts_on="2026-02-30", ends_on="2026-03-01"), "starts_on"),  # no such day
                       (dict(code="X-3", starts_on="2026-03-01", ends_on="2026-02-28"), "ends_on"),    # reversed
                       (dict(code="X\ufffe4", starts_on="2026-03-01", ends_on="2026-03-02"), "code")):
        with pytest.raises(ValidationFailed) as err:
            create_campaign(session, {**base, **bad}, users["registrar"])
        assert field in err.value.errors, (bad, err.value.errors)


def test_a_recruit_in_doubt_is_separated_at_once_and_the_assessment_goes_on(session, users, campaign, clock):
    """The protective default: a doubt about the age is no reason to keep a possible child in the
    ranks while the assessment takes its time."""
    case = recruit(session, users, campaign, 900, claimed_age=18)
    fire(session, case, "refer_for_assessment", users["registrar"],
         {"reason_for_doubt": "No document; the recruit looks younger than the age he gives.",
          "assessor_org_id": org_id(session, ASSESSOR_ORG)})
    assert case.state == "age_assessment"
    separate(session, users, case)  # at once, the assessment still open
    assert case.state == "separation_pending" and case.workflow_fields["screening_outcome"] == "separated"
    fire(session, case, "record_assessment", users["assessor"], assessment_result(16, 19))
    assert case.state == "separation_pending"  # found a child: the separation stands
    handover(session, case, users)
    assert case.state == "handed_over"
    assert verify_database(session, case.code).ok


def test_found_adult_after_an_early_separation_the_person_may_be_cleared_before_the_handover(session, users,
                                                                                              campaign, clock):
    case = recruit(session, users, campaign, 901, claimed_age=18)
    fire(session, case, "refer_for_assessment", users["registrar"],
         {"reason_for_doubt": "No document; the recruit looks younger than the age he gives.",
          "assessor_org_id": org_id(session, ASSESSOR_ORG)})
    separate(session, users, case)
    with pytest.raises(GuardRefused, match="under way"):  # no clearance while the assessment is open
        fire(session, case, "clear", users["registrar"], {"reasons": "He says he is eighteen."})
    fire(session, case, "record_assessment", users["assessor"], assessment_result(19, 23))
    with pytest.raises(GuardRefused, match="appeal window"):
        fire(session, case, "clear", users["registrar"], {"reasons": "Assessed 19 to 23 years old."})
    clock.advance(timedelta(days=15))
    fire(session, case, "clear", users["registrar"], {"reasons": "Assessed 19 to 23 years old."})
    assert case.state == "cleared"
    assert verify_database(session, case.code).ok


def test_campaign_figures_by_sex_and_age_band_perturbed_like_the_period_statistics(session, users, campaign, clock,
                                                                                    client, auth):
    for n in range(12):
        recruit(session, users, campaign, 700 + n, claimed_age=15 if n < 9 else 14, sex="male" if n < 11 else "female")
    wf = get_workflow(WF)
    exact = workflow_figures(session, wf, users["auditor"], k=0)
    by_sex = dict(exact.breakdowns[0][1])
    assert by_sex["Boys"]["screened"] == 11 and by_sex["Girls"]["screened"] == 1
    assert by_sex["Sex unknown"]["screened"] == 0
    by_age = dict(exact.breakdowns[1][1])
    assert by_age["15–17"]["screened"] == 9 and by_age["Under 15"]["screened"] == 3
    shown = workflow_figures(session, wf, users["auditor"], k=5)
    by_sex = dict(shown.breakdowns[0][1])
    assert str(by_sex["Girls"]["screened"]) == "<5" and str(by_sex["Sex unknown"]["screened"]) == "<5"
    assert isinstance(by_sex["Boys"]["screened"], int) and abs(by_sex["Boys"]["screened"] - 11) <= 2
    assert shown.totals["screened"] == shown.counts["GAO-2026-1"]["screened"]  # the same twelve: one figure
    assert str(dict(shown.breakdowns[1][1])["Under 15"]["screened"]) == "<5"
    session.commit()
    auth.login("auditor")
    page = client.get("/screening/campaigns").get_data(as_text=True)
    assert "By sex" in page and "By age band" in page and "&lt;5" in page
