"""Cached pages of the match lists (toolkit/api/listcache.py): served while the run's lists are
unchanged, never after a change (a rescoring, a partnership flag, a city edited or deleted)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cities.models import City
from matching import services
from matching.models import Match, MatchRun
from tests.factories import CityFactory, MatchFactory, population
from tests.matching.helpers import run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs(active_run):
    donor = CityFactory(name="Kitakyushu", country="JP", role="donor")
    recipients = [CityFactory(name=f"Recipient {n}", role="recipient") for n in range(3)]
    for rank, recipient in enumerate(recipients, start=1):
        MatchFactory(run=active_run, donor=donor, recipient=recipient, score=90 - rank)
    return donor, recipients


def get(client, url: str = "/api/matches/", **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response, len(captured)


def test_a_second_request_is_served_from_the_cache(user_client, pairs):
    first, built = get(user_client, page_size=2)
    second, served = get(user_client, page_size=2)
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    assert second["ETag"] == first["ETag"]
    # The token and the active run's version only: no filter, page, count or row query.
    assert served == 2 < built
    assert second.json()["count"] == 3
    assert second.json()["next"] == first.json()["next"]


def test_each_query_string_and_host_has_its_own_page(user_client, pairs):
    by_score = get(user_client, ordering="score")[0].json()
    assert [m["score"] for m in by_score["results"]] == [87, 88, 89]
    descending = get(user_client, ordering="-score")[0].json()
    assert [m["score"] for m in descending["results"]] == [89, 88, 87]
    assert get(user_client, ordering="score", page_size=1)[0].json()["results"][0]["score"] == 87
    other_host = user_client.get("/api/matches/", {"page_size": 1}, HTTP_HOST="localhost")
    assert other_host.json()["next"].startswith("http://localhost/")
    here = get(user_client, page_size=1)[0].json()
    assert here["next"].startswith("http://testserver/")


def test_if_none_match_answers_not_modified(user_client, pairs):
    first, _ = get(user_client)
    again = user_client.get("/api/matches/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert again.content == b""
    other = user_client.get("/api/matches/", {"page_size": 2}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert other.status_code == 200 and other["ETag"] != first["ETag"]


def test_sign_in_is_still_required_for_a_cached_page(user_client, api_client, pairs):
    get(user_client)
    assert api_client.get("/api/matches/").status_code == 401


def test_errors_csv_and_older_runs_are_not_kept(user_client, pairs, active_run):
    assert user_client.get("/api/matches/", {"page_size": 0}).status_code == 400
    assert user_client.get("/api/matches/", {"page_size": 0}).status_code == 400
    csv = user_client.get("/api/matches/", {"format": "csv"})
    assert csv.status_code == 200 and "ETag" not in csv
    _, built = get(user_client, run=active_run.pk)
    _, again = get(user_client, run=active_run.pk)
    assert again == built


def test_a_partnership_flag_retires_the_cached_pages(user_client, pairs):
    donor, recipients = pairs
    before = get(user_client)[0].json()
    assert not any(m["existing_partnership"] for m in before["results"])
    services.flag_existing_partnership(
        first_id=donor.pk, second_id=recipients[0].pk, cooperating=True
    )
    after = get(user_client)[0].json()
    flagged = [m["recipient"]["id"] for m in after["results"] if m["existing_partnership"]]
    assert flagged == [recipients[0].pk]


def test_a_renamed_city_shows_at_once(user_client, pairs):
    donor, _ = pairs
    city_url = f"/api/cities/{donor.pk}/matches/"
    assert get(user_client)[0].json()["results"][0]["donor"]["name"] == "Kitakyushu"
    assert get(user_client, city_url)[0].json()["results"][0]["donor"]["name"] == "Kitakyushu"
    donor.name = "Kita-Kyushu"
    donor.save()
    assert get(user_client)[0].json()["results"][0]["donor"]["name"] == "Kita-Kyushu"
    assert get(user_client, city_url)[0].json()["results"][0]["donor"]["name"] == "Kita-Kyushu"


def test_a_deleted_city_leaves_the_cached_pages(user_client, pairs):
    _, recipients = pairs
    assert get(user_client)[0].json()["count"] == 3
    recipients[0].delete()
    page = get(user_client)[0].json()
    assert page["count"] == 2
    assert recipients[0].pk not in {m["recipient"]["id"] for m in page["results"]}


def test_a_rescored_city_shows_its_new_matches(user_client, django_capture_on_commit_callbacks):
    population(12, seed=3)
    run = run_now(django_capture_on_commit_callbacks)
    city = City.objects.filter(role=City.Role.BOTH).order_by("pk").first()
    url = f"/api/cities/{city.pk}/matches/"
    before = get(user_client, url, page_size=500)[0].json()
    get(user_client, "/api/matches/", page_size=500)
    version = run.list_version
    # Written without signals, so only the rescoring itself can retire the cached pages.
    City.objects.filter(pk=city.pk).update(population=30_000_000, updated_at=timezone.now())

    services.rescore_cities(city_ids=[city.pk])

    run.refresh_from_db()
    assert run.list_version == version + 1
    mine = Match.objects.filter(run=run).filter(Q(donor=city) | Q(recipient=city))
    stored = {(m.donor_id, m.recipient_id): m.score for m in mine}
    after = get(user_client, url, page_size=500)[0].json()
    assert after != before
    shown = {(m["donor"]["id"], m["recipient"]["id"]): m["score"] for m in after["results"]}
    assert shown == stored
    everything = get(user_client, "/api/matches/", page_size=500)[0].json()
    assert everything["count"] == Match.objects.filter(run=run).count()
    assert {m["id"] for m in everything["results"]} == set(
        Match.objects.filter(run=run).values_list("id", flat=True)
    )


def test_a_new_run_is_listed_at_once(user_client, django_capture_on_commit_callbacks):
    population(8, seed=4)
    first = run_now(django_capture_on_commit_callbacks)
    assert {m["run"] for m in get(user_client, page_size=500)[0].json()["results"]} == {first.pk}
    second = run_now(django_capture_on_commit_callbacks)
    assert MatchRun.objects.active() == second
    assert {m["run"] for m in get(user_client, page_size=500)[0].json()["results"]} == {second.pk}


def test_weights_are_scored_each_time(user_client, django_capture_on_commit_callbacks):
    population(8, seed=6)
    run_now(django_capture_on_commit_callbacks)
    city = City.objects.filter(role=City.Role.RECIPIENT).order_by("pk").first()
    url = f"/api/cities/{city.pk}/matches/"
    first, _ = get(user_client, url, weights="need_fit:0.5")
    second, _ = get(user_client, url, weights="need_fit:0.5")
    assert "ETag" not in first and "ETag" not in second
    assert second.json() == first.json()
