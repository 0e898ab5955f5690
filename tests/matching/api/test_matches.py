"""/api/matches/: the active run by default, every filter of API.md, ordering, detail."""

from __future__ import annotations

import pytest

from cities.filtersets import policy_area_choices
from matching.models import Match
from tests.factories import CityFactory, MatchFactory, MatchRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cities(db):
    return {
        "kitakyushu": CityFactory(
            name="Kitakyushu",
            role="donor",
            population=940_978,
            languages=["en", "ja"],
            sectors={"C": 0.5, "E": 0.3},
        ),
        "munich": CityFactory(
            name="Munich",
            country="DE",
            role="both",
            population=1_500_000,
            languages=["de", "en"],
            sectors={"M": 1.0},
        ),
        "surabaya": CityFactory(
            name="Surabaya",
            country="ID",
            role="recipient",
            population=2_874_314,
            languages=["en", "id"],
            sectors={"C": 0.9, "E": 0.05},
        ),
        "lyon": CityFactory(
            name="Lyon", country="FR", role="recipient", population=520_000, languages=["fr"]
        ),
    }


@pytest.fixture
def matches(active_run, cities):
    c = cities
    return {
        "k-s": MatchFactory(
            run=active_run,
            donor=c["kitakyushu"],
            recipient=c["surabaya"],
            score=81.5,
            donor_rank=1,
            recipient_rank=1,
            size_ratio=3.05,
            top_areas=[
                {"area": "waste", "need": 3, "expertise": 3},
                {"area": "air", "need": 2, "expertise": 3},
            ],
            practices=[{"id": 4, "title": "Takakura composting"}],
            gives_back=["economy"],
            existing_partnership=True,
        ),
        "m-s": MatchFactory(
            run=active_run,
            donor=c["munich"],
            recipient=c["surabaya"],
            score=64.0,
            donor_rank=1,
            recipient_rank=2,
            size_ratio=1.92,
            top_areas=[{"area": "transport", "need": 2, "expertise": 3}],
        ),
        "k-l": MatchFactory(
            run=active_run,
            donor=c["kitakyushu"],
            recipient=c["lyon"],
            score=40.25,
            donor_rank=2,
            recipient_rank=None,
            size_ratio=1.81,
            top_areas=[{"area": "air", "need": 1, "expertise": 3}],
        ),
        "k-m": MatchFactory(
            run=active_run,
            donor=c["kitakyushu"],
            recipient=c["munich"],
            score=22.0,
            donor_rank=None,
            recipient_rank=1,
            size_ratio=1.59,
            top_areas=[{"area": "low-carbon", "need": 2, "expertise": 1}],
        ),
    }


def pairs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [f"{m['donor']['name']}→{m['recipient']['name']}" for m in response.json()["results"]]


def test_match_list_shows_the_active_run_best_first(user_client, matches):
    old_run = MatchRunFactory(is_active=False)
    MatchFactory(run=old_run, score=99)
    assert pairs(user_client.get("/api/matches/")) == [
        "Kitakyushu→Surabaya",
        "Munich→Surabaya",
        "Kitakyushu→Lyon",
        "Kitakyushu→Munich",
    ]


def test_match_object_has_the_fields_of_api_md(user_client, matches, active_run):
    body = user_client.get("/api/matches/").json()["results"][0]
    assert body == {
        "id": matches["k-s"].pk,
        "run": active_run.pk,
        "donor": {
            "id": matches["k-s"].donor.pk,
            "name": "Kitakyushu",
            "slug": matches["k-s"].donor.slug,
            "country": "JP",
            "population": 940978,
        },
        "recipient": {
            "id": matches["k-s"].recipient.pk,
            "name": "Surabaya",
            "slug": matches["k-s"].recipient.slug,
            "country": "ID",
            "population": 2874314,
        },
        "score": 81.5,
        "components": {
            "need_fit": 0.5,
            "evidence": 0.2,
            "reciprocity": 0.3,
            "size": 0.9,
            "industry": 0.7,
            "capacity": 0.6,
            "budget": 1.0,
            "language": 1.0,
        },
        "donor_rank": 1,
        "recipient_rank": 1,
        "top_areas": [
            {"area": "waste", "need": 3, "expertise": 3},
            {"area": "air", "need": 2, "expertise": 3},
        ],
        "practices": [{"id": 4, "title": "Takakura composting"}],
        "gives_back": ["economy"],
        "existing_partnership": True,
    }


