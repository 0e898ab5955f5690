"""A plain, pair-by-pair implementation of SCORING.md, for checking the engine (tests only).

Clarity over speed: loops over pairs and areas, float64, no numpy tricks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matching.scoring import COMPONENTS, CityArrays, ScoringParams


def _row(matrix, i) -> list[float]:
    return [float(x) for x in matrix[i]]


def reference_components(arrays: CityArrays, params: ScoringParams, d: int, r: int) -> list[float]:
    """The eight components of donor row d and recipient row r, in COMPONENTS order."""
    needs_r, needs_d = _row(arrays.needs, r), _row(arrays.needs, d)
    expertise_r, expertise_d = _row(arrays.expertise, r), _row(arrays.expertise, d)
    practices_d = _row(arrays.practices, d)
    areas = range(len(needs_r))

    total_need_r = sum(needs_r)
    if total_need_r > 0:
        need_fit = sum(needs_r[a] * expertise_d[a] / 3 for a in areas) / total_need_r
        evidence = sum(needs_r[a] * (1.0 if practices_d[a] > 0 else 0.0) for a in areas)
        evidence /= total_need_r
    else:
        need_fit = evidence = 0.0

    total_need_d = sum(needs_d)
    learn = 0.0
    if total_need_d > 0:
        learn = sum(needs_d[a] * expertise_r[a] / 3 for a in areas) / total_need_d
    sectors_d, sectors_r = _row(arrays.sectors, d), _row(arrays.sectors, r)
    sector_total_d = sum(sectors_d)
    market = 0.0
    if total_need_r > 0 and sector_total_d > 0:
        for s, share in enumerate(sectors_d):
            for a in areas:
                market += share / sector_total_d * float(arrays.relevance[s][a]) * needs_r[a]
        market /= total_need_r
    reciprocity = 0.5 * learn + 0.5 * market

    gap = math.log(float(arrays.population[d])) - math.log(float(arrays.population[r]))
    size = math.exp(-(gap**2) / (2 * params.size_sigma**2))

    length_d = math.sqrt(sum(x * x for x in sectors_d))
    length_r = math.sqrt(sum(x * x for x in sectors_r))
    industry = 0.0
    if length_d > 0 and length_r > 0:
        industry = sum(x * y for x, y in zip(sectors_d, sectors_r, strict=True))
        industry /= length_d * length_r

    give = min(
        1.0,
        0.4 * float(bool(arrays.has_department[d]))
        + 0.4 * min(float(arrays.staff[d]), 10) / 10
        + 0.2 * min(float(arrays.years[d]), 10) / 10,
    )
    take = float(arrays.absorptive_capacity[r]) / 5
    capacity = math.sqrt(give * take)

    cost = float(arrays.practice_cost_usd[d])
    if math.isnan(cost):
        cost = params.default_cost_usd
    money = float(arrays.budget_usd[d]) + float(arrays.cofunding_usd[r])
    # Documented choice: a practice that costs nothing is always affordable.
    budget = 1.0 if cost == 0 else min(1.0, money / cost)

    speaks_d, speaks_r = arrays.languages[d], arrays.languages[r]
    language = 1.0 if any(a and b for a, b in zip(speaks_d, speaks_r, strict=True)) else 0.0

    return [need_fit, evidence, reciprocity, size, industry, capacity, budget, language]


def reference_mean(params: ScoringParams, components: list[float]) -> float:
    weights = [float(params.weights[name]) for name in COMPONENTS]
    return sum(w * x for w, x in zip(weights, components, strict=True)) / sum(weights)


@dataclass
class ReferencePair:
    components: list[float]
    mean: float  # 0..1, before rounding

    @property
    def tenths(self) -> int:
        """The stored score (rounded to one decimal), in tenths of a point."""
        return round(1000 * self.mean)

    @property
    def ambiguous(self) -> bool:
        """So close to a rounding boundary that the engine's precision may round either way.

        The engine sums sector shares in fixed point (2**-23 steps, see its module docstring),
        so its market and industry components can differ from these float64 ones by a few
        1e-7: a weighted mean within 1e-6 of a boundary may round to either side.
        """
        scaled = 1000 * self.mean
        return abs(scaled - math.floor(scaled) - 0.5) < 1e-3


def reference_pairs(
    arrays: CityArrays, params: ScoringParams
) -> dict[tuple[int, int], ReferencePair]:
    """Every pair that may be stored: donor and recipient roles, not itself, need_fit > 0."""
    pairs = {}
    n = len(arrays.ids)
    for d in range(n):
        if not arrays.is_donor[d]:
            continue
        for r in range(n):
            if r == d or not arrays.is_recipient[r]:
                continue
            components = reference_components(arrays, params, d, r)
            if components[0] > 0:
                pairs[(d, r)] = ReferencePair(components, reference_mean(params, components))
    return pairs


def top_lists(
    tenths: dict[tuple[int, int], int], k: int
) -> tuple[dict[int, list[tuple[int, int]]], dict[int, list[tuple[int, int]]]]:
    """Each recipient's top k donors and each donor's top k recipients, as (partner, tenths).

    Ordered by score descending, ties by the smaller row (rows are sorted by id).
    """
    by_recipient: dict[int, list[tuple[int, int]]] = {}
    by_donor: dict[int, list[tuple[int, int]]] = {}
    for (d, r), score in tenths.items():
        by_recipient.setdefault(r, []).append((d, score))
        by_donor.setdefault(d, []).append((r, score))
    for lists in (by_recipient, by_donor):
        for owner, entries in lists.items():
            entries.sort(key=lambda entry: (-entry[1], entry[0]))
            lists[owner] = entries[:k]
    return by_recipient, by_donor
