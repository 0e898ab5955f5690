"""Policy areas and sectors: public, read-only, looked up by code."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_policy_areas_are_public_with_their_sdg_targets(api_client):
    response = api_client.get("/api/policy-areas/", {"page_size": 100})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 18
    waste = next(area for area in body["results"] if area["code"] == "waste")
    assert waste["name"] == "Solid waste management"
    assert waste["sdg_targets"] == ["11.6", "12.3", "12.5"]
    assert set(waste) == {"code", "name", "description", "sdg_targets"}


def test_policy_area_detail_by_code_and_unknown_code_is_404(api_client):
    assert api_client.get("/api/policy-areas/air/").json()["name"] == "Air quality"
    assert api_client.get("/api/policy-areas/nothing/").status_code == 404


def test_policy_areas_filter_by_text(api_client):
    codes = [
        a["code"] for a in api_client.get("/api/policy-areas/", {"q": "water"}).json()["results"]
    ]
    assert "water" in codes and "sanitation" in codes and "air" not in codes


def test_sectors_are_public_isic_sections(api_client):
    body = api_client.get("/api/sectors/", {"page_size": 50}).json()
    assert [s["code"] for s in body["results"]] == [chr(c) for c in range(ord("A"), ord("U") + 1)]
    assert api_client.get("/api/sectors/E/").json()["code"] == "E"


@pytest.mark.parametrize("url", ["/api/policy-areas/", "/api/sectors/"])
def test_taxonomies_cannot_be_written_over_the_api(admin_client, url):
    assert admin_client.post(url, {"code": "x", "name": "X"}).status_code == 405


@pytest.mark.parametrize("page_size", [1, 100])
@pytest.mark.parametrize("url", ["/api/policy-areas/", "/api/sectors/"])
def test_taxonomy_lists_cost_two_queries(api_client, django_assert_num_queries, url, page_size):
    with django_assert_num_queries(2):  # count + page
        assert api_client.get(url, {"page_size": page_size}).status_code == 200
