"""/api/cities/{id}/matches/: stored matches of one city, or scored on the fly with ?weights=."""

from __future__ import annotations

import csv
import io

import pytest

from matching.services import arrays
from tests.factories import CityFactory, MatchFactory, MatchRunFactory

pytestmark = pytest.mark.django_db


def pairs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [f"{m['donor']['name']}→{m['recipient']['name']}" for m in response.json()["results"]]


@pytest.fixture
def stored(active_run):
    osaka = CityFactory(name="Osaka", role="both")
    lyon = CityFactory(name="Lyon", country="FR", role="both")
    kyiv = CityFactory(name="Kyiv", country="UA", role="both")
    MatchFactory(run=active_run, donor=osaka, recipient=lyon, score=70)
    MatchFactory(run=active_run, donor=kyiv, recipient=osaka, score=60)
    MatchFactory(run=active_run, donor=lyon, recipient=kyiv, score=90)
    MatchFactory(run=MatchRunFactory(), donor=osaka, recipient=kyiv, score=99)
    return osaka


def test_stored_matches_of_a_city_on_either_side(user_client, stored):
    response = user_client.get(f"/api/cities/{stored.pk}/matches/")
    assert pairs(response) == ["Osaka→Lyon", "Kyiv→Osaka"]
    assert all(m["run"] is not None and m["id"] for m in response.json()["results"])


def test_stored_matches_on_one_side(user_client, stored):
    url = f"/api/cities/{stored.pk}/matches/"
    assert pairs(user_client.get(url, {"as": "recipient"})) == ["Kyiv→Osaka"]
    assert pairs(user_client.get(url, {"as": "donor"})) == ["Osaka→Lyon"]


def test_stored_matches_take_the_match_filters(user_client, stored):
    url = f"/api/cities/{stored.pk}/matches/"
    assert pairs(user_client.get(url, {"recipient_country": "FR"})) == ["Osaka→Lyon"]
    assert pairs(user_client.get(url, {"min_score": 65})) == ["Osaka→Lyon"]
    assert pairs(user_client.get(url, {"ordering": "score"})) == ["Kyiv→Osaka", "Osaka→Lyon"]
    assert user_client.get(url, {"min_score": "abc"}).status_code == 400


def test_city_matches_rules(api_client, user_client, stored):
    assert api_client.get(f"/api/cities/{stored.pk}/matches/").status_code == 401
    assert user_client.get("/api/cities/999999/matches/").status_code == 404
    assert user_client.get(f"/api/cities/{stored.pk}/matches/", {"as": "x"}).status_code == 400
    assert user_client.post(f"/api/cities/{stored.pk}/matches/").status_code == 405


