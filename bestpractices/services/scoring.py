"""What the catalogue gives matching: the scoring inputs, and the practices a match lists.

Only published practices count. Both readers cost a fixed number of queries whatever the number
of cities, because the scoring run asks for every city at once.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from ..models import BestPractice


@dataclass(frozen=True)
class PracticeInputs:
    """What the scoring engine needs from the catalogue, for every city at once.

    ``counts``: city id → policy-area code → number of published practices (cities and areas
    without one are absent). ``median_cost_usd``: city id → median cost of its published
    practices that state a cost (amount, or midpoint of the range).
    """

    counts: dict[int, dict[str, int]] = field(default_factory=dict)
    median_cost_usd: dict[int, float] = field(default_factory=dict)


def scoring_inputs() -> PracticeInputs:
    """Published-practice counts per city and area, and median costs: two queries in all."""
    through = BestPractice.policy_areas.through
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        through.objects.filter(bestpractice__status=BestPractice.Status.PUBLISHED)
        .values_list("bestpractice__city_id", "policyarea__code")
        .order_by()
    )
    for city_id, code in rows:
        counts[city_id][code] = counts[city_id].get(code, 0) + 1

    costs: dict[int, list[float]] = defaultdict(list)
    for practice in (
        BestPractice.objects.published()
        .filter(~_no_cost())
        .only("city_id", "cost_usd", "cost_min_usd", "cost_max_usd")
        .order_by()
    ):
        # Never None here: the filter keeps practices with an amount or a whole range.
        if (cost := practice.cost) is not None:
            costs[practice.city_id].append(cost)
    return PracticeInputs(
        counts=dict(counts),
        median_cost_usd={
            city_id: float(statistics.median(values)) for city_id, values in costs.items()
        },
    )


def practices_in_areas(
    pairs: Iterable[tuple[int, str]],
) -> dict[tuple[int, str], list[tuple[int, str]]]:
    """(city id, area code) → [(practice id, title)] of that city's published practices.

    Every requested pair is a key (an empty list when the city has none in that area); lists
    are ordered by title. One query whatever the number of pairs.
    """
    wanted = {(int(city_id), code) for city_id, code in pairs}
    result: dict[tuple[int, str], list[tuple[int, str]]] = {pair: [] for pair in wanted}
    if not wanted:
        return result
    city_ids = {city_id for city_id, _ in wanted}
    codes = {code for _, code in wanted}
    rows = (
        BestPractice.policy_areas.through.objects.filter(
            bestpractice__status=BestPractice.Status.PUBLISHED,
            bestpractice__city_id__in=city_ids,
            policyarea__code__in=codes,
        )
        .values_list(
            "bestpractice__city_id", "policyarea__code", "bestpractice_id", "bestpractice__title"
        )
        .order_by("bestpractice__title", "bestpractice_id")
    )
    for city_id, code, practice_id, title in rows:
        key = (city_id, code)
        if key in result:
            result[key].append((practice_id, title))
    return result


def _no_cost() -> Q:
    """Practices that state neither an amount nor a whole range (what ``cost`` calls None)."""
    return Q(cost_usd__isnull=True) & (Q(cost_min_usd__isnull=True) | Q(cost_max_usd__isnull=True))
