"""The HTML pages of cases: forms validate and keep what was typed, refusals say why, scope holds."""

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from tests.helpers import opened, release, submit


def test_registration_form_keeps_values_and_shows_errors(client, auth, session):
    auth.login("registrar")
    token = auth.token("/cases/new")
    r = client.post("/cases/new", data={"csrf_token": token, "sex": "robot", "region": "Gao",
                                        "claimed_age": "200", "given_name": "Fanta"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'value="Gao"' in page and 'value="Fanta"' in page
    assert 'id="f-sex-err"' in page and 'id="f-claimed_age-err"' in page
    assert session.scalar(select(Case).where(Case.region == "Gao")) is None


def test_registration_creates_a_case_with_a_pseudonymous_code(client, auth, session):
    auth.login("registrar")
    token = auth.token("/cases/new")
    answers = {"csrf_token": token, "sex": "female", "claimed_age": "15", "given_name": "Fanta", "region": "Gao"}
    check = client.post("/cases/new", data=answers)  # "check your answers" first: nothing recorded yet
    page = check.get_data(as_text=True)
    assert check.status_code == 200 and "Fanta" in page and 'value="confirm"' in page  # the registrar reads French
    assert session.scalar(select(Case).where(Case.region == "Gao")) is None
    back = client.post("/cases/new", data=answers | {"step": "change"})
    assert back.status_code == 200 and 'value="Fanta"' in back.get_data(as_text=True) and "<legend>" in \
        back.get_data(as_text=True)
    r = client.post("/cases/new", data=answers | {"step": "confirm"})
    assert r.status_code == 302
    code = r.headers["Location"].rsplit("/", 1)[1]
    assert code.startswith("CF-") and "Fanta" not in code
    case = session.scalar(select(Case).where(Case.code == code))
    assert case.given_name == "Fanta" and case.state == "registered"


def test_identity_is_hidden_until_asked_and_the_view_is_recorded(client, auth, session, make_case):
    case = make_case(given_name="Aminata")
    auth.login("registrar")
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert "Aminata" not in page
    token = auth.token(f"/cases/{case.code}")
    r = client.post(f"/cases/{case.code}/identity", data={"csrf_token": token})  # no purpose given
    assert r.status_code == 422 and "Aminata" not in r.get_data(as_text=True)
    r = client.post(f"/cases/{case.code}/identity", data={"csrf_token": token, "purpose": "audit"})  # not hers
    assert r.status_code == 422 and "Aminata" not in r.get_data(as_text=True)
    r = client.post(f"/cases/{case.code}/identity", data={"csrf_token": token, "purpose": "duplicate_check"})
    assert "Aminata" in r.get_data(as_text=True)
    viewed = session.scalars(select(AuditEvent).where(AuditEvent.chain == case.code,
                                                      AuditEvent.action == "identity_viewed")).all()
    assert [e.details["purpose"] for e in viewed] == ["duplicate_check"]


def test_another_partner_gets_404_never_data(client, auth, session, users, make_case):
    case = make_case()
    submit(session, case, users)
    release(session, case, users)
    auth.login("partner2")
    r = client.get(f"/cases/{case.code}")
    assert r.status_code == 404 and case.code not in r.get_data(as_text=True).split("<title>")[0]
    r = client.get(f"/cases/{case.code}/act/record_handover")
    assert r.status_code == 404


def test_only_possible_actions_are_offered_and_a_forged_post_is_403(client, auth, session, users, make_case):
    case = make_case()
    submit(session, case, users)
    auth.login("auditor")
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert f"/cases/{case.code}/act/decide_release" not in page
    assert "Your role may not do this." in page  # refused actions say why
    r = client.post(f"/cases/{case.code}/act/decide_release",
                    data={"csrf_token": auth.token(f"/cases/{case.code}"), "version": str(case.version)})
    assert r.status_code == 403


def test_a_stale_form_says_who_changed_the_case(client, auth, session, users, make_case):
    case = make_case()
    auth.login("registrar")
    token = auth.token(f"/cases/{case.code}/act/edit_intake")
    seen = case.version
    from caseflow.workflow.engine import fire

    fire(session, case, "edit_intake", users["registrar"], {"region": "Gao"})
    session.commit()
    r = client.post(f"/cases/{case.code}/act/edit_intake", data={
        "csrf_token": token, "version": str(seen), "commune": "Ansongo"})
    page = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "a été modifié par" in page and users["registrar"].full_name in page  # the registrar reads French
    assert "Ansongo" in page  # nothing typed is lost
    assert f'name="version" value="{case.version}"' in page


def test_guard_refusal_is_shown_on_the_form(client, auth, session, users, make_case):
    case = make_case(detaining_authority=None)
    auth.login("registrar")
    r = client.post(f"/cases/{case.code}/act/submit_for_review", data={
        "csrf_token": auth.token(f"/cases/{case.code}"), "version": str(case.version)})
    assert r.status_code == 422 and "pas complet" in r.get_data(as_text=True)  # the registrar reads French


def test_list_filters_and_scope(client, auth, session, users, make_case):
    make_case(region="Kidal", sex="female")
    make_case(region="Gao", sex="male")
    auth.login("registrar")
    rows = client.get("/cases/?region=Kidal").get_data(as_text=True).split("<tbody>")[1]
    assert "<td>Kidal</td>" in rows and "<td>Gao</td>" not in rows
    auth.logout()
    auth.login("partner")  # nothing released to this partner yet
    page = client.get("/cases/").get_data(as_text=True)
    assert "Aucun dossier ne correspond" in page and "<td>Kidal</td>" not in page


def test_workflow_page_draws_the_diagram(client, auth):
    auth.login("auditor")
    page = client.get("/workflows/detained_child").get_data(as_text=True)
    assert "<svg" in page and "Handover pending" in page and "decide_release" not in page.split("<svg")[1][:50]
    assert client.get("/workflows/nope").status_code == 404


def test_the_case_page_in_french(client, auth, session, users, make_case):
    case = make_case()
    submit(session, case, users)
    auth.login("reviewer.justice")  # a French-speaking member
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert "En examen conjoint" in page and "Ce que vous pouvez faire" in page
    assert "Voter" in page


def test_list_filters_by_age_band_authority_and_organisation(client, auth, make_case):
    make_case(claimed_age=13, detaining_authority="Police", region="Segou")
    make_case(claimed_age=16, detaining_authority="Gendarmerie", region="Segou")
    auth.login("auditor")
    rows = client.get("/cases/?age_band=under_15&region=Segou").get_data(as_text=True).split("<tbody>")[1]
    assert rows.count("<tr>") == 1 and "<td>13</td>" in rows
    rows = client.get("/cases/?detaining_authority=Gendarmerie&region=Segou").get_data(as_text=True)
    assert "<td>16</td>" in rows.split("<tbody>")[1] and "<td>13</td>" not in rows.split("<tbody>")[1]


def test_name_search_is_posted_and_only_for_roles_that_see_identities(client, auth, make_case, session, users):
    case = make_case(given_name="Oumarou", region="Segou")
    auth.login("registrar")
    token = auth.token("/cases/")
    r = client.post("/cases/", data={"csrf_token": token, "name": "oumar"})  # no purpose: refused
    assert r.status_code == 422 and case.code not in r.get_data(as_text=True)
    r = client.post("/cases/", data={"csrf_token": token, "name": "oumar", "purpose": "duplicate_check"})
    assert case.code in r.get_data(as_text=True)
    r = client.post("/cases/", data={"csrf_token": token, "name": "nobody-by-that-name",
                                     "purpose": "duplicate_check"})
    assert case.code not in r.get_data(as_text=True)
    searches = session.scalars(select(AuditEvent).where(AuditEvent.action == "identity_searched")
                               .order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.details["purpose"], e.details["found"]) for e in searches] == [
        (users["registrar"].id, "duplicate_check", 1), (users["registrar"].id, "duplicate_check", 0)]
    assert "oumar" not in str(searches[0].details) and searches[0].ident_digest  # the query is identifying
    auth.logout()
    for who in ("admin", "reviewer.un"):  # neither needs to know who the children are
        auth.login(who)
        r = client.post("/cases/", data={"csrf_token": auth.token("/dashboard"), "name": "oumar",
                                         "purpose": "duplicate_check"})
        assert r.status_code == 403
        auth.logout()


def test_the_age_used_is_kept_on_the_case(session, users, make_case):
    from caseflow.workflow.engine import fire

    case = make_case(claimed_age=16)
    assert case.age_at_encounter == 16 and case.age_basis == "claimed"
    fire(session, case, "edit_intake", users["registrar"], {"claimed_age": 14})
    assert case.age_at_encounter == 14


def test_dashboard_draws_its_charts_on_the_server(client, auth, session, users, make_case):
    from datetime import date, timedelta

    case = make_case(encounter_at=(date.today() - timedelta(days=6)).isoformat() + "T08:00:00")
    submit(session, case, users)
    release(session, case, users)
    from tests.helpers import handover

    handover(session, case, users, hours_after_encounter=100)
    session.commit()
    auth.login("auditor")
    page = client.get("/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 2 and 'class="bar over"' in page
    assert "Hours from encounter to handover (limit: 48 h)" in page
    assert "<script" not in page


def test_a_stale_edit_shows_their_value_beside_yours(client, auth, session, users, make_case):
    case = make_case(region="Mopti")
    auth.login("registrar")
    token = auth.token(f"/cases/{case.code}/act/edit_intake")
    seen = case.version
    from caseflow.workflow.engine import fire

    fire(session, case, "edit_intake", users["registrar"], {"region": "Gao"})  # someone else, meanwhile
    session.commit()
    r = client.post(f"/cases/{case.code}/act/edit_intake", data={
        "csrf_token": token, "version": str(seen), "region": "Kidal", "commune": "Tessalit"})
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and 'value="Kidal"' in page  # what the user typed is kept...
    assert "Maintenant, après l'autre changement" in page and "<strong>Gao</strong>" in page  # ...beside theirs
    assert page.count('class="help now"') >= 1 and "<strong>Tessalit</strong>" not in page


def test_a_referral_is_chosen_from_the_cases_referrals_never_typed(client, auth, session, users, make_case):
    from tests.helpers import handover, referral, release, submit

    case = make_case()
    submit(session, case, users)
    release(session, case, users)
    handover(session, case, users)
    from caseflow.workflow.engine import fire

    fire(session, case, "start_reintegration", users["partner"], referral("family_tracing"))
    session.commit()
    auth.login("partner")
    page = client.get(f"/cases/{case.code}/act/update_referral").get_data(as_text=True)
    assert '<select id="f-referral_id" name="referral_id"' in page
    assert 'type="number"' not in page.split('id="f-referral_id"')[1].split("</div>")[0]


def test_a_refused_registration_leads_to_each_field_and_marks_what_review_needs(client, auth):
    auth.login("registrar")
    page = client.get("/cases/new").get_data(as_text=True)
    assert page.count('class="needed"') == 7  # the workflow file's record.required, marked
    r = client.post("/cases/new", data={"csrf_token": auth.token("/cases/new"), "claimed_age": "200",
                                        "encounter_at": "not a date"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert 'autofocus' in page.split('class="error-summary"')[1][:200]
    assert 'href="#f-claimed_age"' in summary and 'href="#f-encounter_at"' in summary
    field = page.split('id="f-claimed_age"')[1].split(">")[0]
    assert 'aria-invalid="true"' in field and "f-claimed_age-err" in field
    assert 'id="f-claimed_age-err"' in page
    untouched = page.split('id="f-commune"')[1].split(">")[0]
    assert "aria-invalid" not in untouched and "aria-describedby" not in untouched  # no id that is not there


def test_waiting_for_me_names_the_next_step_and_when_it_is_due(client, auth, session, users, make_case, clock):
    from datetime import timedelta

    from tests.helpers import submit

    case = make_case()
    submit(session, case, users)
    session.commit()
    auth.login("reviewer.un")  # reads English
    page = client.get("/dashboard").get_data(as_text=True)
    item = page.split(f">{case.code}</a>")[1].split("</li>")[0]
    assert "next: <strong>Vote</strong>" in item and "due" in item and "overdue" not in item
    clock.advance(timedelta(days=3))  # the handover clock (48 h from the encounter) has passed
    auth.login("reviewer.un")  # (the idle session ended meanwhile)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'class="overdue"' in page.split(f">{case.code}</a>")[1].split("</li>")[0]


def posted_as_shown(client, code: str, **changes):
    """The edit form posted whole, as a browser sends it, with ``changes`` typed in."""
    import lxml.html
    from werkzeug.datastructures import MultiDict

    page = client.get(f"/cases/{code}/act/edit_intake").get_data(as_text=True)
    [form] = [f for f in lxml.html.fromstring(page).forms if (f.action or "").endswith("/act/edit_intake")]
    values = [(k, changes.pop(k) if k in changes else v) for k, v in form.form_values()]
    assert not changes, f"not on the form: {changes}"
    return client.post(f"/cases/{code}/act/edit_intake", data=MultiDict(values))


def test_a_cleared_optional_field_is_cleared_and_recorded_so(client, auth, session, users, make_case):
    case = make_case(commune="Ansongo", cercle="Gao")
    encounter = case.encounter_at
    assert encounter.second or encounter.microsecond  # the form shows minutes: the rest must survive
    session.commit()
    auth.login("registrar")
    r = posted_as_shown(client, case.code, commune="")
    assert r.status_code == 302
    session.refresh(case)
    assert case.commune is None and case.cercle == "Gao" and case.encounter_at == encounter
    last = session.scalars(select(AuditEvent).where(AuditEvent.chain == case.audit_chain)
                           .order_by(AuditEvent.seq.desc())).first()
    # the commune is free text about the child: its old and new values are in the sealed part
    assert last.action == "edit_intake" and last.details["changes"] == {}
    assert opened(session, last)["values"]["changes"] == {"commune": ["Ansongo", None]}


@pytest.mark.parametrize("field, label", [("sex", "Sexe"), ("region", "Région")])
def test_a_cleared_required_field_is_refused_with_its_name(client, auth, session, users, make_case, field, label):
    case = make_case()
    before = (case.version, case.value(field))
    session.commit()
    auth.login("registrar")  # reads French
    r = posted_as_shown(client, case.code, **{field: ""}, commune="Tessalit")
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f"{label} est nécessaire à l&#39;examen conjoint" in page
    session.refresh(case)
    assert (case.version, case.value(field)) == before and case.commune is None  # nothing of the form saved


def test_an_edit_after_a_decision_leaves_the_encounter_time_alone(client, auth, session, users, make_case):
    """The decided facts (the encounter) may not be edited; the form sends the time back to the
    minute, which is no edit of it."""
    case = make_case()
    submit(session, case, users)
    release(session, case, users)
    session.commit()
    auth.login("registrar")
    r = posted_as_shown(client, case.code, encounter_place="Gao checkpoint")
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    session.refresh(case)
    assert case.encounter_place == "Gao checkpoint"


# --- the case list as Primero's users expect it ------------------------------------------------------

def rows_of(client, query: str = "") -> list[str]:
    import re

    page = client.get(f"/cases/{query}").get_data(as_text=True)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'href="/cases/(CF-\d{4}-\d{5})"', body)


def test_the_list_filters_by_my_organisation_risk_and_encounter_dates(client, auth, session, users, make_case,
                                                                     clock):
    from datetime import timedelta

    from caseflow.workflow.engine import fire
    from tests.helpers import handover, referral

    clock.freeze(clock.now().replace(year=2028, month=2, day=29, hour=12))  # a leap day
    early = make_case(encounter_at="2028-02-27T23:59:59")
    late = make_case(encounter_at="2028-02-29T00:00:00")
    for case in (early, late):
        submit(session, case, users)
        release(session, case, users)
        handover(session, case, users)
        fire(session, case, "start_reintegration", users["partner"], referral())
    for case, risks in ((early, ("high", "low")), (late, ("low", "high"))):  # the latest visit counts
        for i, risk in enumerate(risks):
            fire(session, case, "record_follow_up", users["partner"], {
                "visit_date": (clock.today() - timedelta(days=1 - i)).isoformat(), "visit_type": "home_visit",
                "findings": "Visited", "risk_level": risk})
    session.commit()
    auth.login("partner")
    assert set(rows_of(client, "?risk=high")) == {late.code}
    assert set(rows_of(client, "?risk=low")) == {early.code}
    assert set(rows_of(client, "?from=2028-02-28&to=2028-02-29")) == {late.code}  # the last day is whole
    assert set(rows_of(client, "?from=2028-02-27&to=2028-02-27")) == {early.code}
    assert set(rows_of(client, "?mine=1")) == {early.code, late.code}  # received by the partner's organisation
    r = client.get("/cases/?from=2028-03-01&to=2028-02-01")
    assert r.status_code == 422 and "La fin est avant le début." in r.get_data(as_text=True)  # reads French
    r = client.get("/cases/?from=2028-02-30")
    assert r.status_code == 422 and 'aria-invalid="true"' in r.get_data(as_text=True)
    auth.logout()
    auth.login("partner2")  # another partner organisation: not its cases
    assert rows_of(client, "?mine=1") == []


def test_the_list_shows_stage_due_dates_and_sorts_by_its_columns(client, auth, session, users, make_case, clock):
    from datetime import timedelta

    first = make_case(encounter_at=(clock.now() - timedelta(hours=60)).isoformat())  # handover overdue (48 h)
    second = make_case(encounter_at=(clock.now() - timedelta(hours=2)).isoformat())
    submit(session, second, users)
    session.commit()
    auth.login("auditor")  # reads English
    page = client.get("/cases/").get_data(as_text=True)
    assert "Stage 1 of 5 · Registration" in page and "Stage 2 of 5 · Joint review" in page
    assert "Overdue since" in page.split(f">{first.code}</a>")[1].split("</tr>")[0]
    assert 'href="/cases/?sort=due' in page or "sort=due" in page
    assert rows_of(client, "?sort=due")[:2] == [first.code, second.code]  # the most overdue first
    assert rows_of(client, "?sort=code")[:2] == sorted([first.code, second.code])
    assert 'aria-sort="ascending"' in client.get("/cases/?sort=code").get_data(as_text=True)
    row = page.split(f">{first.code}</a>")[1].split("</tr>")[0]
    assert '<strong class="overdue">Overdue since <time datetime="' in row
    assert "overdue" not in page.split(f">{second.code}</a>")[1].split("</tr>")[0]
    auth.logout()
    auth.login("registrar")  # reads French: the rows' words are the reader's
    page = client.get("/cases/").get_data(as_text=True)
    assert "Étape 1 sur 5" in page and "En retard depuis" in page and "Stage 1 of 5" not in page


def test_a_list_row_writes_what_a_record_holds_as_text(client, auth, session, make_case):
    """The rows are prepared in Python (not cell by cell in the template): what a record holds is still
    escaped, never markup."""
    case = make_case(region='<img src=x onerror="alert(1)">')
    session.commit()
    auth.login("auditor")
    row = client.get("/cases/").get_data(as_text=True).split(f">{case.code}</a>")[1].split("</tr>")[0]
    assert "<img" not in row and "&lt;img src=x" in row


def test_the_filters_fold_open_when_one_is_set(client, auth, session, make_case):
    make_case()
    session.commit()
    auth.login("auditor")
    assert '<details class="filters-fold">' in client.get("/cases/").get_data(as_text=True)
    assert '<details class="filters-fold" open>' in client.get("/cases/?region=Gao").get_data(as_text=True)


def test_the_dashboards_bars_open_the_lists_they_count(client, auth, session, users, make_case):
    import re

    case = make_case()
    submit(session, case, users)
    session.commit()
    auth.login("auditor")
    page = client.get("/dashboard").get_data(as_text=True)
    links = re.findall(r'<a href="(/cases/\?[^"]+)"><title>([^<]+)</title>', page)
    assert len(links) >= 5
    under_review = next(href for href, title in links if title.startswith("Under joint review"))
    assert "state=under_review" in under_review and "workflow=detained_child" in under_review
    assert rows_of(client, "?" + under_review.split("?", 1)[1].replace("&amp;", "&")) == [case.code]