def test_hand_built_match_json_equals_drf_field_walk(matches, active_run):
    from rest_framework import serializers

    from matching.api.serializers import CityMatchSerializer, MatchSerializer
    from matching.models import Match
    from matching.querysets import MATCH_COLUMNS

    rows = {row["id"]: row for row in Match.objects.values(*MATCH_COLUMNS)}
    for match in matches.values():
        for serializer_class in (MatchSerializer, CityMatchSerializer):
            serializer = serializer_class(match)
            generic = serializers.ModelSerializer.to_representation(serializer, match)
            assert serializer.data == generic
            assert serializer_class().to_representation(rows[match.pk]) == generic


def test_no_active_run_means_an_empty_list(user_client, cities):
    MatchFactory(run=MatchRunFactory(is_active=False))
    assert user_client.get("/api/matches/").json()["count"] == 0


def test_run_filter_shows_another_finished_run(user_client, matches):
    old_run = MatchRunFactory(is_active=False)
    old = MatchFactory(run=old_run, score=99)
    body = user_client.get("/api/matches/", {"run": old_run.pk}).json()
    assert [m["id"] for m in body["results"]] == [old.pk]


@pytest.mark.parametrize("status", ["queued", "running", "failed"])
def test_run_in_progress_or_failed_cannot_be_listed(user_client, matches, status):
    run = MatchRunFactory(status=status, is_active=False)
    MatchFactory(run=run)
    response = user_client.get("/api/matches/", {"run": run.pk})
    assert response.status_code == 400
    assert "run" in response.json()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"donor": "kitakyushu"}, ["Kitakyushu→Surabaya", "Kitakyushu→Lyon", "Kitakyushu→Munich"]),
        ({"recipient": "surabaya"}, ["Kitakyushu→Surabaya", "Munich→Surabaya"]),
        ({"city": "munich"}, ["Munich→Surabaya", "Kitakyushu→Munich"]),
        ({"donor_country": "DE"}, ["Munich→Surabaya"]),
        ({"recipient_country": "FR"}, ["Kitakyushu→Lyon"]),
        ({"donor_region": "EU"}, ["Munich→Surabaya"]),
        ({"recipient_region": "EU"}, ["Kitakyushu→Lyon", "Kitakyushu→Munich"]),
        ({"policy_area": "air"}, ["Kitakyushu→Surabaya", "Kitakyushu→Lyon"]),
        ({"policy_area": "low-carbon"}, ["Kitakyushu→Munich"]),
        ({"policy_area": "water"}, []),
        # E is 30% of Kitakyushu's economy, 5% of Surabaya's: only matches with Kitakyushu.
        ({"sector": "E"}, ["Kitakyushu→Surabaya", "Kitakyushu→Lyon", "Kitakyushu→Munich"]),
        ({"sector": "M"}, ["Munich→Surabaya", "Kitakyushu→Munich"]),
        ({"min_score": "40.25"}, ["Kitakyushu→Surabaya", "Munich→Surabaya", "Kitakyushu→Lyon"]),
        ({"max_score": "64"}, ["Munich→Surabaya", "Kitakyushu→Lyon", "Kitakyushu→Munich"]),
        ({"min_score": 30, "max_score": 70}, ["Munich→Surabaya", "Kitakyushu→Lyon"]),
        ({"size_ratio_max": "1.9"}, ["Kitakyushu→Lyon", "Kitakyushu→Munich"]),
        ({"language": "en"}, ["Kitakyushu→Surabaya", "Munich→Surabaya", "Kitakyushu→Munich"]),
        ({"language": "fr"}, []),
        ({"exclude_existing": "true"}, ["Munich→Surabaya", "Kitakyushu→Lyon", "Kitakyushu→Munich"]),
        ({"exclude_existing": "false"}, ["Kitakyushu→Surabaya", "Munich→Surabaya", "Kitakyushu→Lyon", "Kitakyushu→Munich"]),
        ({"q": "mun"}, ["Munich→Surabaya", "Kitakyushu→Munich"]),
        ({"ordering": "score"}, ["Kitakyushu→Munich", "Kitakyushu→Lyon", "Munich→Surabaya", "Kitakyushu→Surabaya"]),
        ({"ordering": "-score"}, ["Kitakyushu→Surabaya", "Munich→Surabaya", "Kitakyushu→Lyon", "Kitakyushu→Munich"]),
        # Ranks tie across cities: the better score comes first; no rank (null) comes last.
        ({"ordering": "donor_rank"}, ["Kitakyushu→Surabaya", "Munich→Surabaya", "Kitakyushu→Lyon", "Kitakyushu→Munich"]),
        ({"ordering": "recipient_rank"}, ["Kitakyushu→Surabaya", "Kitakyushu→Munich", "Munich→Surabaya", "Kitakyushu→Lyon"]),
    ],
)  # fmt: skip
def test_match_filters(user_client, matches, cities, params, expected):
    params = {
        key: cities[value].pk if key in {"donor", "recipient", "city"} else value
        for key, value in params.items()
    }
    assert pairs(user_client.get("/api/matches/", params)) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"donor": "abc"}, "donor"),
        ({"recipient": "99999999999999999999999"}, "recipient"),
        ({"city": "-4"}, "city"),
        ({"donor_country": "XX"}, "donor_country"),
        ({"recipient_region": "Asia"}, "recipient_region"),
        ({"policy_area": "wste"}, "policy_area"),
        ({"sector": "waste"}, "sector"),
        ({"min_score": "abc"}, "min_score"),
        ({"max_score": "101"}, "max_score"),
        ({"min_score": "nan"}, "min_score"),
        ({"size_ratio_max": "0.5"}, "size_ratio_max"),
        ({"size_ratio_max": "1e400"}, "size_ratio_max"),
        ({"language": "EN"}, "language"),
        ({"run": "abc"}, "run"),
        ({"run": "99999999999999999999999"}, "run"),
        ({"run": "424242"}, "run"),
        ({"ordering": "population"}, "ordering"),
        ({"ordering": "score;drop"}, "ordering"),
    ],
)
def test_bad_match_filters_are_400_naming_the_filter(user_client, matches, params, field):
    response = user_client.get("/api/matches/", params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_unknown_donor_id_is_an_empty_list(user_client, matches):
    assert user_client.get("/api/matches/", {"donor": 987654}).json()["count"] == 0


def test_match_detail_of_the_active_and_an_older_run(user_client, matches):
    match = matches["k-s"]
    body = user_client.get(f"/api/matches/{match.pk}/").json()
    assert body["score"] == 81.5 and body["donor"]["name"] == "Kitakyushu"
    older = MatchFactory(run=MatchRunFactory(is_active=False))
    assert user_client.get(f"/api/matches/{older.pk}/").status_code == 200


def test_match_of_a_run_in_progress_is_404(user_client, cities):
    running = MatchFactory(run=MatchRunFactory(status="running", is_active=False))
    assert user_client.get(f"/api/matches/{running.pk}/").status_code == 404
    assert user_client.get("/api/matches/424242/").status_code == 404


def test_matches_need_a_signed_in_user(api_client, matches):
    assert api_client.get("/api/matches/").status_code == 401
    assert api_client.get(f"/api/matches/{matches['k-s'].pk}/").status_code == 401


def test_matches_are_read_only(admin_client, matches):
    assert admin_client.post("/api/matches/", {}).status_code == 405
    assert admin_client.delete(f"/api/matches/{matches['k-s'].pk}/").status_code == 405


@pytest.mark.parametrize("page_size", [1, 100])
def test_match_list_costs_a_fixed_number_of_queries(
    user_client, active_run, django_assert_num_queries, page_size
):
    recipient = CityFactory()
    for _ in range(page_size + 1):
        MatchFactory(run=active_run, recipient=recipient)
    policy_area_choices()  # the codes a process keeps for a minute
    # token, the active run (read once: every query names it), the page's keys, the bounded
    # count, the page's rows
    with django_assert_num_queries(5):
        response = user_client.get("/api/matches/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
    assert response.json()["count"] == page_size + 1
    # A page that is not full is the last one: it tells the count without counting.
    with django_assert_num_queries(4):
        response = user_client.get("/api/matches/", {"page_size": page_size + 5})
    assert len(response.json()["results"]) == page_size + 1
    assert response.json()["count"] == page_size + 1
    with django_assert_num_queries(5):
        response = user_client.get(
            "/api/matches/",
            {"page_size": page_size, "recipient": recipient.pk, "policy_area": "waste"},
        )
    assert len(response.json()["results"]) == page_size


def test_match_pages(user_client, active_run):
    for score in range(5):
        MatchFactory(run=active_run, score=score)
    second = user_client.get("/api/matches/", {"page_size": 2, "page": 2}).json()
    assert second["count"] == 5
    assert [m["score"] for m in second["results"]] == [2.0, 1.0]
    assert "page=3" in second["next"] and "page_size=2" in second["next"]
    assert second["previous"]
    last = user_client.get("/api/matches/", {"page_size": 2, "page": "last"}).json()
    assert [m["score"] for m in last["results"]] == [0.0]
    assert last["next"] is None


@pytest.mark.parametrize("page", ["4", "0", "-1", "abc", "1.5", "99999999999999999999"])
def test_bad_or_past_the_end_match_page_is_404(user_client, active_run, page):
    for score in range(5):
        MatchFactory(run=active_run, score=score)
    response = user_client.get("/api/matches/", {"page_size": 2, "page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_empty_match_list_is_a_page_not_a_404(user_client, active_run):
    body = user_client.get("/api/matches/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_match_of_a_deleted_city_never_breaks_a_page(user_client, active_run):
    """Match keys have no database constraint: rows of a city removed behind the ORM's back
    are left out of the page rather than failing it."""
    kept = MatchFactory(run=active_run, score=60)
    orphan = MatchFactory(run=active_run, score=70)
    Match.objects.filter(pk=orphan.pk).update(donor_id=987_654)  # no such city
    response = user_client.get("/api/matches/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [kept.pk]
    response = user_client.get("/api/matches/", {"donor": 987_654})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("stored", [3, 7])
def test_count_is_exact_up_to_the_bound_then_an_estimate(
    user_client, active_run, monkeypatch, stored
):
    from toolkit.api import pagination

    monkeypatch.setattr(pagination, "COUNT_EXACT_UP_TO", 3)
    for score in range(stored):
        MatchFactory(run=active_run, score=score)
    body = user_client.get("/api/matches/", {"page_size": 2}).json()
    assert [row["score"] for row in body["results"]] == [stored - 1, stored - 2]
    if stored <= 3:
        assert body["count"] == stored
    else:
        # The planner's estimate (exact on SQLite), never below the rows counted so far.
        assert body["count"] >= 4
        assert body["next"] is not None


def test_pages_past_the_exact_count_bound(user_client, active_run, monkeypatch):
    from toolkit.api import pagination

    monkeypatch.setattr(pagination, "COUNT_EXACT_UP_TO", 3)
    for score in range(9):
        MatchFactory(run=active_run, score=score)
    body = user_client.get("/api/matches/", {"page_size": 2, "page": 3}).json()
    assert [row["score"] for row in body["results"]] == [4, 3]
    assert body["count"] >= 6 and body["next"] is not None
    last = user_client.get("/api/matches/", {"page_size": 2, "page": 5}).json()
    assert [row["score"] for row in last["results"]] == [0]
    assert last["count"] == 9 and last["next"] is None
    assert user_client.get("/api/matches/", {"page_size": 2, "page": 6}).status_code == 404
