"""A programme round in a real browser: JICA's officer opens the round, solves it, sees the
proposed pairs and the left-out recipient with its reason and remedy, locks one pair, raises a
donor's capacity, solves again and proposes the partnerships; then the editors of both cities
of one pair find the proposal in their inbox and on the partnership's page."""

from __future__ import annotations

import re

import pytest

from partnerships.models import Partnership

from ..partnerships.rounds import build_round
from .conftest import WIDTHS, BrowserErrors
from .test_journey import Visit
from .test_partnership_journey import sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_round_journey(live_server, browser):
    setup = build_round()
    errors = BrowserErrors()
    width, height = WIDTHS["desktop"]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors.watch(page)
    agency = Visit(page, live_server.url, "desktop-round")
    sign_in(agency, "jica-officer")

    # From the programme to its round, solved for the first time.
    agency.go(setup.programme.get_absolute_url())
    page.get_by_role("link", name="Waste 2027").click()
    page.wait_for_url(re.compile(rf"/rounds/{setup.round.pk}/$"))
    page.get_by_role("button", name="Solve the round").click()
    page.wait_for_url(re.compile(rf"/rounds/{setup.round.pk}/"))
    pairs = page.get_by_test_id("pairs")
    for donor, recipient in (("Kitakyushu", "Cebu"), ("Osaka", "Bandung"), ("Yokohama", "Da Nang")):
        assert pairs.get_by_role("row", name=re.compile(f"{donor}.*{recipient}")).count() == 1
    left_out = page.get_by_test_id("left-out")
    assert "Dhaka is left out: its better donors' capacity is used" in left_out.inner_text()
    assert "Raise Yokohama's capacity to 2 to include Dhaka." in left_out.inner_text()
    assert page.get_by_test_id("optimal-total").inner_text() == "232.0"
    page.locator("details.breakdown").first.locator("summary").click()
    agency.shot("01-solved")

    # Lock Kitakyushu → Cebu, raise Yokohama's capacity, solve again.
    page.get_by_role("button", name="Lock in Kitakyushu → Cebu").click()
    page.wait_for_load_state()
    assert "is locked in" in page.locator(".messages").inner_text()
    page.get_by_label("Capacity of Yokohama").fill("2")
    page.locator("form.capacity-form").filter(
        has=page.get_by_label("Capacity of Yokohama")
    ).get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Yokohama can now take 2" in page.locator(".messages").inner_text()
    page.get_by_role("button", name="Solve again").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("left-out").count() == 0
    row = pairs.get_by_role("row", name=re.compile("Kitakyushu.*Cebu"))
    assert "locked in" in row.inner_text()
    assert pairs.get_by_role("row", name=re.compile("Yokohama.*Dhaka")).count() == 1
    agency.shot("02-resolved")

    # Propose the partnerships; proposing again creates nothing.
    page.get_by_role("button", name="Propose these partnerships").click()
    page.wait_for_load_state()
    assert "4 partnerships proposed" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("round-state").inner_text() == "Partnerships proposed"
    agency.shot("03-proposed")
    assert Partnership.objects.filter(programme=setup.programme).count() == 4

    # The round page on a phone.
    phone_width, phone_height = WIDTHS["phone"]
    phone = browser.new_context(viewport={"width": phone_width, "height": phone_height})
    phone_page = phone.new_page()
    errors.watch(phone_page)
    small = Visit(phone_page, live_server.url, "phone-round")
    sign_in(small, "jica-officer")
    small.go(setup.round.get_absolute_url())
    small.shot("01-proposed")

    # Both cities of Yokohama → Dhaka see the proposal: inbox, then the partnership page.
    partnership = Partnership.objects.get(
        donor=setup.donors["Yokohama"], recipient=setup.recipients["Dhaka"]
    )
    # Yokohama has two new partnerships (Da Nang and Dhaka), Dhaka one.
    for username, unread in (("yokohama-jp-editor", "2"), ("dhaka-vn-editor", "1")):
        editor_context = browser.new_context(viewport={"width": width, "height": height})
        editor_page = editor_context.new_page()
        errors.watch(editor_page)
        editor = Visit(editor_page, live_server.url, f"desktop-round-{username}")
        sign_in(editor, username)
        assert editor_page.locator("#nav-inbox .unread-count").inner_text() == unread
        editor.go("/inbox/")
        notice = editor_page.get_by_text(
            "Clean Cities Asia proposes a partnership of Yokohama and Dhaka"
        )
        assert notice.count() == 1
        editor.shot("01-inbox")
        editor.go(partnership.get_absolute_url())
        assert "Proposed" in editor_page.locator("main").inner_text()
        editor.shot("02-partnership")
        editor_context.close()
    assert errors.messages == []
