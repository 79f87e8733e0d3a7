"""The README's cases walked as each demo role, at desktop and phone width, in English and French.

On every page the role reaches from its dashboard and its cases (each case page, and each action
form it offers): the page answers; nothing is wider than the screen at 390 px (WCAG 1.4.10: wide
tables scroll inside their own box); axe-core finds no serious or critical violation; and in French
no English UI string from the list below shows, visible or for screen readers. Then two reviewers
vote at the same moment, and both succeed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import sign_in
from tests.browser.test_lifecycle import act as walk_act
from tests.browser.test_lifecycle import fill_registration, walk
from tests.conftest import complete_intake
from tests.helpers import handover, referral, release, request_assessment, submit, vote
from tests.test_concurrency import committed

pytestmark = pytest.mark.browser

ROLES = ("registrar", "reviewer.justice", "reviewer.un", "assessor", "partner", "auditor", "admin")
WIDTHS = {"desktop": 1280, "phone": 390}
#: English the French interface must never show (labels, buttons, headings, run-time messages):
#: whole words, so French words that contain them ("Exporter") do not count
ENGLISH = (
    "Dashboard", "Sign out", "Waiting for me", "Not possible now", "Register a child", "Save", "Cancel",
    "History", "Statistics", "Overdue", "Handover pending", "Reintegration", "Integrity verified", "Unknown",
    "Yes", "Next step", "Download", "Submit", "Search", "Filter", "Age used", "Date of birth", "Given name",
    "Family name", "Receiving organisation", "Reasons", "Decision", "Case registered", "events",
    "Check your answers", "Continue", "Register the case", "Change the answers", "Users",
    "Settings", "Audit integrity", "Witnesses", "Signed tree head", "API tokens", "Workflows", "Exports",
    "Campaigns", "Data protection", "required", "needed before", "Details", "What you can do",
    "Previous", "Next", "Show", "Apply", "Reset", "Disable", "Enable", "Role", "State",
)
ENGLISH_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")
SKIP = re.compile(r"^/(logout|language|static/|api/(?!v1/docs))|\.xlsx|/file$|/download")
#: a raw key or code (snake_case) in a French page's words: a label missing (technical names in <code> aside)
RAW_KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}


@pytest.fixture(scope="module")
def cases(live_app):
    """A case at each stage of the README's walk, committed in the live database."""
    def make(session, users):
        from caseflow.cases.operations import register_case

        def new(**kw):
            return register_case(session, complete_intake(**kw), users["registrar"], workflow="detained_child")

        registered = new(region="Kidal")
        reviewing = new(region="Gao")
        submit(session, reviewing, users)
        vote(session, reviewing, users, who=("reviewer.un",))
        assessing = new(region="Mopti")
        request_assessment(session, assessing, users)
        handed = new(region="Tombouctou")
        submit(session, handed, users)
        release(session, handed, users)
        handover(session, handed, users)
        from caseflow.workflow.engine import fire

        fire(session, handed, "start_reintegration", users["partner"], referral())
        return [c.code for c in (registered, reviewing, assessing, handed)]

    return committed(live_app, make)


