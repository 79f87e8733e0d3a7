"""What each role is offered in the browser, what a forged request gets, and the auditor's download."""

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_lifecycle import as_user  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_an_action_not_allowed_is_not_offered_and_a_forged_post_is_403(as_user, live_server):  # noqa: F811
    registrar = as_user("registrar@caseflow.demo")
    registrar.goto("/cases/new")
    registrar.locator("#f-sex").select_option("male")
    registrar.locator("form.stack button[type=submit]").click()
    registrar.locator("button[name=step][value=confirm]").click()  # after checking the answers
    registrar.wait_for_url("**/cases/CF-*")
    code = registrar.url.rsplit("/", 1)[1]
    assert registrar.locator(f"a[href='/cases/{code}/act/edit_intake']").count() == 1

    auditor = as_user("auditor@caseflow.demo")
    auditor.goto(f"/cases/{code}")
    assert auditor.locator("ul.actions a").count() == 0
    token = auditor.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = auditor.request.post(f"{live_server}/cases/{code}/act/submit_for_review",
                                  form={"csrf_token": token, "version": "1"})
    assert forged.status == 403


def test_the_auditor_downloads_a_workbook(as_user, tmp_path):  # noqa: F811
    from caseflow.exports.verify import verify_export

    auditor = as_user("auditor@caseflow.demo")
    auditor.goto("/exports/")
    with auditor.expect_download() as info:
        auditor.locator("form.stack button[type=submit]").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.read_bytes()[:2] == b"PK"
    assert verify_export(path).ok


def test_the_french_interface_is_french(page):
    sign_in(page, "reviewer.justice@caseflow.demo")  # prefers French
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("nav a").first.inner_text() == "Tableau de bord"
    page.goto("/workflows/detained_child")
    assert "Enregistré" in page.locator("svg.diagram text").all_text_contents()


def test_statistics_in_french_at_phone_width_and_the_workbook(as_user, page, tmp_path):  # noqa: F811
    sign_in(page, "reviewer.justice@caseflow.demo")  # prefers French
    page.set_viewport_size({"width": 390, "height": 800})
    page.get_by_role("link", name="Statistiques").click()
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**/reports/period?*")
    assert page.locator("h2", has_text="Chiffres par sexe").count() == 1
    assert page.locator("svg.chart").count() == 2
    body = page.locator("main").inner_text()
    for english in ("Newly detained", "Still detained", "Later changes", "Total children"):
        assert english not in body
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = page.evaluate("""[...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 391)
        .map(e => e.tagName + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right)).slice(0, 12)""")
    assert overflow <= 0, wide

    auditor = as_user("auditor@caseflow.demo")
    auditor.goto("/reports/period?from=2026-01-01&to=2026-03-31")
    with auditor.expect_download() as info:
        auditor.get_by_role("link", name="Download the workbook (Excel)").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    from openpyxl import load_workbook

    assert load_workbook(path).sheetnames[0] == "About"
