"""Tokens, sign-in rules, throttling and the error answers of API.md."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import CityFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_token_for_username_and_password(api_client, user):
    response = api_client.post(
        "/api/auth/token/", {"username": user.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 200
    key = response.json()["token"]
    assert key == Token.objects.get(user=user).key
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/cities/").status_code == 200


def test_token_with_json_body(api_client, user):
    response = api_client.post(
        "/api/auth/token/",
        {"username": user.username, "password": "correct-horse-battery"},
        format="json",
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"username": "user-x", "password": "wrong"},
        {"username": "user-x"},
        {},
    ],
)
def test_bad_credentials_are_400(api_client, body):
    response = api_client.post("/api/auth/token/", body)
    assert response.status_code == 400
    assert "token" not in response.json()


def test_unknown_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert api_client.get("/api/cities/").status_code == 401


@pytest.mark.parametrize(
    "url", ["/api/cities/", "/api/matches/", "/api/match-runs/", "/api/organizations/"]
)
def test_private_resources_need_sign_in(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize(
    "url", ["/api/policy-areas/", "/api/sectors/", "/api/health/", "/api/schema/", "/api/"]
)
def test_public_resources(api_client, url):
    assert api_client.get(url).status_code == 200


def test_organizations_list_and_filters(user_client):
    OrganizationFactory(name="JICA", kind="national_agency", countries=["ID", "VN"])
    OrganizationFactory(name="ICLEI", kind="city_network", countries=[])
    OrganizationFactory(name="KfW", kind="multilateral_bank", countries=["DE"])

    def names(params: dict) -> set[str]:
        response = user_client.get("/api/organizations/", params)
        return {org["name"] for org in response.json()["results"]}

    assert names({}) == {"JICA", "ICLEI", "KfW"}
    assert names({"kind": "city_network"}) == {"ICLEI"}
    assert names({"country": "ID"}) == {"JICA", "ICLEI"}
    assert names({"q": "kf"}) == {"KfW"}
    assert user_client.get("/api/organizations/", {"kind": "club"}).status_code == 400


def test_organizations_are_read_only_even_for_admins(admin_client):
    org = OrganizationFactory()
    assert admin_client.get(f"/api/organizations/{org.pk}/").json()["name"] == org.name
    assert admin_client.post("/api/organizations/", {"name": "X"}).status_code == 405
    assert admin_client.patch(f"/api/organizations/{org.pk}/", {"name": "X"}).status_code == 405


@pytest.mark.parametrize("page_size", [1, 100])
def test_organization_list_costs_fixed_queries(user_client, django_assert_num_queries, page_size):
    for _ in range(page_size + 1):
        OrganizationFactory().policy_areas.set([1, 2])
    with django_assert_num_queries(4):  # token, count, page, policy areas
        response = user_client.get("/api/organizations/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


def test_unsupported_content_type_is_415(admin_client):
    response = admin_client.post("/api/cities/", "name=x", content_type="text/plain")
    assert response.status_code == 415
    assert "text/plain" in response.json()["detail"]


def test_malformed_json_is_400(admin_client):
    response = admin_client.post("/api/cities/", '{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_json_that_is_not_an_object_is_400(admin_client):
    response = admin_client.post("/api/cities/", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_nan_in_json_is_400(admin_client):
    response = admin_client.post(
        "/api/cities/", '{"name": "X", "latitude": NaN}', content_type="application/json"
    )
    assert response.status_code == 400


def test_wrong_method_is_405(user_client):
    city = CityFactory()
    assert user_client.post(f"/api/cities/{city.pk}/", {}).status_code == 405
    assert user_client.delete("/api/cities/").status_code == 405
    assert user_client.put("/api/health/").status_code == 405


@pytest.mark.parametrize("value", ["xml", ""])
def test_unknown_format_is_a_400_naming_the_formats(user_client, value):
    response = user_client.get("/api/cities/", {"format": value})
    assert response.status_code == 400
    assert response.json()["format"][0].endswith("one of: json, api, csv.")


@pytest.mark.parametrize("value", ["maybe", "-1", "2"])
def test_a_yes_no_filter_refuses_other_words(user_client, value):
    response = user_client.get("/api/match-runs/", {"is_active": value})
    assert response.status_code == 400
    assert response.json() == {"is_active": ["Must be true or false."]}
    assert user_client.get("/api/match-runs/", {"is_active": "true"}).status_code == 200


def test_a_page_that_is_no_number_is_404_in_csv_too(user_client):
    response = user_client.get("/api/cities/", {"page": "false", "format": "csv"})
    assert response.status_code == 404


def test_multipart_city_write_takes_json_parts(admin_client):
    city = CityFactory(name="Hue", country="VN")
    response = admin_client.patch(
        f"/api/cities/{city.pk}/",
        {"population": "455000", "expertise": '{"waste": 3}', "sectors": '{"C": 0.5}'},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["expertise"] == {"waste": 3}
    assert response.json()["population"] == 455000


def test_public_practice_reads_need_no_sign_in_in_the_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    practices = schema["paths"]["/api/best-practices/"]
    assert {} in practices["get"]["security"]
    assert {} not in practices["post"]["security"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "429" in operation["responses"] or path == "/api/health/", (path, method)
            if "{" in path:
                assert "404" in operation["responses"], (path, method)


@pytest.fixture
def low_rates(monkeypatch):
    # The throttle classes read their rates once, at import: lower them where they live.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "3/min"})


def test_anonymous_clients_are_throttled_with_retry_after(api_client, low_rates):
    for _ in range(2):
        assert api_client.get("/api/policy-areas/").status_code == 200
    response = api_client.get("/api/policy-areas/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_signed_in_users_are_throttled_per_user(user_client, admin_client, low_rates):
    for _ in range(3):
        assert user_client.get("/api/cities/").status_code == 200
    assert user_client.get("/api/cities/").status_code == 429
    # another user has a budget of their own
    assert admin_client.get("/api/cities/").status_code == 200


def test_health_is_not_throttled(api_client, low_rates):
    for _ in range(5):
        assert api_client.get("/api/health/").status_code == 200


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_body_over_the_upload_limit_is_413(agency_client, settings, fmt):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = agency_client.post("/api/cities/", {"name": "x" * 1000}, format=fmt)
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}


@pytest.mark.parametrize("value", ["7.0", "1e3", "seven"])
def test_an_id_filter_takes_digits_only(user_client, value):
    response = user_client.get("/api/matches/", {"city": value})
    assert response.status_code == 400
    assert response.json() == {"city": ["Enter a whole number."]}
