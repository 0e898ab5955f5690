"""The one FilterSet behind the catalogue page and the API list."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from bestpractices.filtersets import BestPracticeFilterSet
from bestpractices.models import BestPractice
from tests.factories import BestPracticeFactory, CityFactory

pytestmark = pytest.mark.django_db
Status = BestPractice.Status


def titles(params, user=None):
    request = RequestFactory().get("/", params)
    request.user = user or AnonymousUser()
    filterset = BestPracticeFilterSet(
        request.GET, queryset=BestPractice.objects.for_cards(), request=request
    )
    assert filterset.is_valid(), filterset.errors
    return [practice.title for practice in filterset.qs]


@pytest.fixture
def practices():
    osaka = CityFactory(name="Osaka", country="JP")
    durban = CityFactory(name="Durban", country="ZA")
    BestPracticeFactory(
        title="A incineration",
        city=osaka,
        areas=["waste"],
        sector_codes=["E"],
        scale="citywide",
        cost_usd=900_000,
        waste_diverted_t_per_year=400_000,
        jobs_created=80,
    )
    BestPracticeFactory(
        title="B landfill gas",
        city=durban,
        areas=["waste", "energy"],
        sector_codes=["D"],
        scale="citywide",
        cost_min_usd=100_000,
        cost_max_usd=500_000,
        co2_avoided_t_per_year=70_000,
        complete=True,
    )
    BestPracticeFactory(
        title="C water meters",
        city=durban,
        areas=["water"],
        scale="pilot",
        people_served=50_000,
    )
    BestPracticeFactory(title="D draft", city=osaka, status=Status.DRAFT)
    return {"osaka": osaka, "durban": durban}


def test_city_and_country(practices):
    assert titles({"city": practices["durban"].pk}) == ["B landfill gas", "C water meters"]
    assert titles({"country": "JP"}) == ["A incineration"]


def test_policy_area_sector_and_scale(practices):
    assert titles({"policy_area": "waste"}) == ["A incineration", "B landfill gas"]
    assert titles({"sector": "D"}) == ["B landfill gas"]
    assert titles({"scale": "pilot"}) == ["C water meters"]


def test_cost_max_reads_the_amount_or_the_middle_of_the_range(practices):
    assert titles({"cost_max": 300_000}) == ["B landfill gas"]  # midpoint 300,000
    assert titles({"cost_max": 299_999}) == []
    assert titles({"cost_max": 1_000_000}) == ["A incineration", "B landfill gas"]


def test_has_evidence(practices):
    assert titles({"has_evidence": "true"}) == ["B landfill gas"]
    assert titles({"has_evidence": "false"}) == ["A incineration", "C water meters"]


def test_key_figure_minimums_and_ordering(practices):
    assert titles({"co2_avoided_min": 1}) == ["B landfill gas"]
    assert titles({"waste_diverted_min": 500_000}) == []
    assert titles({"people_served_min": 10_000}) == ["C water meters"]
    assert titles({"jobs_created_min": 50}) == ["A incineration"]
    assert titles({"ordering": "-people_served"}) == [
        "C water meters",
        "A incineration",
        "B landfill gas",
    ]
    assert titles({"ordering": "cost"}) == ["B landfill gas", "A incineration", "C water meters"]


def test_status_is_for_curators_and_for_ones_own(practices, curator):
    draft = BestPractice.objects.get(title="D draft")
    assert titles({"status": "draft"}) == []
    assert titles({"status": "draft"}, user=draft.author) == ["D draft"]
    assert titles({"status": "draft"}, user=curator) == ["D draft"]
    assert titles({"status": "published"}) == ["A incineration", "B landfill gas", "C water meters"]


def test_query_and_filters_combine(practices):
    assert titles({"q": "landfill", "country": "ZA"}) == ["B landfill gas"]
    assert titles({"q": "landfill", "country": "JP"}) == []


@pytest.mark.parametrize(
    "params",
    [
        {"policy_area": "nope"},
        {"scale": "huge"},
        {"cost_max": "-1"},
        {"ordering": "secret"},
        {"co2_avoided_min": "x"},
        {"people_served_min": "0.5"},
        {"jobs_created_min": "1.5"},
        {"status": "deleted"},
    ],
)
def test_bad_values_are_refused_by_name(params):
    request = RequestFactory().get("/", params)
    request.user = AnonymousUser()
    filterset = BestPracticeFilterSet(
        request.GET, queryset=BestPractice.objects.all(), request=request
    )
    assert not filterset.is_valid()
    assert list(filterset.errors) == list(params)