def links_of(page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        path = urlsplit(href).path if href.startswith("/") else ""
        if path and not SKIP.search(path) and path not in out:
            out.append(path)
    return out


def pages_of(page, codes) -> list[str]:
    """Where the role goes from its dashboard, and its cases with the forms they offer it."""
    page.goto("/dashboard")
    found = ["/dashboard", *links_of(page)]
    for code in codes:
        r = page.goto(f"/cases/{code}")
        if r.status != 200:
            continue
        found.append(f"/cases/{code}")
        found += [p for p in links_of(page) if p.startswith(f"/cases/{code}/")]
    seen, out = set(), []
    for p in found:
        key = re.sub(r"CF-\d{4}-\d+", "CF", p)
        if p not in seen and (key not in seen or "/cases/CF" in key and key.count("/") <= 2):
            seen.update({p, key})
            out.append(p)
    return out[:40]


def set_language(page, lang: str) -> str:
    """Switch to ``lang`` with the page's own switch; answer the language it had."""
    before = page.locator("html").get_attribute("lang")
    if before != lang:
        page.locator(f"button[name=locale][value={lang}]").first.click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == lang
    return before


def check_page(page, path: str, lang: str, width: str, problems: list[str]) -> None:
    r = page.goto(path)
    if r.status >= 500 or r.status == 404:
        problems.append(f"{path} [{lang} {width}]: HTTP {r.status}")
        return
    inspect(page, path, lang, width, problems)


def inspect(page, path: str, lang: str, width: str, problems: list[str]) -> None:
    """The page on screen: overflow at phone width, axe, English in French."""
    if width == "phone":
        wide = page.evaluate("""() => {
            const over = document.documentElement.scrollWidth - document.documentElement.clientWidth;
            if (over <= 0) return null;
            return [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll'))
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''))
              .slice(0, 6).join(' ') || ('+' + over + 'px');
        }""")
        if wide:
            problems.append(f"{path} [{lang} {width}]: wider than the screen: {wide}")
    result = AXE.run(page, options=AXE_OPTIONS).response
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = ", ".join(str(n["target"][0]) for n in v["nodes"][:3])
            problems.append(f"{path} [{lang} {width}]: axe {v['id']} ({v['impact']}): {targets}")
    if lang == "fr":
        text = page.evaluate("""() => document.title + '\\n' + document.body.innerText + '\\n' +
            [...document.querySelectorAll('[aria-label],[placeholder],[title],.sr-only')]
              .map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('placeholder') || '') + ' '
                        + (e.getAttribute('title') || '') + ' ' + e.textContent).join('\\n')""")
        for hit in sorted(set(ENGLISH_RE.findall(text)))[:5]:
            line = next((ln for ln in text.splitlines() if re.search(rf"\b{re.escape(hit)}\b", ln)), "")
            problems.append(f"{path} [fr {width}]: English “{hit}” in “{line.strip()[:80]}”")
        words = page.evaluate("""() => { const copy = document.body.cloneNode(true);
            copy.querySelectorAll('code, pre, script, style').forEach(e => e.remove());
            return copy.innerText; }""")
        for hit in sorted(set(RAW_KEY.findall(words)))[:5]:
            line = next((ln for ln in words.splitlines() if hit in ln), "")
            problems.append(f"{path} [fr {width}]: a raw key “{hit}” in “{line.strip()[:80]}”")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_walks_its_pages_in_both_languages_at_both_widths(browser, live_server, cases, role):
    context = browser.new_context(base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, f"{role}@caseflow.demo")
    original = page.locator("html").get_attribute("lang")
    problems: list[str] = []
    try:
        paths = pages_of(page, cases)
        assert len(paths) >= 4, paths
        if role == "registrar":
            paths.append("/api/v1/docs")  # the API's page, in the reader's language too
        for lang in ("en", "fr"):
            page.goto("/dashboard")
            set_language(page, lang)
            for width, px in WIDTHS.items():
                page.set_viewport_size({"width": px, "height": 900})
                for path in paths:
                    check_page(page, path, lang, width, problems)
    finally:
        page.goto("/dashboard")
        set_language(page, original)
        context.close()
    assert not problems, "\n".join(problems[:40])


def test_two_reviewers_voting_at_the_same_moment_both_succeed(browser, live_server, live_app):
    def make(session, users):
        from caseflow.cases.operations import register_case

        case = register_case(session, complete_intake(region="Ménaka"), users["registrar"], workflow="detained_child")
        submit(session, case, users)
        return case.code

    code = committed(live_app, make)
    pages = []
    for who in ("reviewer.justice", "reviewer.family"):
        ctx = browser.new_context(base_url=live_server, locale="en-GB")
        p = ctx.new_page()
        p.set_default_timeout(15_000)
        sign_in(p, f"{who}@caseflow.demo")
        p.goto(f"/cases/{code}/act/cast_vote")
        p.locator("#f-outcome").select_option("release")
        p.locator("#f-offence_category").select_option("association_only")
        p.locator("#f-reasons").fill("Association only: release and hand over to child protection.")
        pages.append(p)
    # both forms sent before either answer comes back
    for p in pages:
        p.evaluate("document.querySelector('form.stack').requestSubmit()")
    for p in pages:
        p.wait_for_url(f"**/cases/{code}")
        assert p.locator(".flash.success").count() == 1, p.locator("main").inner_text()[:300]
        assert p.locator("[role=alert]").count() == 0, p.locator("[role=alert]").all_inner_texts()
    from sqlalchemy import func, select

    from caseflow.cases.models import Case
    from caseflow.extensions import db
    from caseflow.review.models import ReviewRound, Vote

    with live_app.app_context():
        votes = db.session.scalar(select(func.count()).select_from(Vote).join(ReviewRound)
                                  .join(Case, Case.id == ReviewRound.case_id).where(Case.code == code))
    assert votes == 2
    for p in pages:
        p.context.close()


@pytest.mark.parametrize("lang, width", [("fr", "phone"), ("en", "desktop")])
def test_registration_in_sections_then_check_your_answers(browser, live_server, lang, width):
    """A long form in parts under their headings; then every answer in words, to change or confirm."""
    context = browser.new_context(base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, "registrar@caseflow.demo")
    original = set_language(page, lang)
    problems: list[str] = []
    try:
        page.set_viewport_size({"width": WIDTHS[width], "height": 900})
        page.goto("/cases/new")
        assert page.locator("fieldset.section legend").count() >= 4
        page.locator("#f-sex").select_option("female")
        page.locator("#f-claimed_age").fill("14")
        page.locator("#f-region").fill("Ségou")
        page.locator("#f-given_name").fill("Awa")
        page.locator("form.stack button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("button[name=step][value=confirm]").count() == 1
        answers = page.locator("dl.answers").all_inner_texts()
        assert any("Awa" in a and "Ségou" in a and "14" in a for a in [" ".join(answers)])
        assert ("Féminin" if lang == "fr" else "Female") in " ".join(answers)
        inspect(page, "/cases/new (check your answers)", lang, width, problems)
        page.locator("button[name=step][value=change]").click()  # back, with what was typed
        page.wait_for_load_state()
        assert page.locator("#f-given_name").input_value() == "Awa"
        page.locator("#f-region").fill("Ségou cercle")
        page.locator("form.stack button[type=submit]").click()
        page.locator("button[name=step][value=confirm]").click()
        page.wait_for_url("**/cases/CF-*")
        assert page.locator(".flash.success").count() == 1
        inspect(page, "the new case", lang, width, problems)
    finally:
        page.goto("/dashboard")
        set_language(page, original)
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang, width", [("en", "desktop"), ("en", "phone"), ("fr", "desktop"), ("fr", "phone")])
def test_the_readme_walk_as_each_role(browser, live_server, lang, width):
    """The README's case from registration to closure, each step by its role, in one language at one
    width; every form and every case page on the way is checked like the crawl's pages."""
    problems: list[str] = []
    opened = []

    def as_role(email):
        ctx = browser.new_context(base_url=live_server, locale="en-GB")
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, email)
        opened.append((page, set_language(page, lang)))
        page.set_viewport_size({"width": WIDTHS[width], "height": 900})
        return page

    def act(page, code, trigger, fields, checks=()):
        walk_act(page, code, trigger, fields, checks, look=lambda p, where: inspect(p, where, lang, width, problems))

    try:
        registrar = as_role("registrar@caseflow.demo")
        fill_registration(registrar)
        inspect(registrar, "/cases/new (check your answers)", lang, width, problems)
        registrar.locator("button[name=step][value=confirm]").click()
        registrar.wait_for_url("**/cases/CF-*")
        code = registrar.url.rsplit("/", 1)[1]
        pages = walk(code, as_role, act, pages={"registrar": registrar})
        partner = pages["partner"]
        inspect(partner, f"/cases/{code} (closed)", lang, width, problems)
        assert partner.locator("h1 .badge").inner_text() == ("Closed" if lang == "en" else "Clôturé")
        auditor = as_role("auditor@caseflow.demo")
        auditor.goto(f"/cases/{code}")
        inspect(auditor, f"/cases/{code} (auditor)", lang, width, problems)
    finally:
        for page, before in opened:
            page.goto("/dashboard")
            set_language(page, before)
            page.context.close()
    assert not problems, "\n".join(problems[:40])
