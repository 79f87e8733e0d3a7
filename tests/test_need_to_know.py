"""Need to know by stage and section (the workflow file's ``sections``): section × role × state on
the case page, in the API and in exports. A reviewer never reads reintegration notes; an assessor
never reads the review's votes; what each role sees in each state is what the file says."""

from datetime import timedelta

import pytest

from caseflow.db import utcnow
from caseflow.errors import Forbidden
from caseflow.exports.operations import check_may_export
from caseflow.exports.workbook import ExportFilters
from caseflow.workflow.engine import fire, get_workflow
from tests.helpers import ASSESSOR_ORG, PARTNER_ORG, assessment_result, org_id, submit, vote

#: a text only one section holds, per section
MARKS = {"assessment": "Doubt-MARK-assessment: the school record and the claimed age disagree.",
         "review": "MARK-review reasons of the vote",
         "handover": "MARK-handover transit centre",
         "reintegration": "MARK-reintegration referral notes"}
ROLES = ("registrar", "reviewer.un", "assessor", "partner", "auditor")


def lived_case(session, users, make_case, *, until: str):
    """A case taken as far as ``until`` ("review", "handover" or "reintegration"), leaving each
    section's mark on the way."""
    case = make_case(encounter_at=(utcnow() - timedelta(hours=30)).isoformat())
    submit(session, case, users)
    fire(session, case, "request_assessment", users["registrar"],
         {"reason_for_doubt": MARKS["assessment"], "assessor_org_id": org_id(session, ASSESSOR_ORG)})
    fire(session, case, "record_assessment", users["assessor"], assessment_result(15, 17))
    vote(session, case, users, "release")
    for name in ("reviewer.justice", "reviewer.family", "reviewer.un"):
        fire(session, case, "cast_vote", users[name], {"outcome": "release", "offence_category": "support_tasks",
                                                       "reasons": MARKS["review"]})
    if until == "review":
        return case
    fire(session, case, "decide_release", users["reviewer.un"],
         {"reasons": "Release", "offence_category": "support_tasks", "receiving_org_id": org_id(session, PARTNER_ORG)})
    fire(session, case, "record_handover", users["partner"], {
        "handing_officer": "Capt. Diallo", "handing_unit": "Gendarmerie", "receiving_person": "S. Camara",
        "handed_over_at": (utcnow() - timedelta(hours=2)).isoformat(), "place": MARKS["handover"],
        "child_condition": "Well", "medical_check": True})
    if until == "handover":
        return case
    fire(session, case, "start_reintegration", users["partner"], {
        "service_type": "family_tracing", "provider": "Enfance Solidaire Mali",
        "referred_on": utcnow().date().isoformat(), "notes": MARKS["reintegration"]})
    return case


@pytest.mark.parametrize("until", ["review", "reintegration"])
@pytest.mark.parametrize("who", ROLES)
def test_each_role_sees_on_the_page_what_the_file_lets_it_see(client, auth, session, users, make_case, who, until):
    case = lived_case(session, users, make_case, until=until)
    session.commit()
    wf = get_workflow(case.workflow)
    auth.login(who)
    r = client.get(f"/cases/{case.code}")
    if r.status_code == 404:  # outside the role's remit (a partner before the release): nothing at all
        assert who == "partner" and until == "review"
        return
    page = r.get_data(as_text=True)
    for section, mark in MARKS.items():
        if until == "review" and section in ("handover", "reintegration"):
            continue
        expected = wf.sees_section(users[who].role, section, case.state)
        assert (mark in page) == expected, (who, case.state, section)


def test_the_examples_of_the_issue_hold(client, auth, session, users, make_case, token):
    case = lived_case(session, users, make_case, until="reintegration")
    session.commit()
    # a reviewer cannot read reintegration notes: page, API (case and history), export
    auth.login("reviewer.un")
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert MARKS["reintegration"] not in page and case.code in page and MARKS["review"] in page
    api = client.application.test_client()  # tokens only, no cookie
    body = api.get(f"/api/v1/cases/{case.code}", headers=token("reviewer.un")).get_json()
    assert body["hidden_sections"] == ["reintegration"] and body["state"] == "in_reintegration"
    history = api.get(f"/api/v1/cases/{case.code}/history", headers=token("reviewer.un")).get_json()
    assert MARKS["reintegration"] not in str(history)
    assert {"withheld": "need to know"} in [e["details"] for e in history["events"]]
    with pytest.raises(Forbidden, match="ask an auditor"):
        check_may_export(users["reviewer.un"], ExportFilters(codes=[case.code]), False)
    # an assessor never reads the votes; the partner and the auditor read everything
    body = api.get(f"/api/v1/cases/{case.code}/history", headers=token("partner")).get_json()
    assert MARKS["reintegration"] in str(body) and MARKS["review"] in str(body)
    check_may_export(users["partner"], ExportFilters(codes=[case.code]), False)
    check_may_export(users["auditor"], ExportFilters(), False)


