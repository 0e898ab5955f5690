"""What the catalogue hands to scoring: only published practices count."""

import pytest

from bestpractices.models import BestPractice
from bestpractices.services import practices_in_areas, scoring_inputs
from tests.factories import BestPracticeFactory, CityFactory

pytestmark = pytest.mark.django_db
Status = BestPractice.Status


def test_counts_published_practices_per_city_and_area():
    kita, osaka = CityFactory(), CityFactory()
    BestPracticeFactory(city=kita, areas=["waste", "low-carbon"])
    BestPracticeFactory(city=kita, areas=["waste"])
    BestPracticeFactory(city=osaka, areas=["water"])
    BestPracticeFactory(city=osaka, areas=["air"], status=Status.DRAFT)
    BestPracticeFactory(city=osaka, areas=["air"], status=Status.SUBMITTED)
    BestPracticeFactory(city=osaka, areas=["energy"], status=Status.ARCHIVED)

    inputs = scoring_inputs()

    assert inputs.counts == {kita.id: {"waste": 2, "low-carbon": 1}, osaka.id: {"water": 1}}


def test_median_cost_uses_amount_or_range_midpoint_of_published_practices():
    kita, osaka, seoul = CityFactory(), CityFactory(), CityFactory()
    BestPracticeFactory(city=kita, cost_usd=100_000)
    BestPracticeFactory(city=kita, cost_min_usd=200_000, cost_max_usd=400_000)  # 300,000
    BestPracticeFactory(city=kita, cost_usd=1_000_000)
    BestPracticeFactory(city=kita, cost_usd=9_000_000, status=Status.DRAFT)
    BestPracticeFactory(city=osaka, cost_usd=50_000)
    BestPracticeFactory(city=osaka, cost_usd=150_000)
    BestPracticeFactory(city=seoul)  # no cost stated: no median

    inputs = scoring_inputs()

    assert inputs.median_cost_usd == {kita.id: 300_000.0, osaka.id: 100_000.0}


def test_scoring_inputs_costs_two_queries_whatever_the_number_of_cities(
    django_assert_num_queries,
):
    for _ in range(6):
        BestPracticeFactory(areas=["waste", "air"], cost_usd=10)
    with django_assert_num_queries(2):
        scoring_inputs()


def test_practices_in_areas_lists_published_practices_of_each_pair():
    kita, osaka = CityFactory(), CityFactory()
    compost = BestPracticeFactory(city=kita, title="Takakura composting", areas=["waste"])
    landfill = BestPracticeFactory(city=kita, title="Landfill gas", areas=["waste", "energy"])
    BestPracticeFactory(city=kita, title="Draft idea", areas=["waste"], status=Status.DRAFT)
    leak = BestPracticeFactory(city=osaka, title="Leak detection", areas=["water"])

    result = practices_in_areas(
        [(kita.id, "waste"), (kita.id, "energy"), (osaka.id, "waste"), (osaka.id, "water")]
    )

    assert result == {
        (kita.id, "waste"): [(landfill.id, "Landfill gas"), (compost.id, "Takakura composting")],
        (kita.id, "energy"): [(landfill.id, "Landfill gas")],
        (osaka.id, "waste"): [],
        (osaka.id, "water"): [(leak.id, "Leak detection")],
    }


def test_practices_in_areas_is_one_query_and_accepts_no_pairs(django_assert_num_queries):
    city = CityFactory()
    for _ in range(5):
        BestPracticeFactory(city=city, areas=["waste"])
    with django_assert_num_queries(1):
        result = practices_in_areas((city.id, code) for code in ["waste", "air", "water"])
    assert len(result[(city.id, "waste")]) == 5
    with django_assert_num_queries(0):
        assert practices_in_areas([]) == {}
