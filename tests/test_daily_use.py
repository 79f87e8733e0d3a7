"""Daily-use defects met by people using Caseflow: an empty registration, an unanswered question read
as "No", a new user's role chosen for the admin, "1 events", If-Match: *, the late flag only in
history."""

import pytest

from caseflow.errors import ValidationFailed
from tests.helpers import handover, release, submit


def test_an_empty_registration_opens_no_case(client, auth, session, users, token):
    from caseflow.cases.operations import register_case

    with pytest.raises(ValidationFailed):
        register_case(session, {}, users["registrar"], workflow="detained_child")
    r = client.post("/api/v1/cases", json={}, headers=token("registrar"))
    assert r.status_code == 422 and r.get_json()["errors"]["_schema"]
    auth.login("registrar")
    r = client.post("/cases/new", data={"csrf_token": auth.token("/cases/new"), "region": "  "})
    assert r.status_code == 422


def test_an_unanswered_question_stays_unknown(client, auth, make_case, session):
    case = make_case()  # "estimated age" never answered
    session.commit()
    assert case.age_estimated is None
    auth.login("auditor")  # reads English
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    estimated = page.split("Age or date of birth is estimated")[1].split("</dd>")[0]
    assert "Unknown" in estimated and "No" not in estimated


def test_a_new_users_role_is_chosen_not_defaulted(client, auth):
    auth.login("admin")
    page = client.get("/admin/").get_data(as_text=True)
    select = page.split('id="new-role"')[1].split("</select>")[0]
    assert 'value="" selected disabled' in select and "required" in page.split('id="new-role"')[0][-200:] + select


def test_one_event_is_one_event(client, auth, make_case, session):
    case = make_case()
    session.commit()
    auth.login("auditor")
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert "1 event," in page and "1 events" not in page


def test_if_match_star_matches_any_version(client, token, make_case, session):
    case = make_case()
    session.commit()
    r = client.post(f"/api/v1/cases/{case.code}/transitions/submit_for_review", json={},
                    headers={**token("registrar"), "If-Match": "*"})
    assert r.status_code == 200 and r.get_json()["state"] == "under_review"
    r = client.post(f"/api/v1/cases/{case.code}/transitions/edit_intake", json={"region": "Gao"},
                    headers={**token("registrar"), "If-Match": '"1"'})
    assert r.status_code == 412  # a named old version is still stale


def test_the_case_json_shows_the_handover_time_and_late_flag(client, token, session, users, make_case):
    from datetime import timedelta

    from caseflow.db import utcnow

    case = make_case(encounter_at=(utcnow() - timedelta(hours=60)).isoformat())
    submit(session, case, users)
    release(session, case, users)
    handover(session, case, users, hours_after_encounter=49)
    session.commit()
    body = client.get(f"/api/v1/cases/{case.code}", headers=token("auditor")).get_json()
    assert body["handover"]["late"] is True and body["handover"]["elapsed"] == "49 h 00 min"
    assert body["handover"]["elapsed_seconds"] == 49 * 3600


def test_two_members_voting_from_the_same_page_both_count(client, auth, session, users, make_case):
    from caseflow.review.models import ReviewRound

    case = make_case()
    submit(session, case, users)
    session.commit()
    seen_version = case.version
    for who in ("reviewer.un", "reviewer.justice"):
        auth.login(who)
        url = f"/cases/{case.code}/act/cast_vote"
        r = client.post(url, data={"csrf_token": auth.token(url), "version": str(seen_version),
                                   "outcome": "release", "offence_category": "support_tasks",
                                   "reasons": f"{who} votes release"})
        assert r.status_code == 302, r.get_data(as_text=True)[:300]
        auth.logout()
    session.expire_all()
    assert len(ReviewRound.current(session, case.id).votes) == 2


def test_a_stale_edit_names_who_changed_what_and_when(session, users, make_case):
    from caseflow.errors import StaleVersion
    from caseflow.workflow.engine import fire

    case = make_case()
    seen = case.version
    fire(session, case, "edit_intake", users["registrar"], {"region": "Gao"}, expected_version=seen)
    with pytest.raises(StaleVersion) as err:
        fire(session, case, "edit_intake", users["registrar"], {"region": "Kidal"}, expected_version=seen)
    assert users["registrar"].full_name in str(err.value.detail)
    assert "Edit registration" in str(err.value.detail)
    assert err.value.extra["changed_by"] == users["registrar"].full_name


def test_organisations_can_be_looked_up_for_payloads(client, token, session):
    from tests.helpers import ASSESSOR_ORG, PARTNER_ORG

    body = client.get("/api/v1/organisations", headers=token("reviewer.un")).get_json()
    names = {o["name"]: o for o in body["items"]}
    assert PARTNER_ORG in names and ASSESSOR_ORG in names and "UN mission child-protection unit" in names
    assert names[PARTNER_ORG]["kind"] == "partner_ngo" and "Ministry of Defence" not in names
    everything = client.get("/api/v1/organisations", headers=token("auditor")).get_json()["items"]
    assert "Ministry of Defence" in {o["name"] for o in everything}
    assert client.get("/api/v1/organisations").status_code == 401


def test_history_reads_names_and_role_labels(client, auth, session, users, make_case):
    from tests.helpers import PARTNER_ORG

    case = make_case()
    submit(session, case, users)
    release(session, case, users)
    session.commit()
    auth.login("auditor")
    history = client.get(f"/cases/{case.code}").get_data(as_text=True).split('id="history-h"')[1]
    assert PARTNER_ORG in history and "(reviewer," not in history and "(Joint review member," in history
    assert "decision:" not in history and "Decision: Release" in history


