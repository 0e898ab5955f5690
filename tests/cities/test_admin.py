"""The admin: pages load at a fixed query cost, and saving a city reaches the matching."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cities.models import City, CityAreaLevel, PolicyArea, Sector
from tests.factories import CityFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

LEVELS = {"waste": 3, "air": 2, "water": 1}
MORE_LEVELS = dict.fromkeys(["waste", "air", "water", "sanitation", "energy", "transport"], 2)


def queries_for(client, url: str) -> int:
    client.get(url)  # the first request of a session also stores the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# Session, user, then the page's own queries.
CITY_CHANGELIST_QUERIES = 5  # + count, full count, the page of cities
CITY_CHANGE_FORM_QUERIES = 9  # + city, editors, area and sector choices, levels, shares, users


def test_city_changelist_costs_the_same_for_one_city_or_many(admin_client):
    CityFactory(name="Kitakyushu", expertise=LEVELS)
    url = reverse("admin:cities_city_changelist")
    one = queries_for(admin_client, url)
    for _ in range(30):
        CityFactory(expertise=LEVELS, sectors={"C": 0.3})
    assert queries_for(admin_client, url) == one == CITY_CHANGELIST_QUERIES

    response = admin_client.get(url, {"q": "Kitakyushu"})
    assert b"Kitakyushu" in response.content
    response = admin_client.get(url, {"is_synthetic__exact": "1"})
    assert response.context["cl"].result_count == 0


def test_city_change_form_costs_the_same_for_few_or_many_rows(admin_client):
    small = CityFactory(expertise=LEVELS)
    big = CityFactory(
        expertise=MORE_LEVELS, needs={"economy": 2}, sectors={"C": 0.3, "E": 0.1, "H": 0.2}
    )
    few = queries_for(admin_client, reverse("admin:cities_city_change", args=[small.pk]))
    many = queries_for(admin_client, reverse("admin:cities_city_change", args=[big.pk]))
    assert many == few == CITY_CHANGE_FORM_QUERIES
    response = admin_client.get(reverse("admin:cities_city_change", args=[big.pk]))
    assert b"Expertise and needs" in response.content


def change_form_data(city: City, **overrides) -> dict:
    waste = PolicyArea.objects.get(code="waste")
    data = {
        "name": city.name,
        "slug": city.slug,
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
        "area_levels-TOTAL_FORMS": "1",
        "area_levels-INITIAL_FORMS": "0",
        "area_levels-MIN_NUM_FORMS": "0",
        "area_levels-MAX_NUM_FORMS": "1000",
        "area_levels-0-policy_area": waste.pk,
        "area_levels-0-expertise": "3",
        "area_levels-0-need": "0",
        "sector_shares-TOTAL_FORMS": "1",
        "sector_shares-INITIAL_FORMS": "0",
        "sector_shares-MIN_NUM_FORMS": "0",
        "sector_shares-MAX_NUM_FORMS": "1000",
        "sector_shares-0-sector": Sector.objects.get(code="E").pk,
        "sector_shares-0-share": "0.2",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_saving_a_city_in_the_admin_sends_the_signal_after_commit(
    admin_client, profile_signals, django_capture_on_commit_callbacks
):
    city = CityFactory(name="Osaka", country="JP")
    url = reverse("admin:cities_city_change", args=[city.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, change_form_data(city))

    assert response.status_code == 302
    city.refresh_from_db()
    assert city.languages == ["en", "ja"]
    assert city.international_staff == 3
    assert CityAreaLevel.objects.get(city=city).expertise == 3
    assert profile_signals == [([city.pk], "admin")]


def test_an_invalid_city_in_the_admin_names_the_field_and_sends_nothing(
    admin_client, profile_signals, django_capture_on_commit_callbacks
):
    city = CityFactory()
    url = reverse("admin:cities_city_change", args=[city.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, change_form_data(city, languages="xx", **{"area_levels-0-expertise": "5"})
        )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "languages" in errors
    assert "expertise" in response.context["inline_admin_formsets"][0].formset.errors[0]
    assert profile_signals == []


def test_the_relevance_table_is_editable_on_the_sector_page(admin_client):
    sector = Sector.objects.get(code="E")
    response = admin_client.get(reverse("admin:cities_sector_change", args=[sector.pk]))
    assert response.status_code == 200
    assert b"the scoring model&#x27;s table R" in response.content
    changelist = admin_client.get(reverse("admin:cities_sector_changelist"))
    assert b"waste, water, sanitation" in changelist.content


def test_sector_changelist_costs_one_query_for_all_relevant_areas(admin_client):
    url = reverse("admin:cities_sector_changelist")
    # 21 sectors with their relevant areas: a fixed number of queries, not one per sector.
    assert queries_for(admin_client, url) < 12


def test_policy_area_and_organization_pages_load(admin_client):
    OrganizationFactory(name="JICA", countries=[])
    organization = OrganizationFactory(name="ADB", countries=["PH", "VN"])
    organization.policy_areas.set(PolicyArea.objects.filter(code__in=["water", "waste"]))
    response = admin_client.get(reverse("admin:cities_organization_changelist"))
    assert response.status_code == 200
    assert b"worldwide" in response.content
    assert b"PH, VN" in response.content
    change = admin_client.get(reverse("admin:cities_organization_change", args=[organization.pk]))
    assert change.status_code == 200
    assert admin_client.get(reverse("admin:cities_policyarea_changelist")).status_code == 200
    area = PolicyArea.objects.get(code="waste")
    page = admin_client.get(reverse("admin:cities_policyarea_change", args=[area.pk]))
    assert b"11.6, 12.3, 12.5" in page.content


def test_organization_changelist_costs_the_same_for_one_or_many(admin_client):
    OrganizationFactory(countries=["JP"]).policy_areas.set(PolicyArea.objects.all()[:3])
    url = reverse("admin:cities_organization_changelist")
    one = queries_for(admin_client, url)
    for _ in range(10):
        OrganizationFactory().policy_areas.set(PolicyArea.objects.all()[:2])
    assert queries_for(admin_client, url) == one


def test_export_action_downloads_the_selected_cities_as_csv(admin_client):
    city = CityFactory(name="=cmd", expertise={"waste": 3})
    CityFactory(name="Not selected")
    response = admin_client.post(
        reverse("admin:cities_city_changelist"),
        {"action": "export_selected_cities", "_selected_action": [city.pk]},
    )
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "'=cmd" in body
    assert "Not selected" not in body
    assert "waste:3" in body
