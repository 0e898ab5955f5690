"""Model-level validation of city profiles: every rule answers with the field it concerns."""

import math

import pytest
from django.core.exceptions import ValidationError

from cities.models import City, CityAreaLevel, CitySector, Organization, PolicyArea, Sector
from tests.factories import CityFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def error_fields(instance, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean(**kwargs)
    return caught.value.message_dict


def test_a_complete_city_is_valid():
    city = CityFactory.build(slug="valid-jp", languages=["ja", "en"])
    city.full_clean(exclude=["editors"])


@pytest.mark.parametrize("population", [-1, 0])
def test_population_must_be_positive(population):
    city = CityFactory.build(slug="a-jp", population=population)
    assert "population" in error_fields(city)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latitude", 90.5),
        ("latitude", -91),
        ("latitude", math.nan),
        ("longitude", 180.01),
        ("longitude", -181),
        ("longitude", math.inf),
    ],
)
def test_coordinates_must_be_finite_and_in_range(field, value):
    city = CityFactory.build(slug="a-jp", **{field: value})
    assert list(error_fields(city)) == [field]


@pytest.mark.parametrize("field", ["latitude", "longitude"])
def test_coordinates_at_the_limits_are_valid(field):
    limit = 90 if field == "latitude" else 180
    CityFactory.build(slug="a-jp", **{field: -limit}).full_clean()
    CityFactory.build(slug="b-jp", **{field: limit}).full_clean()


def test_country_must_be_a_known_iso_code():
    city = CityFactory.build(slug="a-xx", country="XX")
    assert list(error_fields(city)) == ["country"]


def test_region_follows_the_country_on_save():
    city = CityFactory(country="VN")
    assert city.region == "AS"
    city.country = "DK"
    city.save()
    city.refresh_from_db()
    assert city.region == "EU"


def test_role_must_be_donor_recipient_or_both():
    city = CityFactory.build(slug="a-jp", role="sponsor")
    assert list(error_fields(city)) == ["role"]


@pytest.mark.parametrize("value", [-1, 6])
def test_absorptive_capacity_is_0_to_5(value):
    city = CityFactory.build(slug="a-jp", absorptive_capacity=value)
    assert "absorptive_capacity" in error_fields(city)


@pytest.mark.parametrize(
    "field",
    ["international_staff", "years_of_cooperation", "cooperation_budget_usd", "cofunding_usd"],
)
def test_counts_and_budgets_cannot_be_negative(field):
    city = CityFactory.build(slug="a-jp", **{field: -5})
    assert list(error_fields(city)) == [field]


@pytest.mark.parametrize("languages", [["xx"], ["english"], ["en", "qq"], "en", [1]])
def test_languages_must_be_iso_639_1_codes(languages):
    city = CityFactory.build(slug="a-jp", languages=languages)
    assert list(error_fields(city)) == ["languages"]


def test_languages_are_normalised_to_sorted_lower_case_codes():
    city = CityFactory.build(slug="a-jp", languages=["JA", " en", "ja"])
    city.full_clean()
    assert city.languages == ["en", "ja"]


def test_name_and_country_identify_a_city():
    CityFactory(name="Osaka", country="JP")
    duplicate = CityFactory.build(name="Osaka", country="JP", slug="osaka-jp-2")
    assert "__all__" in error_fields(duplicate)


@pytest.mark.parametrize("field", ["expertise", "need"])
@pytest.mark.parametrize("level", [-1, 4])
def test_expertise_and_need_levels_are_0_to_3(field, level):
    city = CityFactory()
    row = CityAreaLevel(
        city=city, policy_area=PolicyArea.objects.get(code="waste"), **{field: level}
    )
    assert list(error_fields(row)) == [field]


def test_a_level_row_needs_a_known_policy_area():
    city = CityFactory()
    row = CityAreaLevel(city=city, policy_area_id=999_999, expertise=1)
    assert list(error_fields(row)) == ["policy_area"]


@pytest.mark.parametrize("share", [-0.1, math.nan])
def test_sector_shares_are_finite_and_not_negative(share):
    city = CityFactory()
    row = CitySector(city=city, sector=Sector.objects.get(code="C"), share=share)
    assert list(error_fields(row)) == ["share"]


def test_a_sector_code_is_an_isic_section_letter():
    assert list(error_fields(Sector(code="Z", name="Nothing"))) == ["code"]


def test_organization_countries_must_be_known_codes():
    organization = OrganizationFactory.build(countries=["JP", "ZZ"])
    fields = error_fields(organization)
    assert list(fields) == ["countries"]
    assert "ZZ" in fields["countries"][0]


def test_organization_with_an_empty_country_list_covers_the_world():
    organization = OrganizationFactory(countries=[])
    organization.full_clean()
    assert organization.covers_country("UG")
    assert not Organization(countries=["JP"]).covers_country("UG")


def test_database_refuses_a_negative_population_written_past_validation():
    from django.db import IntegrityError, transaction

    city = CityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        City.objects.filter(pk=city.pk).update(population=0)
