"""From a match to a pilot, in a real browser, at desktop and phone widths.

The editor of Hue starts a partnership with Kitakyushu from their match, adds a first project
following one of Kitakyushu's practices; Kitakyushu's editor proposes agreeing it and Hue
confirms, then Hue proposes the pilot and Kitakyushu confirms; both cities' pages then show it. Along the way: the ledger, a milestone, the
inbox and a programme page, for the screenshots. Any console error fails the test, and so does
a page wider than the screen.
"""

from __future__ import annotations

import re

import pytest

from cities.models import City, PolicyArea
from matching.models import Match
from partnerships.models import (
    ExpressionOfInterest,
    Partnership,
    Programme,
    ProgrammeMembership,
)
from tests.factories import OrganizationFactory, UserFactory

from .conftest import WIDTHS, BrowserErrors
from .demo import PASSWORD, build_demo
from .test_journey import Visit

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(visit: Visit, username: str) -> None:
    page = visit.page
    visit.go("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(visit.base + "/")


def programme_for(demo) -> Programme:
    """A programme both cities belong to, so its page has pairs and a partnership to show."""
    agency = OrganizationFactory(name="Clean Cities Facility", countries=["VN", "JP"])
    programme = Programme.objects.create(
        name="Clean Cities Asia",
        slug="clean-cities-asia",
        organization=agency,
        description="Links Japanese and Vietnamese cities on waste and air.",
        funding_usd=3_000_000,
        min_population=200_000,
        countries=["VN", "JP"],
        min_cofunding_usd=50_000,
        requires_adopted_plan=True,
    )
    programme.policy_areas.set(PolicyArea.objects.filter(code__in=["waste", "air"]))
    for city in (demo.recipient, demo.kitakyushu):
        ProgrammeMembership.objects.create(
            programme=programme, city=city, status="member", has_adopted_plan=True,
            plan_title="Green growth plan",
        )  # fmt: skip
    return programme


@pytest.mark.parametrize("width", list(WIDTHS))
def test_partnership_journey(live_server, browser, width):
    demo = build_demo()
    kita_editor = UserFactory(username="kita-editor")
    demo.kitakyushu.editors.add(kita_editor)
    programme = programme_for(demo)
    match = Match.objects.get(run=demo.run, donor=demo.kitakyushu, recipient=demo.recipient)
    osaka_match = Match.objects.get(run=demo.run, donor__name="Osaka", recipient=demo.recipient)
    yokohama = City.objects.get(name="Yokohama")
    ExpressionOfInterest.objects.create(
        from_city=yokohama,
        to_city=demo.recipient,
        from_role="donor",
        message="Our sewage engineers would like to help Hue with its wastewater plant.",
    ).policy_areas.set(PolicyArea.objects.filter(code="sanitation"))
    errors = BrowserErrors()
    viewport_width, viewport_height = WIDTHS[width]
    context = browser.new_context(viewport={"width": viewport_width, "height": viewport_height})
    page = context.new_page()
    errors.watch(page)
    visit = Visit(page, live_server.url, f"{width}-partnership")
    sign_in(visit, demo.editor_username)

    # The match page offers to cooperate; Hue's editor starts a partnership from it.
    visit.go(match.get_absolute_url())
    assert "Express interest" in page.inner_text("#cooperate")
    visit.shot("01-match")
    page.locator("#cooperate").get_by_role("link", name="Start a partnership").click()
    page.wait_for_url(re.compile(r"/matches/[-\w]+/[-\w]+/partnership/$"))
    assert page.get_by_label("Solid waste management").is_checked()
    page.get_by_label("Programme").select_option(label="Clean Cities Asia")
    page.get_by_label("Why this partner").fill(
        "Kitakyushu turned its own waste problem into a recycling industry; we start with "
        "one market."
    )
    visit.shot("02-start")
    page.get_by_role("button", name="Propose the partnership").click()
    page.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    partnership = Partnership.objects.get()
    assert "Partnership proposed" in page.inner_text("main")
    assert page.locator('[aria-current="step"]').inner_text() == "Proposed"
    visit.shot("03-proposed")

    # A first project, following Kitakyushu's published practice.
    page.get_by_role("link", name="Add a project").first.click()
    page.get_by_label("Title").fill("Sorting pilot at Dong Ba market")
    page.get_by_label("Policy area").select_option(label="Solid waste management")
    page.get_by_label("Best practice it follows").select_option(
        label="Eco-Town: from pollution to recycling industry"
    )
    page.get_by_label("Budget (USD)").fill("150000")
    page.get_by_label("Funding source").fill("Clean Cities Facility and Hue's co-funding")
    visit.shot("04-project-form")
    page.get_by_role("button", name="Add the project").click()
    page.wait_for_url(re.compile(r"/projects/\d+/$"))
    page.get_by_label("Title").fill("Sorting bins in place")
    page.get_by_label("Due").fill("2027-03-31")
    page.get_by_role("button", name="Add the milestone").click()
    page.wait_for_url(re.compile(r"/projects/\d+/$"))
    assert "Sorting bins in place" in page.inner_text("main")
    visit.shot("05-project")

    # Kitakyushu's editor proposes agreeing it (in their own browser); Hue must confirm.
    other = browser.new_context(viewport={"width": viewport_width, "height": viewport_height})
    kita_page = other.new_page()
    errors.watch(kita_page)
    kita = Visit(kita_page, live_server.url, f"{width}-partnership-kitakyushu")
    sign_in(kita, "kita-editor")
    assert "Your partnerships" in kita_page.inner_text("main")
    kita.go(f"/partnerships/{partnership.pk}/")
    kita_page.get_by_label("Move to").select_option("agreed")
    kita_page.get_by_role("button", name="Move the partnership").click()
    kita_page.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    assert "waiting for Hue" in kita_page.inner_text("main")

    # Back in Hue: confirm the agreement; a refused move says why; then propose the pilot.
    visit.go(f"/partnerships/{partnership.pk}/")
    assert "Waiting for you" in page.inner_text("#pending-step")
    page.get_by_role("button", name="Confirm: move to agreed").click()
    page.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    assert page.locator('[aria-current="step"]').inner_text() == "Agreed"
    page.get_by_label("Move to").select_option("paused")
    page.get_by_role("button", name="Move the partnership").click()
    assert "Say why the partnership is paused." in page.inner_text("main")
    visit.shot("06-refused-move")
    visit.go(f"/partnerships/{partnership.pk}/")
    page.get_by_label("Move to").select_option("pilot")
    page.get_by_role("button", name="Move the partnership").click()
    page.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    kita.go(f"/partnerships/{partnership.pk}/")
    kita_page.get_by_role("button", name="Confirm: move to pilot").click()
    kita_page.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    visit.go(f"/partnerships/{partnership.pk}/")
    assert page.locator('[aria-current="step"]').inner_text() == "Pilot"
    partnership.refresh_from_db()
    assert partnership.status == "pilot" and partnership.review_on is not None

    # The ledger: what Hue brings.
    ledger = page.locator("#ledger form")
    ledger.get_by_label("City").select_option(label="Hue")
    ledger.get_by_label("Direction").select_option("contributes")
    ledger.get_by_label("What").select_option("money")
    ledger.get_by_label("Amount").fill("60000")
    ledger.get_by_label("Description").fill("Co-funding of the sorting pilot")
    ledger.get_by_role("button", name="Add to the ledger").click()
    page.wait_for_url(re.compile(r"/partnerships/\d+/#ledger$"))
    assert "60,000 USD" in page.inner_text("#ledger")
    visit.shot("07-pilot")

    # Both cities' pages show the partnership at the pilot.
    for city, viewer in ((demo.recipient, visit), (demo.kitakyushu, kita)):
        viewer.go(f"/cities/{city.slug}/")
        section = viewer.page.locator("#partnerships")
        assert "pilot" in section.inner_text(), city.name
        viewer.shot(f"08-city-{city.slug}")
    kita_page.locator("#partnerships").get_by_role("link", name="Hue").click()
    kita_page.wait_for_url(re.compile(r"/partnerships/\d+/$"))

    # Hue tells Osaka it is interested, from their match page…
    visit.go(osaka_match.get_absolute_url())
    cooperate = page.locator("#cooperate")
    cooperate.get_by_label("Why this partner").fill(
        "Osaka's energy-efficient street lighting is what our council wants next."
    )
    cooperate.get_by_role("button", name="Send to Osaka").click()
    page.wait_for_url(re.compile(re.escape(osaka_match.get_absolute_url()) + "$"))
    assert "Message sent to Osaka's editors." in page.inner_text("main")
    assert "waiting for an answer" in page.inner_text("#cooperate")
    # …and answers Yokohama's message in the inbox: a reason is needed to decline.
    visit.go("/")
    assert "1 message waiting." in page.inner_text("main")
    visit.go("/interest/")
    assert "Our sewage engineers" in page.inner_text("main")
    visit.shot("09-inbox")
    page.get_by_role("button", name="Decline").click()
    assert "This field is required." in page.inner_text("main")
    page.get_by_label("Reason for declining").fill("Our wastewater plan is funded already.")
    page.get_by_role("button", name="Decline").click()
    page.wait_for_url(visit.base + "/interest/")
    assert "Declined: Our wastewater plan is funded already." in page.inner_text("main")

    # The other cooperation pages, for the screenshots and the width check.
    for name, path in [
        ("10-my-city", "/"),
        ("11-inbox-answered", "/interest/"),
        ("11-partnerships", "/partnerships/"),
        ("12-programmes", "/programmes/"),
        ("13-programme", f"/programmes/{programme.slug}/"),
        ("14-interest-form", osaka_match.get_absolute_url() + "interest/"),
        ("15-osaka-match", osaka_match.get_absolute_url()),
    ]:
        visit.go(path)
        visit.shot(name)
        if name == "13-programme":
            assert "Clean Cities Asia" in page.inner_text("h1")
            assert "Kitakyushu" in page.inner_text("#partnerships-title + *")

    other.close()
    context.close()
    assert errors.messages == []
