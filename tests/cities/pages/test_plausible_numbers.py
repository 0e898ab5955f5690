"""Plausible numbers: every numeric profile field stops where a real city does, in plain words,
the same on the profile page, the API, the import and the admin, and a setting raises it."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from cities.importing import CityImportError, import_cities
from cities.models import City
from tests.api_clients import token_client
from tests.factories import CityFactory

from ..helpers import KITAKYUSHU, csv_bytes
from ..test_admin import change_form_data
from .test_city_edit import _valid_post

pytestmark = pytest.mark.django_db

WORDS = {
    "population": "at most 40,000,000 inhabitants",
    "international_staff": "at most 10,000 people",
    "years_of_cooperation": "at most 200 years",
    "cooperation_budget_usd": "at most USD 1,000,000,000 a year",
    "cofunding_usd": "at most USD 1,000,000,000",
}
TOO_MUCH = {
    "population": 40_000_001,
    "international_staff": 10_001,
    "years_of_cooperation": 201,
    "cooperation_budget_usd": 9_000_000_000_000_000_000,
    "cofunding_usd": 1_000_000_001,
}
API_CITY = {
    "name": "Kitakyushu",
    "country": "JP",
    "latitude": 33.88,
    "longitude": 130.88,
    "population": 940978,
    "role": "donor",
}


@pytest.mark.parametrize("field", sorted(TOO_MUCH))
def test_the_api_refuses_an_absurd_number_in_words(agency_user, field):
    response = token_client(agency_user).post(
        "/api/cities/", {**API_CITY, field: TOO_MUCH[field]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {field: [WORDS[field]]}
    assert not City.objects.exists()


def test_past_what_the_database_stores_the_words_stay_plain(agency_user):
    response = token_client(agency_user).post(
        "/api/cities/", {**API_CITY, "cooperation_budget_usd": 10**30}, format="json"
    )
    assert response.json() == {"cooperation_budget_usd": [WORDS["cooperation_budget_usd"]]}


def test_the_profile_page_refuses_and_keeps_the_stored_profile(editor_client, recipient):
    before = City.objects.get(pk=recipient.pk).population
    url = reverse("city-edit", args=[recipient.slug])
    response = editor_client.post(
        url, _valid_post(population="50000000", cooperation_budget_usd="9000000000000000000")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert WORDS["population"] in page
    assert WORDS["cooperation_budget_usd"] in page
    assert "less than or equal to" not in page
    assert City.objects.get(pk=recipient.pk).population == before


def test_the_import_names_row_and_field(db):
    rows = [dict(KITAKYUSHU), dict(KITAKYUSHU, name="Big", population="41000000")]
    with pytest.raises(CityImportError) as caught:
        import_cities(io.BytesIO(csv_bytes(rows)), filename="cities.csv")
    assert [str(error) for error in caught.value.errors] == [
        f"row 3, population: {WORDS['population']}"
    ]
    assert not City.objects.exists()


def test_the_admin_refuses_in_the_same_words(admin_client):
    city = CityFactory()
    url = reverse("admin:cities_city_change", args=[city.pk])
    response = admin_client.post(url, change_form_data(city, international_staff="20000"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["international_staff"] == [
        WORDS["international_staff"]
    ]
    assert City.objects.get(pk=city.pk).international_staff == city.international_staff


def test_a_setting_raises_a_limit(agency_user, settings):
    settings.CITY_POPULATION_LIMIT = 60_000_000
    response = token_client(agency_user).post(
        "/api/cities/", {**API_CITY, "population": 50_000_000}, format="json"
    )
    assert response.status_code == 201
    response = token_client(agency_user).post(
        "/api/cities/",
        {**API_CITY, "name": "Larger", "population": 60_000_001},
        format="json",
    )
    assert response.json() == {"population": ["at most 60,000,000 inhabitants"]}


def test_the_model_validators_name_the_field_not_the_number(db):
    city = CityFactory.build(population=50_000_000)
    with pytest.raises(Exception) as caught:
        city.full_clean()
    assert caught.value.message_dict["population"] == [WORDS["population"]]


def test_the_page_refuses_a_number_past_any_column_in_words(editor_client, recipient):
    url = reverse("city-edit", args=[recipient.slug])
    response = editor_client.post(url, _valid_post(cofunding_usd="1" + "0" * 30))
    page = response.content.decode()
    assert WORDS["cofunding_usd"] in page
    assert "less than or equal to" not in page
