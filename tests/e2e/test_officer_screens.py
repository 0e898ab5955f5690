"""What a city officer sees, in Chromium at 1280 and 375 px, each screen saved and checked.

Hue's editor opens the match browser on Hue's own matches, a match page with its "try other
weights" panel rescoring Hue, and the catalogue with its filters open; the screenshots are
saved under tests/e2e/screenshots/ (``officer-*``). The run page has its own journey
(``test_runs_live.py``).
"""

from __future__ import annotations

import re

import pytest

from bestpractices.models import BestPractice
from matching.models import Match

from .conftest import WIDTHS, BrowserErrors
from .demo import build_demo
from .test_journey import Visit
from .test_partnership_journey import sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def open_filters(page, summary: str) -> None:
    """Open a folded filter panel (folded on a phone, or until a filter is set)."""
    panel = page.locator("details", has=page.locator("summary", has_text=summary))
    if not panel.evaluate("panel => panel.open"):
        panel.locator("summary").click()
    assert panel.evaluate("panel => panel.open")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_an_officer_sees_their_matches_the_weights_panel_and_the_catalogue(
    live_server, browser, width
):
    demo = build_demo()
    hue = demo.recipient
    hue_matches = Match.objects.filter(run=demo.run, recipient=hue)
    errors = BrowserErrors()
    viewport_width, viewport_height = WIDTHS[width]
    context = browser.new_context(viewport={"width": viewport_width, "height": viewport_height})
    page = context.new_page()
    errors.watch(page)
    visit = Visit(page, live_server.url, f"{width}-officer")
    sign_in(visit, demo.editor_username)

    # The match browser opens on the officer's own city, with the exact count.
    visit.go("/matches/")
    page.wait_for_load_state("load")
    open_filters(page, "Filter and sort matches")
    main = page.inner_text("main")
    assert "Either side: Hue" in main
    assert f"{hue_matches.count()} matches" in main
    assert page.locator("input[type=hidden][name=city]").get_attribute("value") == str(hue.pk)
    assert page.get_by_role("link", name="Hue on either side").get_attribute("aria-current")
    for label in ("Policy area", "Lowest score", "Recipient's country", "Sort by"):
        assert page.get_by_label(label).first.is_visible(), label
    assert "---------" not in main
    kitakyushu_row = page.locator("main tbody tr", has_text="Kitakyushu")
    assert kitakyushu_row.first.is_visible()
    visit.shot("01-match-browser")

    # A match page; its "try other weights" panel rescores Hue now and stores nothing.
    match = hue_matches.get(donor=demo.kitakyushu)
    visit.go(match.get_absolute_url())
    assert "Kitakyushu could help Hue" in page.inner_text("h1")
    page.locator("#try-weights summary").click()
    weight = page.get_by_label("Language weight")
    assert weight.is_visible() and float(weight.input_value()) > 0
    weight.fill("0")
    page.get_by_label("Evidence weight").fill("0.6")
    stored_before = Match.objects.count()
    page.get_by_role("button", name="Rescore Hue").click()
    page.wait_for_url(re.compile(r"w_language=0"))
    result = page.get_by_test_id("try-result")
    assert result.is_visible()
    said = result.inner_text()
    assert re.search(r"With these weights Kitakyushu would be number \d+ of \d+ donors", said)
    assert f"(number {match.recipient_rank} in the run)" in said
    assert "Hue's best donors with these weights" in said
    assert result.locator("ol li").count() >= 3
    assert page.get_by_role("link", name="Back to the run's weights").is_visible()
    assert Match.objects.count() == stored_before  # nothing stored
    page.locator("#try-weights").scroll_into_view_if_needed()
    visit.shot("02-match-weights")

    # The catalogue with its filters open: words for people, choices that exist.
    visit.go("/practices/")
    page.wait_for_load_state("load")
    open_filters(page, "Filters and sorting")
    country = page.get_by_label("Country", exact=True)
    options = country.locator("option").all_inner_texts()
    countries = set(BestPractice.objects.values_list("city__country", flat=True))
    assert options[0] == "Any country" and len(options) == 1 + len(countries) == 2
    assert "Japan" in options and "Antarctica" not in options
    assert (
        page.get_by_label("Policy area", exact=True).locator("option").first.inner_text() == "Any"
    )
    sort = page.get_by_label("Sort by").locator("option").all_inner_texts()
    assert "Newest first" in sort and "Most CO₂ avoided" in sort
    filters = page.locator("details.filters").inner_text()
    for code_talk in ("---------", "ISO 3166", "ISIC section", "Policy area code", "published_at"):
        assert code_talk not in filters, code_talk
    page.get_by_label("Policy area", exact=True).select_option("waste")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"policy_area=waste"))
    open_filters(page, "Filters and sorting")
    assert page.get_by_label("Policy area", exact=True).input_value() == "waste"
    assert "Eco-Town: from pollution to recycling industry" in page.inner_text("main")
    assert "Blue skies" not in page.inner_text("main")
    visit.shot("03-catalogue-filters")

    context.close()
    assert errors.messages == []
