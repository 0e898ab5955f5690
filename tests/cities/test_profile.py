"""The profile schema and its one check: every write path refuses the same values in the same
words, a limit from the settings included."""

from __future__ import annotations

import dataclasses
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cities.importing import COLUMNS, CityImportError, import_cities
from cities.models import City, PolicyArea, Sector
from cities.profile import FIELD, Limit
from cities.validation import clean_profile
from tests.api_clients import token_client
from tests.factories import CityFactory, UserFactory

from .helpers import KITAKYUSHU, csv_bytes

pytestmark = pytest.mark.django_db

BUDGET_WORDS = "at most USD 1,000,000,000 a year"


def test_the_import_columns_are_those_of_api_md_in_its_order():
    header = (
        "name,country,latitude,longitude,population,role,languages,"
        "has_international_department,international_staff,years_of_cooperation,"
        "absorptive_capacity,cooperation_budget_usd,cofunding_usd,expertise,needs,sectors"
    )
    assert ",".join(COLUMNS) == header


def test_clean_profile_names_every_bad_field_in_plain_words():
    with pytest.raises(ValidationError) as caught:
        clean_profile(
            {
                "population": 0,
                "latitude": float("nan"),
                "role": "sponsor",
                "languages": ["en", "xx"],
                "absorptive_capacity": 6,
                "expertise": {"waste": 4, "wste": 1},
                "sectors": {"C": -1},
            },
            policy_areas={"waste", "air"},
            sectors={"C"},
        )
    assert caught.value.message_dict == {
        "population": ["must be a positive integer"],
        "latitude": ["must be a number from -90 to 90"],
        "role": ["'sponsor' is not a role (use donor, recipient or both)"],
        "languages": ["not ISO 639-1 language codes: xx"],
        "absorptive_capacity": ["must be a whole number from 0 to 5"],
        "expertise": [
            "the level of 'waste' must be 0, 1, 2 or 3, not '4'; unknown policy area 'wste'"
        ],
        "sectors": ["the share of 'C' must be a number ≥ 0, not '-1'"],
    }


def test_clean_profile_gives_values_in_their_stored_form():
    cleaned = clean_profile(
        {
            "name": " Hue ",
            "country": "vn",
            "languages": ["VI", "en", "vi"],
            "expertise": {"waste": 0, "air": "2"},
            "sectors": {"c": 0.5, "E": 0},
            "slug": "not-a-profile-field",
        },
        policy_areas={"waste", "air"},
        sectors={"C", "E"},
    )
    assert cleaned == {
        "name": "Hue",
        "country": "VN",
        "languages": ["en", "vi"],
        "expertise": {"air": 2},
        "sectors": {"C": 0.5},
        "slug": "not-a-profile-field",
    }


# --- A limit from the settings, the same on every path -------------------------------------


@pytest.fixture
def budget_limit(monkeypatch):
    """The yearly budget capped at USD 1,000,000,000, or at CITY_BUDGET_LIMIT_USD when set."""
    field = FIELD["cooperation_budget_usd"]
    limit = Limit(1_000_000_000, "at most USD %(limit)s a year", setting="CITY_BUDGET_LIMIT_USD")
    monkeypatch.setitem(FIELD, field.name, dataclasses.replace(field, limit=limit))


def test_the_limit_follows_the_setting(budget_limit, settings):
    with pytest.raises(ValidationError) as caught:
        clean_profile({"cooperation_budget_usd": 1_000_000_001})
    assert caught.value.messages == [BUDGET_WORDS]
    settings.CITY_BUDGET_LIMIT_USD = 5_000_000_000
    assert clean_profile({"cooperation_budget_usd": 5_000_000_000})
    with pytest.raises(ValidationError) as caught:
        clean_profile({"cooperation_budget_usd": 5_000_000_001})
    assert caught.value.messages == ["at most USD 5,000,000,000 a year"]


