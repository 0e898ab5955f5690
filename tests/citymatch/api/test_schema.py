"""The OpenAPI schema is valid and documents the filters; the docs page needs no CDN."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

MATCH_FILTERS = [
    "donor", "recipient", "city", "donor_country", "recipient_country", "donor_region",
    "recipient_region", "policy_area", "sector", "min_score", "max_score", "size_ratio_max",
    "language", "exclude_existing", "run", "ordering", "page", "page_size",
]  # fmt: skip
CITY_FILTERS = [
    "q", "country", "region", "role", "population_min", "population_max", "offers", "needs",
    "sector", "has_international_department", "language",
]  # fmt: skip


def test_schema_is_valid_openapi_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    # --validate runs openapi-spec-validator; --fail-on-warn turns any warning into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_has_every_endpoint_of_api_md(schema):
    paths = set(schema["paths"])
    assert {
        "/api/policy-areas/",
        "/api/sectors/",
        "/api/cities/",
        "/api/cities/{id}/",
        "/api/cities/{id}/matches/",
        "/api/cities/import/",
        "/api/matches/",
        "/api/matches/{id}/",
        "/api/match-runs/",
        "/api/match-runs/{id}/",
        "/api/organizations/",
        "/api/health/",
        "/api/auth/token/",
    } <= paths


def parameters(schema, path) -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}


def test_match_filters_are_documented_with_help_texts(schema):
    params = parameters(schema, "/api/matches/")
    for name in MATCH_FILTERS:
        assert name in params, name
        assert params[name].get("description"), name
    assert "10%" in params["sector"]["description"]
    assert set(parameters(schema, "/api/cities/{id}/matches/")) >= {"weights", "as", "donor"}


def test_city_filters_are_documented(schema):
    params = parameters(schema, "/api/cities/")
    for name in CITY_FILTERS:
        assert params[name].get("description"), name


def test_key_endpoints_have_examples(schema):
    city_create = schema["paths"]["/api/cities/"]["post"]["requestBody"]["content"]
    assert city_create["application/json"]["examples"]
    match = schema["paths"]["/api/matches/{id}/"]["get"]["responses"]["200"]["content"]
    assert match["application/json"]["examples"]


def test_docs_page_is_served_from_local_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any("swagger-ui" in url for url in urls)
    for url in urls:
        assert url.startswith(("/static/", "/api/docs/?script")), url
    assert "cdn" not in html.lower()
    # The page's own script is a file too (the Content-Security-Policy allows no inline code).
    assert "<script>" not in html and "<style>" not in html
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