@pytest.mark.parametrize("page_size", [1, 100])
def test_stored_city_matches_cost_fixed_queries(
    user_client, active_run, django_assert_num_queries, page_size
):
    city = CityFactory()
    for _ in range(page_size + 1):
        MatchFactory(run=active_run, recipient=city)
    # token, city, the active run, the page's keys, the bounded count, the page's rows
    with django_assert_num_queries(6):
        response = user_client.get(f"/api/cities/{city.pk}/matches/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


# --- scored on the fly ----------------------------------------------------------------------


@pytest.fixture
def profiles(db, monkeypatch):
    # Start from fresh arrays: the per-process cache may hold another test's cities.
    monkeypatch.setattr(arrays, "_cached", None)
    recipient = CityFactory(
        name="Surabaya",
        country="ID",
        role="recipient",
        population=2_874_314,
        languages=["en", "id"],
        needs={"waste": 3, "air": 2},
    )
    CityFactory(
        name="Kitakyushu",
        role="donor",
        population=940_978,
        languages=["en", "ja"],
        expertise={"waste": 3, "air": 3},
    )
    CityFactory(
        name="Munich",
        country="DE",
        role="donor",
        population=1_500_000,
        languages=["de"],
        expertise={"air": 2},
    )
    CityFactory(name="Lyon", country="FR", role="donor", expertise={"water": 3})
    return recipient


def test_on_the_fly_scores_rank_unsaved_matches(user_client, profiles):
    response = user_client.get(
        f"/api/cities/{profiles.pk}/matches/", {"weights": "need_fit:0.5,size:0.2"}
    )
    # Lyon offers nothing Surabaya needs (need_fit 0): never a match.
    assert pairs(response) == ["Kitakyushu→Surabaya", "Munich→Surabaya"]
    results = response.json()["results"]
    assert all(m["run"] is None and m["id"] is None for m in results)
    assert results[0]["score"] >= results[1]["score"]
    assert results[0]["top_areas"][0]["area"] == "waste"
    assert set(results[0]["components"]) == {
        "need_fit", "evidence", "reciprocity", "size", "industry", "capacity", "budget",
        "language",
    }  # fmt: skip


def test_weights_change_the_scores(user_client, profiles):
    url = f"/api/cities/{profiles.pk}/matches/"
    language_only = user_client.get(url, {"weights": ",".join(
        f"{name}:0" for name in ("need_fit", "evidence", "reciprocity", "size", "industry",
                                 "capacity", "budget")
    ) + ",language:1"}).json()["results"]  # fmt: skip
    scores = {m["donor"]["name"]: m["score"] for m in language_only}
    assert scores == {"Kitakyushu": 100.0, "Munich": 0.0}


def test_on_the_fly_takes_the_match_filters_and_pages(user_client, profiles):
    url = f"/api/cities/{profiles.pk}/matches/"
    assert pairs(user_client.get(url, {"weights": "", "donor_country": "DE"})) == [
        "Munich→Surabaya"
    ]
    assert pairs(user_client.get(url, {"weights": "", "language": "en"})) == ["Kitakyushu→Surabaya"]
    assert pairs(user_client.get(url, {"weights": "", "policy_area": "waste"})) == [
        "Kitakyushu→Surabaya"
    ]
    assert pairs(user_client.get(url, {"weights": "", "ordering": "score"})) == [
        "Munich→Surabaya",
        "Kitakyushu→Surabaya",
    ]
    page = user_client.get(url, {"weights": "", "page_size": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]


def test_on_the_fly_as_donor(user_client, profiles):
    kitakyushu = profiles.__class__.objects.get(name="Kitakyushu")
    url = f"/api/cities/{kitakyushu.pk}/matches/"
    assert pairs(user_client.get(url, {"weights": "need_fit:1", "as": "donor"})) == [
        "Kitakyushu→Surabaya"
    ]
    # Kitakyushu is only a donor: as a recipient it has no matches.
    assert pairs(user_client.get(url, {"weights": "need_fit:1"})) == []


def test_on_the_fly_csv(user_client, profiles):
    response = user_client.get(
        f"/api/cities/{profiles.pk}/matches/", {"weights": "need_fit:1", "format": "csv"}
    )
    assert response.status_code == 200
    assert "matches-surabaya-id" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["donor_name"], row["run"], row["id"]) for row in rows] == [
        ("Kitakyushu", "", ""),
        ("Munich", "", ""),
    ]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("need_fi:0.5", "Unknown weight 'need_fi'"),
        ("need_fit:abc", "'abc' is not a number"),
        ("need_fit:-0.5", "cannot be negative"),
        ("need_fit:nan", "not a usable weight"),
        ("need_fit:1e999", "not a usable weight"),
        ("need_fit", "is not name:number"),
        (
            "need_fit:0,evidence:0,reciprocity:0,size:0,industry:0,capacity:0,budget:0,language:0",
            "greater than 0",
        ),
    ],
)
def test_bad_weights_are_400_naming_the_problem(user_client, profiles, weights, message):
    response = user_client.get(f"/api/cities/{profiles.pk}/matches/", {"weights": weights})
    assert response.status_code == 400
    assert message in " ".join(response.json()["weights"])


def test_on_the_fly_refuses_bad_filters_and_run(user_client, profiles, active_run):
    url = f"/api/cities/{profiles.pk}/matches/"
    response = user_client.get(url, {"weights": "size:1", "min_score": "x"})
    assert response.status_code == 400 and "min_score" in response.json()
    response = user_client.get(url, {"weights": "size:1", "run": active_run.pk})
    assert response.status_code == 400 and "run" in response.json()
    assert user_client.get(url, {"weights": "size:1", "as": "both"}).status_code == 400
