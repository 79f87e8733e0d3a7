"""A newcomer signs in as a demo user and switches the UI to French, in a real browser."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_sign_in_and_switch_to_french(page):
    sign_in(page, "auditor@caseflow.demo")
    assert page.locator("h1").inner_text() == "Dashboard"
    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Tableau de bord"
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Dashboard"


def test_wrong_password_shows_a_message_and_keeps_the_email(page):
    page.goto("/login")
    page.locator("#email").fill("registrar@caseflow.demo")
    page.locator("#password").fill("not-the-right-one")
    page.locator("button[type=submit]").click()
    assert page.get_by_role("alert").is_visible()
    assert page.locator("#email").input_value() == "registrar@caseflow.demo"


def test_sign_out_ends_the_session(page):
    sign_in(page, "registrar@caseflow.demo")
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login")
    page.goto("/dashboard")
    assert "/login" in page.url


@pytest.mark.parametrize("width, filters_shown", [(390, False), (1280, True)])
def test_on_a_phone_the_filters_fold_away_and_the_first_case_shows(browser, live_server, live_app, width,
                                                                   filters_shown):
    from tests.test_real_server import committed_case

    committed_case(live_app)
    context = browser.new_context(base_url=live_server, locale="en-GB", viewport={"width": width, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, "auditor@caseflow.demo")
        page.goto("/cases/")
        assert page.locator("#region").is_visible() is filters_shown
        first = page.locator("table.cases tbody tr").first
        box = first.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, box  # no scrolling to reach it
        if not filters_shown:
            page.locator(".filters-fold > summary").first.click()
            assert page.locator("#region").is_visible()
    finally:
        context.close()