def test_the_import_refuses_past_the_limit(budget_limit):
    data = csv_bytes([dict(KITAKYUSHU, cooperation_budget_usd="2000000000")])
    with pytest.raises(CityImportError) as caught:
        import_cities(io.BytesIO(data), filename="cities.csv")
    assert [str(error) for error in caught.value.errors] == [
        f"row 2, cooperation_budget_usd: {BUDGET_WORDS}"
    ]


def test_the_api_refuses_past_the_limit(budget_limit, agency_user):
    city = {
        "name": "Kitakyushu",
        "country": "JP",
        "latitude": 33.88,
        "longitude": 130.88,
        "population": 940978,
        "role": "donor",
        "cooperation_budget_usd": 2_000_000_000,
    }
    response = token_client(agency_user).post("/api/cities/", city, format="json")
    assert response.status_code == 400
    assert response.json() == {"cooperation_budget_usd": [BUDGET_WORDS]}
    assert not City.objects.exists()


def test_the_profile_page_refuses_past_the_limit(budget_limit, client):
    city = CityFactory(cooperation_budget_usd=5)
    editor = UserFactory()
    city.editors.add(editor)
    client.force_login(editor)
    data = {
        "role": "both",
        "population": "455000",
        "latitude": "16.46",
        "longitude": "107.59",
        "languages": "vi",
        "international_staff": "3",
        "years_of_cooperation": "12",
        "absorptive_capacity": "3",
        "cooperation_budget_usd": "2000000000",
        "cofunding_usd": "0",
        "sources": "",
    }
    for area in PolicyArea.objects.all():
        data |= {f"expertise_{area.code}": "0", f"need_{area.code}": "0"}
    response = client.post(reverse("city-edit", args=[city.slug]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"cooperation_budget_usd": [BUDGET_WORDS]}
    city.refresh_from_db()
    assert city.cooperation_budget_usd == 5


def admin_form_data(city: City, **changes) -> dict:
    data = {
        "name": city.name,
        "country": city.country,
        "role": city.role,
        "latitude": city.latitude,
        "longitude": city.longitude,
        "population": city.population,
        "languages": "ja, EN",
        "international_staff": 3,
        "years_of_cooperation": 4,
        "absorptive_capacity": 2,
        "cooperation_budget_usd": 1000,
        "cofunding_usd": 0,
        "sources": "",
        "_save": "Save",
    }
    for prefix in ("area_levels", "sector_shares"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    data |= {
        "area_levels-0-policy_area": PolicyArea.objects.get(code="waste").pk,
        "area_levels-0-expertise": "3",
        "area_levels-0-need": "1",
        "sector_shares-0-sector": Sector.objects.get(code="E").pk,
        "sector_shares-0-share": "0.2",
    }
    return data | changes


def test_the_admin_refuses_past_the_limit(budget_limit, admin_client):
    city = CityFactory(cooperation_budget_usd=5)
    url = reverse("admin:cities_city_change", args=[city.pk])
    data = admin_form_data(city, slug=city.slug, cooperation_budget_usd=2_000_000_000)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"cooperation_budget_usd": [BUDGET_WORDS]}
    city.refresh_from_db()
    assert city.cooperation_budget_usd == 5


# --- The admin writes through the service ----------------------------------------------------


def test_a_city_added_in_the_admin_is_created_by_the_service(
    admin_client, profile_signals, django_capture_on_commit_callbacks
):
    editor = UserFactory()
    data = admin_form_data(
        City(name="Hội An", country="VN", role="recipient", latitude=15.88, longitude=108.33),
        population=120_000,
        editors=[editor.pk],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:cities_city_add"), data)

    assert response.status_code == 302
    city = City.objects.get(name="Hội An")
    assert city.slug == "hoi-an-vn"
    assert city.region == "AS"
    assert city.languages == ["en", "ja"]
    assert list(city.editors.all()) == [editor]
    assert {row.policy_area.code: (row.expertise, row.need) for row in city.area_levels.all()} == {
        "waste": (3, 1)
    }
    assert {row.sector.code: row.share for row in city.sector_shares.all()} == {"E": 0.2}
    assert profile_signals == [([city.pk], "admin")]
