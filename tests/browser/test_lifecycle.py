"""A case from registration to closure in the browser, as the demo users would take it."""

from datetime import date, timedelta

import pytest

from caseflow.db import utcnow
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def as_user(browser, live_server):
    contexts = []

    def open_as(email):
        ctx = browser.new_context(base_url=live_server, locale="en-GB")
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, email)
        return page

    yield open_as
    for ctx in contexts:
        ctx.close()


def act(page, code, trigger, fields: dict, checks: list[str] = (), look=None):
    """Take an action from the case page's button; ``look(page, where)`` sees the case page and the
    form as the user does (the crawl's checks)."""
    page.goto(f"/cases/{code}")
    if look:
        look(page, f"/cases/{code}")
    page.locator(f"a[href='/cases/{code}/act/{trigger}']").click()
    if look:
        page.wait_for_load_state()
        look(page, f"/cases/{code}/act/{trigger}")
    for name, value in fields.items():
        el = page.locator(f"#f-{name}")
        if el.evaluate("e => e.tagName") == "SELECT":
            if isinstance(value, tuple):
                el.select_option(label=value[0])
            else:
                el.select_option(value)
        else:
            el.fill(str(value))
    for value in checks:
        page.locator(f"input[type=checkbox][value='{value}']").check()
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(f"**/cases/{code}")
    assert page.locator(".flash.success").count() == 1, page.content()


def state_of(page) -> str:
    return page.locator("h1 .badge").inner_text()


def fill_registration(page) -> None:
    """The README's child on the registration form, sent to the check-your-answers step."""
    page.goto("/cases/new")
    for name, value in {"claimed_age": "15", "given_name": "Issa", "region": "Mopti",
                        "encounter_at": (utcnow() - timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M"),
                        "encounter_place": "Checkpoint", "detaining_authority": "Gendarmerie"}.items():
        page.locator(f"#f-{name}").fill(value)
    page.locator("#f-sex").select_option("male")
    page.locator("#f-encounter_type").select_option("surrendered")
    page.locator("#f-facility_type").select_option("military_facility")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()


def readme_case() -> list[tuple[str, str, dict, tuple]]:
    """The README's walk after registration: (who, action, the form as they fill it, boxes ticked)."""
    today = date.today().isoformat()
    vote = {"outcome": "release", "offence_category": "association_only",
            "reasons": "Association only: release and hand over."}
    return [
        ("registrar", "request_assessment", {
            "reason_for_doubt": "The child's documents give two different years of birth.",
            "assessor_org_id": ("Independent age assessors' panel",)}, ()),
        ("assessor", "record_assessment", {
            "consent": "given", "consent_by": "The child, with his uncle", "guardian_present": "true",
            "independence_declared": "true", "min_age": 15, "max_age": 17, "explained_on": today},
         ("documents", "interview")),
        *[(who, "cast_vote", vote, ()) for who in ("reviewer.justice", "reviewer.family", "reviewer.un")],
        ("reviewer.un", "decide_release", {"reasons": "Unanimous", "offence_category": "association_only",
                                           "receiving_org_id": ("Enfance Solidaire Mali",)}, ()),
        ("partner", "record_handover", {
            "handing_officer": "Capt. Diallo", "handing_unit": "Gendarmerie", "receiving_person": "S. Camara",
            "handed_over_at": (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "place": "Mopti",
            "child_condition": "Tired but well", "medical_check": "true"}, ()),
        ("partner", "start_reintegration", {"service_type": "family_tracing", "provider": "ESM",
                                            "referred_on": today}, ()),
        ("partner", "record_follow_up", {"visit_date": today, "visit_type": "home_visit", "findings": "Back home",
                                         "risk_level": "low"}, ()),
        ("partner", "close", {"reason": "reintegrated"}, ()),
    ]


def walk(code, open_as, act_as, *, pages: dict, after=None) -> dict:
    """Take the README's case from its first action to closure, each step by its role (one page per
    person: ``pages`` holds those open already, ``open_as(email)`` opens the others);
    ``after[action](page)`` looks once the action is done."""
    for who, trigger, fields, checks in readme_case():
        page = pages.get(who) or pages.setdefault(who, open_as(f"{who}@caseflow.demo"))
        act_as(page, code, trigger, fields, checks)
        if after and trigger in after:
            after[trigger](page)
    return pages


def test_register_assess_review_release_handover_reintegrate_close(as_user):
    registrar = as_user("registrar@caseflow.demo")
    fill_registration(registrar)
    registrar.locator("button[name=step][value=confirm]").click()  # after checking the answers
    registrar.wait_for_url("**/cases/CF-*")
    code = registrar.url.rsplit("/", 1)[1]
    assert "Issa" not in registrar.content()  # identity hidden by default

    def french_integrity(page):
        assert state_of(page) == "Clôturé"
        assert "Intégrité vérifiée" in page.content()

    walk(code, as_user, act, pages={"registrar": registrar}, after={
        "record_assessment": lambda page: assert_in("15", page.locator("#assess-h + article").inner_text()),
        "decide_release": lambda page: assert_in("Handover pending", state_of(page)),
        "record_handover": lambda page: assert_in("Remis", state_of(page)),  # the partner reads French
        "close": french_integrity})


def assert_in(part: str, whole: str) -> None:
    assert part in whole, whole


def test_a_refused_action_is_explained_and_a_stale_form_keeps_the_input(as_user):
    registrar = as_user("registrar@caseflow.demo")
    registrar.goto("/cases/new")
    registrar.locator("#f-sex").select_option("female")
    registrar.locator("#f-region").fill("Gao")
    registrar.locator("form.stack button[type=submit]").click()
    registrar.locator("button[name=step][value=confirm]").click()  # after checking the answers
    registrar.wait_for_url("**/cases/CF-*")
    code = registrar.url.rsplit("/", 1)[1]
    assert registrar.locator("ul.refused").is_visible()  # shown at once, not folded away
    assert "pas complet" in registrar.locator("ul.refused").inner_text()  # incomplete registration, in French

    first = as_user("registrar@caseflow.demo")
    first.goto(f"/cases/{code}/act/edit_intake")
    registrar.goto(f"/cases/{code}/act/edit_intake")
    registrar.locator("#f-commune").fill("Ansongo")
    registrar.locator("form.stack button[type=submit]").click()
    registrar.wait_for_url(f"**/cases/{code}")
    first.locator("#f-cercle").fill("Gao cercle")
    first.locator("form.stack button[type=submit]").click()
    assert first.get_by_role("alert").is_visible()
    assert "a été modifié par" in first.get_by_role("alert").inner_text()
    assert first.locator("#f-cercle").input_value() == "Gao cercle"
