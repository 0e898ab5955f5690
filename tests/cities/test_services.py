"""Profile writes through cities.services: one transaction, validated, signal after commit."""

import pytest
from django.core.exceptions import ValidationError

from cities import services
from cities.models import City, CityAreaLevel, CitySector
from tests.factories import CityFactory

pytestmark = pytest.mark.django_db

FIELDS = {
    "name": "Da Nang",
    "country": "VN",
    "latitude": 16.07,
    "longitude": 108.22,
    "population": 1_276_000,
    "role": "both",
    "languages": ["vi", "en"],
}


def levels(city: City) -> dict[str, tuple[int, int]]:
    return {
        row.policy_area.code: (row.expertise, row.need)
        for row in CityAreaLevel.objects.filter(city=city).select_related("policy_area")
    }


def test_create_city_writes_the_profile_and_signals_in_its_transaction(profile_signals):
    city = services.create_city(
        fields=FIELDS,
        expertise={"governance": 2},
        needs={"adaptation": 3, "waste": 2},
        sectors={"I": 0.15, "G": 0.2},
        trigger="api",
    )

    assert city.slug == "da-nang-vn"
    assert city.region == "AS"
    assert city.languages == ["en", "vi"]
    assert levels(city) == {"governance": (2, 0), "adaptation": (0, 3), "waste": (0, 2)}
    assert dict(CitySector.objects.filter(city=city).values_list("sector__code", "share")) == {
        "I": 0.15,
        "G": 0.2,
    }
    assert profile_signals == [([city.pk], "api")]


def test_an_agency_user_who_creates_a_city_becomes_its_editor(agency_user, staff_user):
    city = services.create_city(fields=FIELDS, user=agency_user, trigger="api")
    assert list(city.editors.all()) == [agency_user]
    other = services.create_city(fields=FIELDS | {"name": "Hue"}, user=staff_user, trigger="api")
    assert list(other.editors.all()) == []


def test_invalid_input_names_every_field_and_writes_nothing(profile_signals):
    with pytest.raises(ValidationError) as caught:
        services.create_city(
            fields=FIELDS | {"population": -5, "country": "XX"},
            expertise={"wste": 2, "air": 7},
            sectors={"Z": 1, "C": -1},
            trigger="api",
        )
    errors = caught.value.message_dict
    assert {"population", "country", "expertise", "sectors"} <= set(errors)
    assert any("wste" in message for message in errors["expertise"])
    assert any("air" in message for message in errors["expertise"])
    assert City.objects.count() == 0
    assert profile_signals == []


def test_update_replaces_the_levels_given_and_keeps_the_others(
    profile_signals, django_capture_on_commit_callbacks
):
    city = CityFactory(expertise={"waste": 3, "air": 2}, needs={"economy": 2})
    slug = city.slug
    with django_capture_on_commit_callbacks(execute=True):
        services.update_city_profile(
            city=city,
            fields={"population": 123_456, "name": "Renamed"},
            expertise={"water": 1},
            trigger="form",
        )
    city.refresh_from_db()
    assert city.population == 123_456
    assert city.slug == slug  # links keep working after a rename
    assert levels(city) == {"water": (1, 0), "economy": (0, 2)}
    assert profile_signals == [([city.pk], "form")]


def test_update_replaces_the_sectors_given():
    city = CityFactory(sectors={"C": 0.5, "E": 0.5})
    services.update_city_profile(
        city=city, fields={"role": "donor"}, sectors={"E": 0.2}, trigger="api"
    )
    city.refresh_from_db()
    assert city.role == "donor"
    assert dict(CitySector.objects.filter(city=city).values_list("sector__code", "share")) == {
        "E": 0.2
    }


def test_a_failed_update_leaves_the_stored_profile(profile_signals):
    city = CityFactory(expertise={"waste": 3})
    with pytest.raises(ValidationError):
        services.update_city_profile(
            city=city, fields={"latitude": 123.0}, expertise={"air": 2}, trigger="api"
        )
    city.refresh_from_db()
    assert city.latitude != 123.0
    assert levels(city) == {"waste": (3, 0)}
    assert profile_signals == []


def test_delete_city_removes_its_levels():
    city = CityFactory(expertise={"waste": 3}, sectors={"C": 1})
    services.delete_city(city=city)
    assert City.objects.count() == CityAreaLevel.objects.count() == CitySector.objects.count() == 0


def test_a_new_city_takes_the_next_free_slug():
    CityFactory(name="Kawásaki", country="JP", slug="kawasaki-jp")
    CityFactory(name="Other", country="JP", slug="kawasaki-jp-2")
    city = services.create_city(
        fields=FIELDS | {"name": " Kawasaki ", "country": "JP"}, trigger="api"
    )
    assert city.slug == "kawasaki-jp-3"
    assert city.name == "Kawasaki"
