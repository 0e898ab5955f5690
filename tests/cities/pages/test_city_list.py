"""The city list (shared CityFilterSet) and the city page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from bestpractices.models import BestPractice
from tests.factories import BestPracticeFactory, CityFactory, UserFactory
from tests.html import parse, text, unlabelled_controls
from tests.pages import many_matches

pytestmark = pytest.mark.django_db


def test_city_list_filters_narrow_the_result(editor_client, recipient, donor):
    CityFactory(name="Synthetica", is_synthetic=True, needs={"water": 3})
    everything = editor_client.get(reverse("city-list"))
    assert "3 cities" in text(everything)
    assert "synthetic" in text(everything)
    assert unlabelled_controls(everything) == []
    # The shared FilterSet's form, in words for people rather than API documentation.
    body = everything.content.decode()
    assert '<label for="id_offers">Offers expertise in</label>' in body
    assert "Expertise level 2 (proven) or more." in body
    assert re.search(
        r'<select id="id_country" name="country"><option value="" selected>Any country<', body
    )
    assert "---------" not in body

    needs_waste = text(editor_client.get(reverse("city-list"), {"needs": "waste"}))
    assert "1 city matches these filters" in needs_waste
    assert "Hue" in needs_waste and "Kitakyushu" not in needs_waste

    offers = text(editor_client.get(reverse("city-list"), {"offers": "waste", "q": "kita"}))
    assert "Kitakyushu" in offers and "Hue" not in offers


def test_city_list_shows_bad_filters_instead_of_results(editor_client, recipient):
    page = text(editor_client.get(reverse("city-list"), {"population_min": "many"}))
    assert "Some filters are not valid" in page
    assert "Enter a whole number" in page
    assert "Hue" not in page.split("Some filters are not valid")[1]


def test_city_list_paginates_and_keeps_filters_in_page_links(editor_client):
    for index in range(30):
        CityFactory(name=f"Town {index:02d}", country="FR")
    first = editor_client.get(reverse("city-list"), {"country": "FR"})
    assert "30 cities match these filters · page 1 of 2" in text(first)
    assert "?country=FR&amp;page=2" in first.content.decode()
    second = text(editor_client.get(reverse("city-list"), {"country": "FR", "page": 2}))
    assert "Town 29" in second and "Town 00" not in second


@pytest.mark.parametrize("count", [1, 30])
def test_city_list_query_count_is_fixed(editor_client, django_assert_num_queries, count):
    for _ in range(count):
        CityFactory(needs={"waste": 2}, sectors={"E": 0.3})
    # session, user, the policy-area and sector codes of the filters, the countries that have
    # cities, count, cities, levels, sectors
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(10):
        assert editor_client.get(reverse("city-list")).status_code == 200


def test_city_page_shows_the_profile_matches_and_published_practices(
    editor_client, match, recipient, donor
):
    BestPracticeFactory(city=recipient, title="River clean-up", areas=["water"])
    BestPracticeFactory(
        city=recipient, title="Secret draft", status=BestPractice.Status.DRAFT, areas=["water"]
    )
    response = editor_client.get(reverse("city-detail", args=[recipient.slug]))
    page = text(response)
    assert parse(response).h1 == 1
    assert "Solid waste management none high" in page  # offers none, needs high
    assert "Water supply proven none" in page
    assert "Accommodation and food" in page and "60%" in page  # sector I is 0.3 of 0.5
    assert "English, Vietnamese" in page
    assert "Cities that could help Hue" in page and "Kitakyushu" in page
    assert f"?recipient={recipient.pk}" in response.content.decode()
    assert "River clean-up" in page and "Secret draft" not in page
    assert "Edit profile" in page


def test_city_page_offers_editing_only_to_editors(client, recipient):
    client.force_login(UserFactory())
    assert "Edit profile" not in text(client.get(reverse("city-detail", args=[recipient.slug])))


def test_city_page_without_a_run(editor_client, recipient):
    page = text(editor_client.get(reverse("city-detail", args=[recipient.slug])))
    assert "No run yet" in page


@pytest.mark.parametrize("count", [1, 20])
def test_city_page_query_count_is_fixed(
    editor_client, django_assert_num_queries, match, recipient, count
):
    many_matches(match.run, recipient, count)
    for _ in range(min(count, 5)):
        BestPracticeFactory(city=recipient, areas=["water", "air"])
    # session, user, city + levels + sectors, runs, areas, donors, recipients,
    # practices + their areas, can-edit; cooperation: unanswered messages, partnerships,
    # programmes, memberships
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(17):
        assert editor_client.get(reverse("city-detail", args=[recipient.slug])).status_code == 200


def test_the_country_filter_offers_only_countries_with_cities(editor_client):
    CityFactory(country="JP")
    CityFactory(country="VN")
    form = editor_client.get(reverse("city-list")).context["form"]
    codes = [code for code, _ in form.fields["country"].choices]
    assert codes[0] == "" and "AQ" not in codes and "BV" not in codes
    assert {"JP", "VN"} <= set(codes)
    assert form.fields["country"].choices[0] == ("", "Any country")
