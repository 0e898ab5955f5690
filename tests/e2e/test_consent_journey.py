"""Two-sided consent and notifications, in a real browser: Ho Chi Minh City sends interest,
Kitakyushu sees the unread count and accepts, proposes ``agreed``; Ho Chi Minh City's editor
sees "waiting for you" and confirms; both cities' pages show the agreed partnership."""

from __future__ import annotations

import re

import pytest

from matching.models import Match
from partnerships.models import Partnership
from tests.factories import CityFactory, UserFactory

from .conftest import WIDTHS, BrowserErrors
from .demo import build_demo
from .test_journey import Visit
from .test_partnership_journey import sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_consent_journey(live_server, browser):
    hcmc = CityFactory(
        name="Ho Chi Minh City",
        country="VN",
        latitude=10.82,
        longitude=106.63,
        population=8_900_000,
        role="recipient",
        languages=["vi", "en"],
        cofunding_usd=200_000,
        needs={"waste": 3, "air": 3, "transport": 2},
        expertise={"water": 1},
    )
    hcmc_editor = UserFactory(username="hcmc-editor", email="hcmc@example.org")
    hcmc.editors.add(hcmc_editor)
    demo = build_demo()
    kita_editor = UserFactory(username="kita-editor", email="kita@example.org")
    demo.kitakyushu.editors.add(kita_editor)
    match = Match.objects.get(run=demo.run, donor=demo.kitakyushu, recipient=hcmc)
    errors = BrowserErrors()
    width, height = WIDTHS["desktop"]

    # Ho Chi Minh City tells Kitakyushu it is interested, from their match.
    hcmc_context = browser.new_context(viewport={"width": width, "height": height})
    page = hcmc_context.new_page()
    errors.watch(page)
    ho = Visit(page, live_server.url, "desktop-consent-hcmc")
    sign_in(ho, "hcmc-editor")
    ho.go(f"/matches/{match.donor.slug}/{match.recipient.slug}/")
    cooperate = page.locator("#cooperate")
    cooperate.get_by_label("Why this partner").fill(
        "Kitakyushu's Eco-Town is what our waste plan needs; we would start with one district."
    )
    cooperate.get_by_role("button", name="Send to Kitakyushu").click()
    page.wait_for_url(re.compile(rf"/matches/{match.donor.slug}/{match.recipient.slug}/$"))
    assert "Message sent to Kitakyushu's editors." in page.inner_text("main")

    # Kitakyushu sees the unread count, opens the notification and accepts.
    kita_context = browser.new_context(viewport={"width": width, "height": height})
    kita_page = kita_context.new_page()
    errors.watch(kita_page)
    kita = Visit(kita_page, live_server.url, "desktop-consent-kitakyushu")
    sign_in(kita, "kita-editor")
    assert kita_page.locator("#nav-inbox .unread-count").inner_text() == "1"
    kita.shot("01-unread-count")
    kita_page.locator("#nav-inbox").click()
    kita_page.wait_for_url(re.compile(r"/inbox/$"))
    kita.shot("02-notifications")
    kita_page.get_by_role("button", name="Ho Chi Minh City would like to cooperate").click()
    kita_page.wait_for_url(re.compile(r"/interest/"))
    assert kita_page.locator("#nav-inbox .unread-count").count() == 0
    kita_page.get_by_role("button", name="Accept and propose a partnership").click()
    kita_page.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    partnership = Partnership.objects.get()

    # Kitakyushu proposes agreeing it: the page says whom it waits for.
    kita_page.get_by_label("Move to").select_option("agreed")
    kita_page.get_by_label("Reason").fill("Our mayor signs in March.")
    kita_page.get_by_role("button", name="Move the partnership").click()
    kita_page.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    assert "Waiting for Ho Chi Minh City" in kita_page.inner_text("#pending-step")
    assert kita_page.locator('[aria-current="step"]').inner_text() == "Proposed"
    kita.shot("03-waiting-for-hcmc")

    # Ho Chi Minh City's editor is told, sees "waiting for you" and confirms.
    ho.go("/")
    assert page.locator("#nav-inbox .unread-count").inner_text() == "2"
    ho.go(f"/partnerships/{partnership.pk}/")
    pending = page.inner_text("#pending-step")
    assert "Waiting for you" in pending and "Our mayor signs in March." in pending
    ho.shot("04-waiting-for-you")
    page.get_by_role("button", name="Confirm: move to agreed").click()
    page.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    assert "the partnership is now agreed" in page.inner_text("main")
    assert "confirmed by hcmc-editor (Ho Chi Minh City)" in page.inner_text("main")
    # The step is answered: its "waiting for you" no longer counts as unread.
    assert page.locator("#nav-inbox .unread-count").inner_text() == "1"
    ho.shot("05-agreed-hcmc")

    # Both cities' pages show the agreed partnership.
    kita.go(f"/partnerships/{partnership.pk}/")
    assert kita_page.locator('[aria-current="step"]').inner_text() == "Agreed"
    assert kita_page.locator("#nav-inbox .unread-count").inner_text() == "1"
    kita.shot("06-agreed-kitakyushu")
    for city, viewer in ((hcmc, ho), (demo.kitakyushu, kita)):
        viewer.go(f"/cities/{city.slug}/")
        assert "agreed" in viewer.page.locator("#partnerships").inner_text(), city.name
    kita.go("/inbox/settings/")
    kita.shot("07-email-choices")

    partnership.refresh_from_db()
    assert partnership.status == "agreed"
    hcmc_context.close()
    kita_context.close()
    assert errors.messages == []
