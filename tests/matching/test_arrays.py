"""Profiles → engine arrays: every field lands in the right row and column, in few queries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cities.models import City, PolicyArea, Sector
from matching.services import load_inputs
from matching.services.arrays import current_inputs, freeze, invalidate_inputs, thaw
from tests.factories import BestPracticeFactory, CityFactory, population

pytestmark = pytest.mark.django_db


def area_col(code: str) -> int:
    return list(
        PolicyArea.objects.order_by("position", "code").values_list("code", flat=True)
    ).index(code)


def sector_col(code: str) -> int:
    return list(Sector.objects.order_by("code").values_list("code", flat=True)).index(code)


def test_every_profile_field_lands_in_its_row_and_column():
    donor = CityFactory(
        role=City.Role.DONOR,
        population=940_978,
        languages=["ja", "en"],
        has_international_department=True,
        international_staff=12,
        years_of_cooperation=30,
        absorptive_capacity=5,
        cooperation_budget_usd=800_000,
        cofunding_usd=0,
        expertise={"waste": 3, "air": 2},
        needs={"economy": 2},
        sectors={"C": 0.3, "E": 0.1},
    )
    recipient = CityFactory(
        role=City.Role.RECIPIENT,
        population=250_000,
        languages=["fr"],
        has_international_department=False,
        international_staff=0,
        years_of_cooperation=0,
        absorptive_capacity=2,
        cooperation_budget_usd=0,
        cofunding_usd=40_000,
        needs={"waste": 3},
    )
    BestPracticeFactory(city=donor, areas=["waste", "air"], cost_usd=100_000)
    BestPracticeFactory(city=donor, areas=["waste"], cost_usd=300_000)
    BestPracticeFactory(city=donor, areas=["water"], status="draft")

    inputs = load_inputs()
    a = inputs.arrays

    assert a.ids.tolist() == sorted([donor.pk, recipient.pk])
    d, r = inputs.rows_of([donor.pk])[0], inputs.rows_of([recipient.pk])[0]
    assert inputs.area_codes == tuple(
        PolicyArea.objects.order_by("position", "code").values_list("code", flat=True)
    )
    assert a.population[d] == 940_978
    assert a.expertise[d, area_col("waste")] == 3 and a.expertise[d, area_col("air")] == 2
    assert a.needs[d, area_col("economy")] == 2 and a.needs[r, area_col("waste")] == 3
    assert a.expertise[r].sum() == 0
    assert a.sectors[d, sector_col("C")] == pytest.approx(0.3)
    assert a.sectors[d, sector_col("E")] == pytest.approx(0.1)
    assert a.sectors[r].sum() == 0
    assert a.languages[d].sum() == 2 and a.languages[r].sum() == 1
    assert not (a.languages[d] & a.languages[r]).any()
    assert (a.has_department[d], a.staff[d], a.years[d]) == (True, 12, 30)
    assert (a.absorptive_capacity[r], a.budget_usd[d], a.cofunding_usd[r]) == (2, 800_000, 40_000)
    assert (a.is_donor[d], a.is_recipient[d], a.is_donor[r], a.is_recipient[r]) == (
        True,
        False,
        False,
        True,
    )
    # Only published practices count; the median of 100k and 300k is 200k.
    assert a.practices[d, area_col("waste")] == 2
    assert a.practices[d, area_col("air")] == 1
    assert a.practices[d, area_col("water")] == 0
    assert a.practice_cost_usd[d] == 200_000
    assert math.isnan(a.practice_cost_usd[r])
    # ISIC E (water supply, sewerage, waste) is relevant to waste; so says the taxonomy.
    assert a.relevance[sector_col("E"), area_col("waste")] == 1
    assert a.relevance.shape == (Sector.objects.count(), PolicyArea.objects.count())


def test_rows_of_skips_unknown_ids():
    cities = population(4)
    inputs = load_inputs()
    rows = inputs.rows_of([cities[2].pk, 10**9, cities[0].pk])
    assert inputs.ids[rows].tolist() == [cities[2].pk, cities[0].pk]


@pytest.mark.parametrize("count", [1, 40])
def test_loading_costs_a_fixed_number_of_queries(count, django_assert_num_queries):
    population(count)
    BestPracticeFactory(city=City.objects.first(), areas=["waste"], cost_usd=10_000)
    # areas, sectors, cities, levels, shares, relevance, practice counts and costs, experience
    with django_assert_num_queries(9):
        inputs = load_inputs()
    assert len(inputs.ids) == count


def test_frozen_inputs_thaw_identical():
    population(6)
    inputs = load_inputs()
    again = thaw(freeze(inputs))
    assert again.area_codes == inputs.area_codes
    for name in ("ids", "expertise", "needs", "sectors", "languages", "practice_cost_usd"):
        np.testing.assert_array_equal(getattr(again.arrays, name), getattr(inputs.arrays, name))


def test_cached_inputs_reload_after_invalidation():
    first = population(2, seed=1)
    cached = current_inputs()
    assert current_inputs() is cached
    population(1, seed=2)
    assert current_inputs() is cached  # nothing told it yet
    invalidate_inputs()
    fresh = current_inputs()
    assert len(fresh.ids) == len(first) + 1