def test_signing_in_with_nothing_says_what_is_missing(client):
    from tests.conftest import csrf_token

    r = client.post("/login", data={"csrf_token": csrf_token(client), "email": "", "password": ""})
    assert r.status_code == 422 and "e-mail address and password" in r.get_data(as_text=True)


def test_the_api_docs_page_speaks_the_readers_language(client, auth):
    auth.login("reviewer.justice")  # reads French
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "Cases in your remit" not in page.split("<details>")[0]  # English only under "in English"
    assert "Les dossiers de votre périmètre" in page and "Décider la libération et la remise" in page
    for english in ("Send a personal token", "One case: its state"):
        assert english not in page
    auth.logout()
    auth.login("auditor")  # reads English
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "Cases in your remit, newest first" in page and "<details>" not in page


def test_the_history_speaks_words_not_ids_iso_dates_or_keys(app, client, auth, session, users, make_case):
    """"Referral: 2", "2026-12-16", "kind: partner_ngo": what the history showed, as words now."""
    import re

    from flask_babel import force_locale
    from sqlalchemy import select

    from caseflow.audit.models import AuditEvent
    from caseflow.cases.words import details_in_words
    from caseflow.workflow.engine import fire
    from tests.helpers import referral

    case = make_case()
    submit(session, case, users)
    release(session, case, users)
    handover(session, case, users)
    fire(session, case, "start_reintegration", users["partner"], referral("family_tracing"))
    [ref] = __import__("caseflow.reintegration.models", fromlist=["Referral"]).Referral.for_case(session, case.id)
    fire(session, case, "update_referral", users["partner"], {"referral_id": ref.id, "status": "completed"})
    session.commit()
    details = session.scalars(select(AuditEvent.details).where(AuditEvent.chain == case.code)
                              .order_by(AuditEvent.seq)).all()
    system = session.scalars(select(AuditEvent.details).where(AuditEvent.action.in_(
        ["user_created", "organisation_created"]))).all()
    for lang, service in (("en", "Family tracing"), ("fr", "Recherche")):
        with force_locale(lang):
            lines = [w for d in details + system for w in details_in_words(d)]
        text = "\n".join(lines)
        assert not re.search(r"\b\d{4}-\d\d-\d\d\b", text), text  # no ISO date
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text  # no raw key or code
        referral_line = next(w for w in lines if w.startswith(("Referral", "Orientation")))
        assert service in referral_line and str(ref.id) not in referral_line.split(":", 1)[1].split("(")[0]
    auth.login("partner")
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    history = page.split('id="history-h"')[1] if 'id="history-h"' in page else page
    assert not re.search(r"<li>[^<]*\b\d{4}-\d\d-\d\d\b", history)


def test_the_reasons_an_action_is_not_possible_are_shown_not_folded(client, auth, session, users, make_case):
    case = make_case()
    submit(session, case, users)
    session.commit()
    auth.login("registrar")
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    actions = page.split('id="actions-h"')[1].split("</section>")[0]
    assert "<details" not in actions and 'class="refused"' in actions
    assert "Pas possible maintenant, et pourquoi" in actions or "Impossible" in actions, actions


@pytest.mark.parametrize("lang, says", [("en", "An age between 0 and 30 years."), ("fr", "Un âge entre 0 et 30 ans.")])
def test_an_error_message_carries_its_unit(client, token, session, users, lang, says):
    users["registrar"].locale = lang
    session.commit()
    from tests.conftest import complete_intake

    for age in (31, -1):
        r = client.post("/api/v1/cases", json=complete_intake(claimed_age=age), headers=token("registrar"))
        assert r.status_code == 422 and r.get_json()["errors"]["claimed_age"] == [says]


def test_the_age_basis_and_an_imports_source_read_as_words(app, session, users, make_case):
    import re

    from flask_babel import force_locale
    from sqlalchemy import select

    from caseflow.audit.models import AuditEvent
    from caseflow.cases.operations import register_case
    from caseflow.cases.words import details_in_words
    from caseflow.workflow.engine import fire
    from tests.conftest import complete_intake
    from tests.helpers import assessment_result, request_assessment

    case = make_case()
    request_assessment(session, case, users)
    fire(session, case, "record_assessment", users["assessor"], assessment_result(15, 17))
    imported = register_case(session, complete_intake(), users["registrar"], workflow="detained_child",
                             source={"import": "liste-gao.xlsx", "sha256": "ab" * 32, "row": 7})
    details = session.scalars(select(AuditEvent.details).where(AuditEvent.chain.in_([case.code, imported.code]))
                              ).all()
    with force_locale("fr"):
        text = "\n".join(w for d in details for w in details_in_words(d))
    assert "l'évaluation de l'âge (le minimum de sa fourchette)" in text and "Importé de la liste" in text
    assert not re.search(r"\b(assessed|import|sha256|row)\b", text), text


def test_actions_a_refusal_offers_are_named_not_keyed(app):
    from flask_babel import force_locale

    from caseflow.cases.words import actions_in_words

    with app.test_request_context(), force_locale("fr"):
        assert actions_in_words(["submit_for_review", "cast_vote"]) == "Soumettre à l'examen conjoint, Voter"
