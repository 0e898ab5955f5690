"""My city: completeness, top matches on both sides, the state of the runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cities.models import City
from matching.models import MatchRun
from tests.factories import CityFactory, MatchFactory, MatchRunFactory, UserFactory
from tests.html import text
from tests.pages import many_matches

pytestmark = pytest.mark.django_db


def test_shows_the_best_donors_and_a_complete_profile(editor_client, match):
    page = text(editor_client.get(reverse("my-city")))
    assert "Cities that could help Hue" in page
    assert "Kitakyushu" in page
    assert "78.4" in page
    assert "Solid waste management" in page
    assert "The profile is complete" in page


def test_lists_what_the_profile_lacks(client, recipient, active_run):
    user = UserFactory()
    bare = CityFactory(name="Bare", role="both", languages=[], cooperation_budget_usd=0)
    bare.editors.add(user)
    City.objects.filter(pk=bare.pk).update(updated_at=timezone.now() - timedelta(days=400))
    client.force_login(user)
    page = text(client.get(reverse("my-city")))
    assert "No needs stated" in page
    assert "No expertise stated" in page
    assert "No economic sectors" in page
    assert "No working languages" in page
    assert "No cooperation budget stated" in page
    assert "Last updated 1 year" in page
    assert "complete your needs" in page


def test_a_user_without_a_city_gets_help(client, match):
    client.force_login(UserFactory())
    page = text(client.get(reverse("my-city")))
    assert "You don't edit a city yet" in page
    assert "Ask an administrator" in page


def test_without_a_run_says_so(editor_client):
    assert "No run yet" in text(editor_client.get(reverse("my-city")))


def test_shows_a_run_in_progress(editor_client, match):
    running = MatchRunFactory(status=MatchRun.Status.RUNNING, progress=40, finished_at=None)
    page = text(editor_client.get(reverse("my-city")))
    assert "A new scoring run is running (40% done)" in page
    assert f"Follow run {running.pk}" in page


def test_a_donor_city_sees_whom_it_could_help(client, match, donor):
    user = UserFactory()
    donor.editors.add(user)
    client.force_login(user)
    page = text(client.get(reverse("my-city")))
    assert "Cities Kitakyushu could help" in page
    assert "Hue" in page


@pytest.mark.parametrize("extra_cities", [0, 3])
def test_query_count_is_fixed(client, django_assert_num_queries, match, editor, extra_cities):
    many_matches(match.run, match.recipient, 6)
    for _ in range(extra_cities):
        city = CityFactory(role="both", needs={"waste": 2}, expertise={"air": 2})
        city.editors.add(editor)
        MatchFactory(run=match.run, recipient=city, recipient_rank=1, donor_rank=2)
    client.force_login(editor)
    # session, user, runs, cities + levels + sectors, area names, top donors, top recipients;
    # cooperation: unanswered messages, partnerships
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(12):
        assert client.get(reverse("my-city")).status_code == 200
