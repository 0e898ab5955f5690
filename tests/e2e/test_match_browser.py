"""The match browser as a city officer sees it, in Chromium at desktop and phone widths.

Hue's editor lands on Hue's own matches, reads every column without scrolling the table at
1280 px (cards at 375 px), sees why a rank is missing, hides the synthetic demonstration
cities, and opens "All matches".
"""

from __future__ import annotations

import pytest

from matching.models import Match

from .conftest import WIDTHS, BrowserErrors
from .demo import build_demo
from .test_journey import Visit
from .test_partnership_journey import sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_an_officer_browses_their_citys_matches(live_server, browser, width):
    demo = build_demo()
    hue_matches = Match.objects.filter(run=demo.run, recipient=demo.recipient)
    synthetic = hue_matches.filter(donor__is_synthetic=True).count()
    assert synthetic > 0
    errors = BrowserErrors()
    viewport_width, viewport_height = WIDTHS[width]
    context = browser.new_context(viewport={"width": viewport_width, "height": viewport_height})
    page = context.new_page()
    errors.watch(page)
    visit = Visit(page, live_server.url, f"{width}-browser")
    sign_in(visit, demo.editor_username)

    visit.go("/matches/")
    if width == "phone":
        # The filters start folded on a narrow screen.
        page.locator("summary", has_text="Filter and sort matches").click()
    main = page.inner_text("main")
    assert "Either side: Hue" in main
    assert f"{hue_matches.count()} matches" in main
    visit.shot("01-own-city")
    if width == "desktop":
        # Every column fits: the table does not scroll sideways inside its frame.
        hidden = page.evaluate(
            "(() => { const w = document.querySelector('.table-wrap');"
            " return w.scrollWidth - w.clientWidth; })()"
        )
        assert hidden <= 0, f"the match table hides {hidden}px at 1280"
    else:
        # Cards: each row's cells stack, with their labels.
        assert page.locator("td[data-label='Rank for donor']").first.is_visible()

    page.get_by_label("Hide synthetic demonstration cities").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**real_only=true**")
    assert f"{hue_matches.count() - synthetic} match" in page.inner_text("main")
    visit.shot("02-real-cities-only")

    page.get_by_role("link", name="All matches").click()
    page.wait_for_url("**scope=all**")
    total = Match.objects.filter(run=demo.run).count()
    assert f"{total} matches" in page.inner_text("main")
    assert errors.messages == []
    context.close()
