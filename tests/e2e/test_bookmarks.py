"""A bookmarked match page keeps opening, in a real browser, whatever happens to the rows.

Hue's editor bookmarks Hue's match with Kitakyushu, then saves Hue's profile (its rows are
rescored and get new ids) and an admin starts a new run (every row is new): the bookmark opens
the same pair each time, with its current score, and the match's old row address leads to it.
"""

from __future__ import annotations

import pytest

from matching import services
from matching.models import Match, MatchRun

from .conftest import WIDTHS, BrowserErrors
from .demo import build_demo
from .test_journey import Visit
from .test_partnership_journey import sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_bookmarked_match_survives_a_profile_edit_and_a_new_run(live_server, browser, width):
    demo = build_demo()
    first = Match.objects.get(run=demo.run, donor=demo.kitakyushu, recipient=demo.recipient)
    bookmark = first.get_absolute_url()
    assert bookmark == "/matches/kitakyushu-jp/hue-vn/"
    errors = BrowserErrors()
    viewport_width, viewport_height = WIDTHS[width]
    context = browser.new_context(viewport={"width": viewport_width, "height": viewport_height})
    page = context.new_page()
    errors.watch(page)
    visit = Visit(page, live_server.url, f"{width}-bookmark")
    sign_in(visit, demo.editor_username)

    visit.go(bookmark)
    assert page.locator("h1").inner_text() == "Kitakyushu could help Hue"
    visit.shot("01-match")

    # Other weights, tried on the page: the ranking they would give, nothing stored.
    stored_before = Match.objects.count()
    page.locator("#try-weights summary").click()
    page.get_by_label("Need fit weight").fill("1")
    page.get_by_label("Similar size weight").fill("0")
    page.get_by_role("button", name="Rescore Hue").click()
    result = page.get_by_test_id("try-result").inner_text()
    assert "With these weights Kitakyushu would be number" in result
    assert "Hue's best donors with these weights" in result
    assert Match.objects.count() == stored_before
    visit.shot("02-other-weights")

    # Hue's editor saves a changed profile through its page: Hue's rows are rescored.
    visit.go(f"/cities/{demo.recipient.slug}/edit/")
    page.get_by_label("Absorptive capacity").fill("5")
    page.get_by_role("button", name="Save and rescore").click()
    page.wait_for_url(f"{visit.base}/cities/{demo.recipient.slug}/")
    assert not Match.objects.filter(pk=first.pk).exists()
    visit.go(bookmark)
    assert page.locator("h1").inner_text() == "Kitakyushu could help Hue"
    rescored = Match.objects.get(run=demo.run, donor=demo.kitakyushu, recipient=demo.recipient)
    assert f"{rescored.score:.1f}" in page.inner_text(".match-head")

    # A new run replaces every row.
    newer = services.start_run(trigger=MatchRun.Trigger.ADMIN)
    newer.refresh_from_db()
    assert newer.is_active and newer.pk != demo.run.pk
    visit.go(bookmark)
    assert page.locator("h1").inner_text() == "Kitakyushu could help Hue"
    assert "Scored just now" not in page.inner_text("main")
    visit.go(bookmark + "brief/")
    assert "Why Hue and Kitakyushu should work together" in page.inner_text("main")
    visit.shot("03-brief-after-new-run")

    # The current row's own address, as older links used, leads to the bookmark.
    current = Match.objects.get(run=newer, donor=demo.kitakyushu, recipient=demo.recipient)
    visit.go(f"/matches/{current.pk}/")
    assert page.url == visit.base + bookmark
    assert errors.messages == []
    context.close()
