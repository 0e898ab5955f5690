"""/api/cities/: reading with filters, and writes by the people API.md names."""

from __future__ import annotations

import pytest

from cities.models import City
from tests.factories import CityFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_CITY = {
    "name": "Kitakyushu",
    "country": "JP",
    "latitude": 33.88,
    "longitude": 130.88,
    "population": 940978,
    "role": "donor",
    "languages": ["ja", "en"],
    "has_international_department": True,
    "international_staff": 12,
    "years_of_cooperation": 30,
    "absorptive_capacity": 5,
    "cooperation_budget_usd": 800000,
    "cofunding_usd": 0,
    "expertise": {"waste": 3, "air": 3, "water": 2},
    "needs": {"economy": 2},
    "sectors": {"C": 0.3, "E": 0.1},
}


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {city["name"] for city in response.json()["results"]}


def test_anonymous_users_get_401(api_client):
    CityFactory()
    response = api_client.get("/api/cities/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_city_detail_has_every_field_of_api_md(user_client):
    city = CityFactory(
        name="Kitakyushu",
        expertise={"waste": 3, "air": 2},
        needs={"economy": 2},
        sectors={"C": 0.3},
    )
    body = user_client.get(f"/api/cities/{city.pk}/").json()
    assert set(body) == {
        "id", "name", "slug", "country", "region", "latitude", "longitude", "population", "role",
        "languages", "has_international_department", "international_staff",
        "years_of_cooperation", "absorptive_capacity", "cooperation_budget_usd", "cofunding_usd",
        "expertise", "needs", "sectors", "updated_at",
    }  # fmt: skip
    assert body["region"] == "AS"
    assert body["expertise"] == {"waste": 3, "air": 2}
    assert body["needs"] == {"economy": 2}
    assert body["sectors"] == {"C": 0.3}


def test_session_sign_in_reads_cities_too(client, user):
    CityFactory(name="Osaka")
    client.force_login(user)
    assert client.get("/api/cities/").json()["count"] == 1


def test_unknown_city_is_404(user_client):
    assert user_client.get("/api/cities/999999/").status_code == 404
    assert user_client.get("/api/cities/99999999999999999999999/").status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "osa"}, {"Osaka"}),
        ({"country": "DE"}, {"Munich"}),
        ({"region": "EU"}, {"Munich"}),
        ({"role": "donor"}, {"Kitakyushu", "Osaka", "Munich"}),
        ({"role": "recipient"}, {"Surabaya", "Munich"}),
        ({"role": "both"}, {"Munich"}),
        ({"population_min": 1_000_000}, {"Surabaya", "Munich"}),
        ({"population_max": 999_999}, {"Kitakyushu", "Osaka"}),
        ({"offers": "waste"}, {"Kitakyushu"}),
        ({"needs": "waste"}, {"Surabaya"}),
        ({"sector": "E"}, {"Kitakyushu"}),
        ({"has_international_department": "false"}, {"Surabaya"}),
        ({"has_international_department": "true"}, {"Kitakyushu", "Osaka", "Munich"}),
        ({"language": "de"}, {"Munich"}),
        ({"language": "en", "role": "donor"}, {"Kitakyushu"}),
    ],
)
def test_city_filters(user_client, params, expected):
    CityFactory(
        name="Kitakyushu",
        role="donor",
        population=940_978,
        languages=["ja", "en"],
        expertise={"waste": 3, "air": 1},
        sectors={"C": 0.5, "E": 0.3},
    )
    CityFactory(name="Osaka", role="donor", population=900_000, languages=["ja"])
    CityFactory(
        name="Surabaya",
        country="ID",
        role="recipient",
        population=2_874_314,
        languages=["id", "en"],
        has_international_department=False,
        needs={"waste": 3, "air": 1},
        expertise={"waste": 1},
        sectors={"C": 0.95, "E": 0.05},
    )
    CityFactory(name="Munich", country="DE", role="both", population=1_500_000, languages=["de"])
    assert names(user_client.get("/api/cities/", params)) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"region": "ZZ"}, "region"),
        ({"role": "giver"}, "role"),
        ({"population_min": "many"}, "population_min"),
        ({"population_max": "99999999999999999999999999"}, "population_max"),
        ({"population_min": "-1"}, "population_min"),
        ({"offers": "wste"}, "offers"),
        ({"needs": "nothing"}, "needs"),
        ({"sector": "Z"}, "sector"),
        ({"language": "english"}, "language"),
        ({"language": "E%"}, "language"),
    ],
)
def test_bad_city_filters_are_400_naming_the_filter(user_client, params, field):
    response = user_client.get("/api/cities/", params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("params", [{"page": "abc"}, {"page": "999"}, {"page": "0"}])
def test_bad_pages_are_404(user_client, params):
    CityFactory()
    assert user_client.get("/api/cities/", params).status_code == 404


@pytest.mark.parametrize("page_size", ["0", "-3", "abc", "", "501", "99999999999999999999"])
@pytest.mark.parametrize("format", ["json", "csv"])
def test_bad_page_sizes_are_a_400_naming_the_parameter(user_client, page_size, format):
    CityFactory()
    response = user_client.get("/api/cities/", {"page_size": page_size, "format": format})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Must be a whole number from 1 to 500."]}


def test_page_size_goes_up_to_500(user_client):
    CityFactory.create_batch(3)
    body = user_client.get("/api/cities/", {"page_size": 500}).json()
    assert len(body["results"]) == 3


@pytest.mark.parametrize("page_size", [1, 100])
def test_city_list_costs_a_fixed_number_of_queries(
    user_client, django_assert_num_queries, page_size
):
    for n in range(page_size + 1):
        CityFactory(expertise={"waste": n % 4}, needs={"air": 2}, sectors={"E": 0.1, "C": 0.2})
    # token, count, cities, area levels, sector shares
    with django_assert_num_queries(5):
        response = user_client.get("/api/cities/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


# --- writes ---------------------------------------------------------------------------------


def test_agency_user_creates_a_city_and_becomes_its_editor(agency_client, agency_user):
    response = agency_client.post("/api/cities/", NEW_CITY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "kitakyushu-jp"
    assert body["region"] == "AS"
    assert body["languages"] == ["en", "ja"]
    assert body["expertise"] == {"waste": 3, "air": 3, "water": 2}
    assert body["sectors"] == {"C": 0.3, "E": 0.1}
    city = City.objects.get(slug="kitakyushu-jp")
    assert city.area_levels.get(policy_area__code="economy").need == 2
    assert list(city.editors.all()) == [agency_user]


def test_admin_creates_a_city(admin_client):
    assert admin_client.post("/api/cities/", NEW_CITY, format="json").status_code == 201


def test_plain_user_cannot_create_a_city(user_client):
    response = user_client.post("/api/cities/", NEW_CITY, format="json")
    assert response.status_code == 403
    assert not City.objects.exists()


def test_anonymous_cannot_create_a_city(api_client):
    assert api_client.post("/api/cities/", NEW_CITY, format="json").status_code == 401


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"expertise": {"wste": 3}}, {"expertise": {"wste": ["Unknown policy area."]}}),
        (
            {"expertise": {"waste": 4}},
            {"expertise": {"waste": ["Ensure this value is less than or equal to 3."]}},
        ),
        ({"sectors": {"Z": 0.1}}, {"sectors": {"Z": ["Unknown sector."]}}),
        (
            {"sectors": {"C": -1}},
            {"sectors": {"C": ["Ensure this value is greater than or equal to 0."]}},
        ),
        ({"population": 0}, {"population": ["Ensure this value is greater than or equal to 1."]}),
        ({"country": "XX"}, {"country": ['"XX" is not a valid choice.']}),
        ({"latitude": 91}, {"latitude": ["Ensure this value is less than or equal to 90."]}),
        ({"role": "giver"}, {"role": ['"giver" is not a valid choice.']}),
        (
            {"absorptive_capacity": 6},
            {"absorptive_capacity": ["Ensure this value is less than or equal to 5."]},
        ),
        ({"expertise": [1, 2]}, {"expertise": ['Expected an object such as {"waste": 2}.']}),
        ({"languages": ["ja", "en", "ja"]}, {"languages": ["Give each language once: ja."]}),
        (
            {"has_international_department": "true"},
            {"has_international_department": ["Must be a valid boolean."]},
        ),
    ],
)
def test_bad_city_is_400_with_field_errors_and_writes_nothing(agency_client, change, errors):
    response = agency_client.post("/api/cities/", {**NEW_CITY, **change}, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not City.objects.exists()


def test_unknown_language_is_refused_naming_the_field(agency_client):
    response = agency_client.post("/api/cities/", {**NEW_CITY, "languages": ["xx"]}, format="json")
    assert response.status_code == 400
    assert "languages" in response.json()
    assert not City.objects.exists()


def test_missing_fields_are_named(agency_client):
    response = agency_client.post("/api/cities/", {"name": "Nowhere"}, format="json")
    assert response.status_code == 400
    assert {"country", "latitude", "longitude", "population"} <= set(response.json())


def test_same_name_and_country_twice_is_400(agency_client):
    CityFactory(name="Kitakyushu", country="JP")
    response = agency_client.post("/api/cities/", NEW_CITY, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_editor_patches_own_city_and_profile_parts_are_replaced(client_of):
    editor = UserFactory()
    city = CityFactory(name="Osaka", expertise={"waste": 2, "air": 1}, needs={"water": 3})
    city.editors.add(editor)
    response = client_of(editor).patch(
        f"/api/cities/{city.pk}/",
        {"population": 2_750_000, "expertise": {"energy": 3}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["population"] == 2_750_000
    assert response.json()["expertise"] == {"energy": 3}
    assert response.json()["needs"] == {"water": 3}
    city.refresh_from_db()
    assert city.population == 2_750_000


def test_editor_of_osaka_cannot_patch_kitakyushu(client_of):
    editor = UserFactory()
    osaka = CityFactory(name="Osaka")
    osaka.editors.add(editor)
    kitakyushu = CityFactory(name="Kitakyushu", population=940_978)
    client = client_of(editor)
    for method in (client.patch, client.put):
        response = method(f"/api/cities/{kitakyushu.pk}/", {"population": 1}, format="json")
        assert response.status_code == 403
    assert client.delete(f"/api/cities/{kitakyushu.pk}/").status_code == 403
    kitakyushu.refresh_from_db()
    assert kitakyushu.population == 940_978


def test_agency_user_cannot_change_a_city_it_does_not_edit(agency_client):
    city = CityFactory()
    assert agency_client.patch(f"/api/cities/{city.pk}/", {"population": 5}).status_code == 403


def test_admin_puts_a_whole_city(admin_client):
    city = CityFactory(name="Osaka", needs={"water": 3})
    response = admin_client.put(
        f"/api/cities/{city.pk}/", {**NEW_CITY, "name": "Osaka"}, format="json"
    )
    assert response.status_code == 200, response.content
    city.refresh_from_db()
    assert city.population == NEW_CITY["population"]
    assert response.json()["needs"] == {"economy": 2}
    assert city.slug == response.json()["slug"]


def test_patch_with_bad_values_changes_nothing(admin_client):
    city = CityFactory(expertise={"waste": 2})
    response = admin_client.patch(
        f"/api/cities/{city.pk}/", {"population": 10, "expertise": {"wste": 1}}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"expertise": {"wste": ["Unknown policy area."]}}
    city.refresh_from_db()
    assert city.population == 500_000


def test_editor_deletes_own_city(client_of):
    editor = UserFactory()
    city = CityFactory()
    city.editors.add(editor)
    assert client_of(editor).delete(f"/api/cities/{city.pk}/").status_code == 204
    assert not City.objects.exists()


def test_a_new_policy_area_is_a_valid_filter_at_once(user_client):
    from cities.models import PolicyArea

    assert user_client.get("/api/cities/", {"offers": "noise"}).status_code == 400
    PolicyArea.objects.create(code="noise", name="Noise", position=99)
    assert user_client.get("/api/cities/", {"offers": "noise"}).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"population": 10**30},
        {"international_staff": 10**12},
        {"cooperation_budget_usd": -1},
        {"latitude": "1e999"},
        {"expertise": {"waste": 10**30}},
        {"sectors": {"C": 1e300}},
        {"languages": "en"},
        {"name": ""},
    ],
)
def test_out_of_range_values_are_400_not_500(agency_client, change):
    response = agency_client.post("/api/cities/", {**NEW_CITY, **change}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(change)
    assert not City.objects.exists()


@pytest.mark.parametrize(("value", "status"), [("true", 201), ("false", 201), ("0", 400)])
def test_multipart_writes_take_true_or_false_for_yes_no_fields(agency_client, value, status):
    fields = {k: v for k, v in NEW_CITY.items() if not isinstance(v, dict | list)}
    response = agency_client.post(
        "/api/cities/", {**fields, "has_international_department": value}, format="multipart"
    )
    assert response.status_code == status, response.content
    if status == 400:
        assert list(response.json()) == ["has_international_department"]