def test_a_reviewer_exports_a_case_whose_history_holds_nothing_hidden(session, users, make_case):
    case = lived_case(session, users, make_case, until="review")
    check_may_export(users["reviewer.un"], ExportFilters(codes=[case.code]), False)


def test_a_rule_may_name_a_role_of_one_organisation_kind(database, tmp_path):
    """``reviewer/un``: the UN's reviewers see reintegration in one state, the ministries' do not."""
    import shutil

    import yaml
    from sqlalchemy import select

    from caseflow.auth.models import User
    from caseflow.config import PROJECT_ROOT
    from caseflow.extensions import db
    from tests.conftest import make_app

    folder = tmp_path / "workflows"
    folder.mkdir()
    for f in (PROJECT_ROOT / "workflows").glob("*.yaml"):
        shutil.copy(f, folder)
    raw = yaml.safe_load((folder / "detained_child.yaml").read_text())
    raw["sections"]["reintegration"]["reviewer/un"] = ["in_reintegration"]
    (folder / "detained_child.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    app = make_app(database, WORKFLOWS_DIR=str(folder))
    try:
        wf = app.extensions["caseflow.workflows"]["detained_child"]
        assert wf.sees_section("reviewer", "reintegration", "in_reintegration", "un")
        assert not wf.sees_section("reviewer", "reintegration", "handed_over", "un")
        assert not wf.sees_section("reviewer", "reintegration", "in_reintegration", "government")
        with app.app_context():
            from caseflow.cases.models import Case
            from caseflow.cases.scope import sees_section

            un = db.session.scalar(select(User).where(User.email == "reviewer.un@caseflow.demo"))
            justice = db.session.scalar(select(User).where(User.email == "reviewer.justice@caseflow.demo"))
            case = Case(code="CF-TEST-1", workflow="detained_child", workflow_version=1, state="in_reintegration")
            assert sees_section(un, case, "reintegration") and not sees_section(justice, case, "reintegration")
    finally:
        app.extensions["caseflow.db"]["engine"].dispose()


# --- need to know in time (the workflow file's ``remit``) ------------------------------------------

def listed(client, code: str) -> bool:
    """In the signed-in user's case list (its rows link to the case)."""
    return f'href="/cases/{code}"' in client.get(f"/cases/?q={code}").get_data(as_text=True)


@pytest.mark.parametrize("days, seen", [(0, True), (29, True), (30, True), (31, False), (400, False)])
def test_a_reviewer_sees_a_decided_case_for_the_days_the_file_gives(client, auth, session, users, make_case,
                                                                   token, clock, days, seen):
    case = lived_case(session, users, make_case, until="reintegration")  # decided, handed over, referred
    session.commit()
    clock.advance(timedelta(days=days, hours=-1))
    auth.login("reviewer.un")
    assert (client.get(f"/cases/{case.code}").status_code == 200) is seen
    assert listed(client, case.code) is seen
    r = client.application.test_client().get(f"/api/v1/cases/{case.code}", headers=token("reviewer.un"))
    assert r.status_code == (200 if seen else 404)


def test_a_reviewer_sees_a_case_while_its_review_is_open_whatever_its_age(client, auth, session, users, make_case,
                                                                           clock):
    case = lived_case(session, users, make_case, until="review")
    session.commit()
    clock.advance(timedelta(days=800))  # a review that drags on stays in the mechanism's remit
    auth.login("reviewer.un")
    assert client.get(f"/cases/{case.code}").status_code == 200 and listed(client, case.code)


def test_a_case_in_juvenile_justice_stays_in_the_mechanisms_remit_for_its_re_reviews(client, auth, session, users,
                                                                                    make_case, clock):
    from tests.test_rules_hold import refer_to_jj

    case = make_case(claimed_age=16, charge_category="terrorism")
    submit(session, case, users)
    refer_to_jj(session, case, users, case.encounter_at.date() - timedelta(days=3))
    session.commit()
    clock.advance(timedelta(days=200))
    auth.login("reviewer.justice")
    assert client.get(f"/cases/{case.code}").status_code == 200


def test_a_case_never_put_before_the_mechanism_is_not_the_reviewers(client, auth, session, make_case):
    case = make_case()
    session.commit()
    auth.login("reviewer.un")
    assert client.get(f"/cases/{case.code}").status_code == 404 and not listed(client, case.code)


def test_the_registrar_does_not_see_the_handover_or_reintegration(client, auth, session, users, make_case, token):
    """A registrar may be a security forces' focal point: what follows the handover is not theirs."""
    case = lived_case(session, users, make_case, until="reintegration")
    session.commit()
    auth.login("registrar")
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert case.code in page and MARKS["handover"] not in page and MARKS["reintegration"] not in page
    assert "Capt. Diallo" not in page and "S. Camara" not in page
    history = client.application.test_client().get(f"/api/v1/cases/{case.code}/history",
                                                   headers=token("registrar")).get_json()
    assert MARKS["handover"] not in str(history) and "Capt. Diallo" not in str(history)
    with pytest.raises(Forbidden, match="ask an auditor"):
        check_may_export(users["registrar"], ExportFilters(codes=[case.code]), False)
