"""The match page (the score and why) and the citizen brief."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from bestpractices.models import ActionStep, BestPractice, Lesson
from tests.factories import BestPracticeFactory, OrganizationFactory
from tests.html import parse, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice(donor):
    practice = BestPracticeFactory(
        city=donor, title="Eco-Town recycling", areas=["waste"], cost_usd=400_000
    )
    for position, title in enumerate(["Map the waste streams", "Open a sorting plant"], 1):
        ActionStep.objects.create(
            practice=practice, position=position, title=title, duration=f"{position * 6} months"
        )
    Lesson.objects.create(
        practice=practice,
        what_went_wrong="Residents ignored the first sorting rules.",
        do_differently="Explain the rules door to door before starting.",
    )
    return practice


def test_match_page_explains_the_score(editor_client, match, practice, donor):
    BestPracticeFactory(city=donor, title="Unrelated draft", status=BestPractice.Status.DRAFT)
    BestPracticeFactory(city=donor, title="Harbour works", areas=["transport"])
    response = editor_client.get(
        reverse("match-detail", args=[match.donor.slug, match.recipient.slug])
    )
    body = response.content.decode()
    page = text(response)
    assert parse(response).h1 == 1
    assert "Kitakyushu could help Hue" in page
    # Eight bars, each an accessible inline SVG with its value also written as text.
    assert body.count('role="img"') == 8
    assert '<title id="bar-need_fit-title">Need fit</title>' in body
    assert "0.90 out of 1, adds 27.0 points to the score" in body
    assert 'class="bar-fill" width="90.0"' in body
    # The top areas with both cities' levels, and what the recipient gives back.
    assert "Solid waste management high leading none none" in page
    assert "Water supply: Hue's expertise is proven, Kitakyushu's need is low." in page
    # Relevant published practices only, their steps in order, their lessons.
    assert "Eco-Town recycling" in page
    assert "Harbour works" not in page and "Unrelated draft" not in page
    assert re.search(r"Map the waste streams.*Takes 6 months.*Open a sorting plant", page)
    assert "Residents ignored the first sorting rules." in page
    # Plain-language reasons.
    assert (
        "Kitakyushu has leading expertise in solid waste management, where Hue's need is high."
        in page
    )
    assert "Both cities work in English." in page
    assert "USD 400,000" in page  # the median cost of the donor's published practices


def test_match_page_lists_organizations_of_the_countries_and_areas(editor_client, match):
    worldwide = OrganizationFactory(name="World Cities Fund", countries=[])
    worldwide.policy_areas.set([])
    in_vietnam = OrganizationFactory(name="Vietnam Waste Agency", countries=["VN"])
    in_vietnam.policy_areas.set(match.recipient.area_levels.none())
    from cities.models import PolicyArea

    in_vietnam.policy_areas.set(PolicyArea.objects.filter(code="waste"))
    elsewhere = OrganizationFactory(name="Andes Water Bank", countries=["PE"])
    elsewhere.policy_areas.set(PolicyArea.objects.filter(code="waste"))
    other_area = OrganizationFactory(name="Health Network", countries=["VN"])
    other_area.policy_areas.set(PolicyArea.objects.filter(code="health"))
    page = text(
        editor_client.get(reverse("match-detail", args=[match.donor.slug, match.recipient.slug]))
    )
    assert "World Cities Fund" in page and "worldwide" in page
    assert "Vietnam Waste Agency" in page and "Vietnam" in page
    assert "Andes Water Bank" not in page and "Health Network" not in page


def test_match_page_without_practices_or_organizations(editor_client, match):
    page = text(
        editor_client.get(reverse("match-detail", args=[match.donor.slug, match.recipient.slug]))
    )
    assert "has no published best practice in these areas yet" in page
    assert "No organization in CityMatch supports these areas" in page


def test_an_address_by_row_id_leads_to_the_pair(editor_client, match):
    response = editor_client.get(reverse("match-moved", args=[match.pk]))
    assert response.status_code == 301
    assert response["Location"] == f"/matches/{match.donor.slug}/{match.recipient.slug}/"
    brief = editor_client.get(f"/matches/{match.pk}/brief/")
    assert brief["Location"] == f"/matches/{match.donor.slug}/{match.recipient.slug}/brief/"


@pytest.mark.parametrize("practices", [1, 6])
def test_match_page_query_count_is_fixed(
    editor_client, django_assert_num_queries, match, donor, practices
):
    for _ in range(practices):
        BestPracticeFactory(city=donor, areas=["waste", "air"], complete=True)
    OrganizationFactory(countries=["VN"]).policy_areas.set([])
    # session, user, match, area names, levels, practices + areas + steps + lessons,
    # organizations + their areas; cooperation: the user's cities, messages, partnership,
    # policy areas of the interest form
    # The taxonomy names come from the cache when it is warm; counted here with it cold.
    cache.clear()
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(16):
        assert (
            editor_client.get(
                reverse("match-detail", args=[match.donor.slug, match.recipient.slug])
            ).status_code
            == 200
        )
    cache.clear()
    with django_assert_num_queries(12):
        assert (
            editor_client.get(
                reverse("match-brief", args=[match.donor.slug, match.recipient.slug])
            ).status_code
            == 200
        )


def test_citizen_brief_answers_why_spend_tax_money(editor_client, match, practice):
    OrganizationFactory(name="JICA", countries=["VN"]).policy_areas.set([])
    response = editor_client.get(
        reverse("match-brief", args=[match.donor.slug, match.recipient.slug])
    )
    page = text(response)
    assert parse(response).h1 == 1
    for heading in (
        "Who the partner is",
        "Why this partner",
        "What each city gains",
        "What it costs",
        "The first concrete steps",
        "The risks, honestly",
    ):
        assert heading in page
    assert "Why spend local tax money on another city?" in page
    assert "Lessons in return: Hue has expertise in water supply" in page
    assert "USD 400,000" in page and "USD 100,000" in page and "USD 50,000" in page
    assert "Outside support can come from JICA" in page
    assert re.search(r"1\. ?Map the waste streams|Map the waste streams \(6 months\)", page)
    assert "Residents ignored the first sorting rules." in page
    # Printed on one A4 page without the site's navigation.
    css = settings.BASE_DIR / "static/css/site.css"
    styles = css.read_text()
    assert "@page { size: A4" in styles
    assert re.search(r"@media print \{.*\.site-header, \.site-footer.*display: none", styles, re.S)


def test_brief_without_practices_still_gives_first_steps_and_an_honest_risk(editor_client, match):
    page = text(
        editor_client.get(reverse("match-brief", args=[match.donor.slug, match.recipient.slug]))
    )
    assert "Agree on one small pilot project in solid waste management" in page
    assert "has not published what went wrong" in page


@pytest.mark.parametrize(
    ("budget", "words"),
    [(0, "about 0% of"), (5_000_000, "more than the whole of")],
)
def test_the_brief_says_how_much_of_the_cost_is_covered_in_words(
    editor_client, match, donor, recipient, budget, words
):
    donor.cooperation_budget_usd = budget
    donor.save(update_fields=["cooperation_budget_usd"])
    recipient.cofunding_usd = 0
    recipient.save(update_fields=["cofunding_usd"])
    url = reverse("match-brief", args=[match.donor.slug, match.recipient.slug])
    page = text(editor_client.get(url))
    assert f"{words} the cost." in page
    assert not re.search(r"\d{4,}%", page)
    detail = text(editor_client.get(match.get_absolute_url()))
    assert f"cover {words} a typical practice's cost" in detail
