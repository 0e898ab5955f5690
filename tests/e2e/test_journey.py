"""The main journey of a city editor, in a real browser, at desktop and phone widths.

Sign in as the editor of a recipient city, filter matches by policy area, open a match, read
the breakdown, open the citizen brief (also printed to an A4 PDF), edit the city's profile.
Every page is saved as a screenshot under tests/e2e/screenshots/ (git-ignored); any console
error or page error fails the test, and so does a page wider than a phone's screen.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cities.models import City, CityAreaLevel
from matching.models import MatchRun

from .conftest import SCREENSHOTS, WIDTHS, BrowserErrors
from .demo import PASSWORD, build_demo

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Visit:
    """One browser tab: screenshots named by width and step, and the checks every page gets."""

    def __init__(self, page, base: str, width: str):
        self.page, self.base, self.width = page, base, width

    def go(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"

    def shot(self, name: str) -> None:
        self.check()
        self.page.screenshot(path=SCREENSHOTS / f"{self.width}-{name}.png", full_page=True)

    def check(self) -> None:
        page = self.page
        assert page.locator("h1").count() == 1, f"{page.url}: one h1"
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_editor_journey(live_server, browser, width):
    demo = build_demo()
    assert demo.run.status == MatchRun.Status.SUCCEEDED and demo.run.is_active
    errors = BrowserErrors()
    viewport_width, viewport_height = WIDTHS[width]
    context = browser.new_context(viewport={"width": viewport_width, "height": viewport_height})
    page = context.new_page()
    errors.watch(page)
    visit = Visit(page, live_server.url, width)

    # The public landing page; the first Tab reaches the skip link.
    visit.go("/")
    visit.shot("01-landing")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    # Sign in: the editor lands on My city.
    page.get_by_role("link", name="Sign in", exact=True).first.click()
    visit.shot("02-sign-in")
    page.get_by_label("Username").fill(demo.editor_username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")
    assert "Cities that could help Hue" in page.inner_text("main")
    visit.shot("03-my-city")

    # The match browser, filtered by policy area (a plain GET form: the URL holds the filters).
    page.get_by_role("link", name="Matches", exact=True).click()
    page.wait_for_load_state("load")  # the deferred script that closes the panel on phones
    filters = page.locator("details.filters")
    # On a phone the panel starts closed, so that the results come first.
    assert filters.evaluate("panel => panel.open") == (width == "desktop")
    if width == "phone":
        filters.locator("summary").click()
    page.get_by_label("Policy area").select_option("waste")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"policy_area=waste"))
    rows = page.locator("main table tbody tr")
    assert rows.count() >= 3
    assert "Solid waste management" in rows.first.inner_text()
    assert "Bergen" not in page.inner_text("main")  # Bergen offers no waste expertise
    visit.shot("04-matches-waste")

    # The best match: its score and why.
    rows.first.locator("a.score").click()
    page.wait_for_url(re.compile(r"/matches/[-\w]+/[-\w]+/$"))
    main = page.inner_text("main")
    assert re.search(r"\w+ could help Hue", page.inner_text("h1"))
    assert page.locator("#breakdown-title ~ .bars svg[role=img]").count() == 8
    assert "Need fit" in main and "Why this match" in main
    visit.shot("05-match")

    # The citizen brief, on screen and printed (one A4 page, no navigation).
    page.get_by_role("link", name="Citizen brief (print)").click()
    page.wait_for_url(re.compile(r"/brief/$"))
    assert "Why spend local tax money on another city?" in page.inner_text("main")
    visit.shot("06-brief")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    page.screenshot(path=SCREENSHOTS / f"{width}-06-brief-print.png", full_page=True)
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    (SCREENSHOTS / f"{width}-06-brief.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the brief prints on {pages} pages"
    page.emulate_media(media="screen")

    # Edit the profile: an error keeps what was typed; a valid save says it rescores.
    visit.go(f"/cities/{demo.recipient.slug}/edit/")
    page.get_by_label("Population").fill("-5")
    page.get_by_label("Need in Air quality").select_option("3")
    page.get_by_role("button", name="Save and rescore").click()
    page.wait_for_load_state("load")
    assert "Nothing was saved" in page.inner_text("main")
    # The error list takes the focus, so that a screen reader announces it.
    expect(page.locator("#form-errors")).to_be_focused()
    assert page.get_by_label("Need in Air quality").input_value() == "3"
    visit.shot("07-edit-error")
    page.get_by_label("Population").fill("460000")
    page.get_by_role("button", name="Save and rescore").click()
    page.wait_for_url(live_server.url + f"/cities/{demo.recipient.slug}/")
    assert "Saved. Your matches are being updated…" in page.inner_text("main")
    visit.shot("08-city-saved")

    # The other pages, for the screenshots and the width check.
    for name, path in [
        ("09-city-list", "/cities/"),
        ("10-city-map", f"/cities/{demo.recipient.slug}/map/"),
        ("11-donor-city", f"/cities/{demo.kitakyushu.slug}/"),
        ("12-runs", "/runs/"),
        ("13-run", f"/runs/{demo.run.pk}/"),
        ("14-catalogue", "/practices/"),
        ("15-edit-form", f"/cities/{demo.recipient.slug}/edit/"),
        ("16-password", "/accounts/password_change/"),
    ]:
        visit.go(path)
        visit.shot(name)

    context.close()
    assert errors.messages == []
    hue = City.objects.get(pk=demo.recipient.pk)
    assert hue.population == 460_000
    assert CityAreaLevel.objects.get(city=hue, policy_area__code="air").need == 3
