"""The programme pages and a solved round in Japanese and in Vietnamese, in a real browser, at
1280 and 375 px, as the agency's officer sees them (pairs with their breakdown, left-out
recipients with reasons and remedies, capacities). Longer and taller text must not widen any of
them; each is saved as a screenshot (tests/e2e/screenshots/round-*.png) for a person to look
at."""

from __future__ import annotations

import pytest

from partnerships.services import rounds

from ..partnerships.rounds import build_round
from .conftest import SCREENSHOTS, WIDTHS, BrowserErrors
from .demo import PASSWORD

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROGRAMMES = {"ja": "プログラム", "vi": "Chương trình"}


@pytest.mark.parametrize("language", ["ja", "vi"])
def test_round_pages_fit_in_the_partners_languages(live_server, browser, language):
    setup = build_round()
    rounds.solve(user=setup.agency, round_=setup.round)
    errors = BrowserErrors()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors.watch(page)
    base = live_server.url

    page.goto(base + "/accounts/login/")
    page.locator(".language-switcher").get_by_role(
        "button", name="日本語" if language == "ja" else "Tiếng Việt"
    ).click()
    page.wait_for_url(base + "/accounts/login/")
    page.locator("input[name=username]").fill(setup.agency.get_username())
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")

    visits = [
        ("01-programmes", "/programmes/", PROGRAMMES[language]),
        ("02-programme", setup.programme.get_absolute_url(), setup.programme.name),
        ("03-round", setup.round.get_absolute_url(), setup.round.title),
    ]
    for name, path, heading in visits:
        page.goto(base + path)
        assert page.evaluate("document.documentElement.lang") == language
        assert heading in page.inner_text("h1"), (name, page.inner_text("h1"))
        if name == "03-round":
            left_out = page.get_by_test_id("left-out").inner_text()
            assert "Dhaka" in left_out and "is left out" not in left_out
            page.locator("details.breakdown").first.locator("summary").click()
        for width, (viewport_width, viewport_height) in WIDTHS.items():
            page.set_viewport_size({"width": viewport_width, "height": viewport_height})
            assert page.locator("h1").count() == 1, f"{path}: one h1"
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} in {language} at {width} is {overflow}px too wide"
            page.screenshot(
                path=SCREENSHOTS / f"round-{language}-{width}-{name}.png", full_page=True
            )
            if name == "03-round":
                page.locator("details.breakdown").first.screenshot(
                    path=SCREENSHOTS / f"round-{language}-{width}-04-breakdown.png"
                )
        page.set_viewport_size({"width": 1280, "height": 900})

    context.close()
    assert errors.messages == []
