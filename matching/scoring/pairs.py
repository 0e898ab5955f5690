"""The exact float64 formulas of SCORING.md for a list of pairs, compiled (numba).

Every stored score comes from here, whichever code path found the pair (a run's candidates,
the merge, ``score_city``), so a pair always gets the same bits. The dot products are sums of
exact integers (levels, 0/1 practices, fixed-point shares: see exact.py), the rest is
elementwise in a fixed order, so the result of a pair does not depend on the others.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .kernels import compiled_kernel, inlined_kernel, kernel_array

MAX_LEVEL = 3.0
# What _score_pairs writes besides the tenths: nothing, the components, or the components and
# the explanations. Tenths alone save the blocks' exact scoring ~100 bytes of writes per pair.
TENTHS_ONLY, WITH_COMPONENTS, WITH_EXPLANATIONS = 0, 1, 2


class PairInputs(NamedTuple):
    """Per city (rows of the arrays), what the formulas read."""

    need_levels: np.ndarray  # (N, A) int8
    expertise_levels: np.ndarray  # (N, A) int8
    has_practice: np.ndarray  # (N, A) int8: 1 when a published practice exists
    market_fixed: np.ndarray  # (N, A) int32: market share * market_scale (exact, < 2**24)
    sector_fixed: np.ndarray  # (N, S) int32: unit sector vector * sector_scale (< 2**24)
    need_total: np.ndarray  # (N,) float64
    log_population: np.ndarray  # (N,) float64
    give: np.ndarray  # (N,) float64
    take: np.ndarray  # (N,) float64
    budget: np.ndarray  # (N,) float64
    cofunding: np.ndarray  # (N,) float64
    cost: np.ndarray  # (N,) float64
    language_words: np.ndarray  # (N, W) uint64
    weights: np.ndarray  # (8,) float64, COMPONENTS order
    constants: np.ndarray  # (4,) float64: market scale, sector scale², size denominator, Σw


@inlined_kernel
def _explain_pair(pair, donor, recipient, need_levels, expertise_levels, top_areas, gives_back):
    """The (up to) three areas with the largest N_r[a] E_d[a] > 0 (ties: smaller area first),
    and the areas where the recipient can give back (N_d[a] > 0 and E_r[a] > 0)."""
    areas = need_levels.shape[1]
    # One pass keeping the three best so far; strictly larger moves ahead, so of equal
    # contributions the smaller area (seen first) stays first.
    best0 = best1 = best2 = 0
    area0 = area1 = area2 = -1
    for area in range(areas):
        contribution = np.int64(need_levels[recipient, area]) * np.int64(
            expertise_levels[donor, area]
        )
        if contribution > best0:
            best2, area2 = best1, area1
            best1, area1 = best0, area0
            best0, area0 = contribution, area
        elif contribution > best1:
            best2, area2 = best1, area1
            best1, area1 = contribution, area
        elif contribution > best2:
            best2, area2 = contribution, area
    top_areas[pair, 0] = area0
    top_areas[pair, 1] = area1
    top_areas[pair, 2] = area2
    for area in range(areas):
        gives_back[pair, area] = (need_levels[donor, area] > 0) & (
            expertise_levels[recipient, area] > 0
        )


# The tenths of a batch of at least BANDED_PAIRS pairs are computed in bands of 2**BAND_SHIFT
# rows of one side (their inputs stay in the L2 cache), in the batch's order within a band.
BAND_SHIFT = 10
BANDED_PAIRS = 4096


@inlined_kernel
def _band_order(rows):
    """The pairs' indices, stably ordered by band of their rows (a counting sort)."""
    highest = 0
    for row in rows:
        highest = max(highest, row)
    starts = np.zeros((highest >> BAND_SHIFT) + 2, dtype=np.int64)
    for row in rows:
        starts[(row >> BAND_SHIFT) + 1] += 1
    for band in range(len(starts) - 1):
        starts[band + 1] += starts[band]
    order = np.empty(len(rows), dtype=np.int64)
    for pair in range(len(rows)):
        band = rows[pair] >> BAND_SHIFT
        order[starts[band]] = pair
        starts[band] += 1
    return order


@compiled_kernel
def _score_pairs(
    donors, recipients, inputs, components, tenths, top_areas, gives_back, detail, band_rows
):
    """Tenths of every pair; with ``detail`` >= WITH_COMPONENTS its components, with
    WITH_EXPLANATIONS its explanation too (one pass: the pair's rows are read once).

    ``band_rows``: empty, or the donors or the recipients, whose bands set the order of work
    (tenths only).
    """
    (
        need_levels,
        expertise_levels,
        has_practice,
        market_fixed,
        sector_fixed,
        need_total,
        log_population,
        give,
        take,
        budget,
        cofunding,
        cost,
        language_words,
        weights,
        constants,
    ) = inputs
    market_scale, sector_scale_squared, size_denominator, weight_sum = constants
    areas = need_levels.shape[1]
    # Each pair's result lands at its own index: the order of work changes no result. A batch
    # grouped by recipient reads its donors' rows at random (and one grouped by donor, its
    # recipients'); in bands of the other side's rows, from the cache.
    banded = detail == TENTHS_ONLY and len(band_rows) >= BANDED_PAIRS
    order = _band_order(band_rows) if banded else np.empty(0, dtype=np.int64)
    for step in range(len(donors)):
        pair = order[step] if banded else step
        donor = donors[pair]
        recipient = recipients[pair]
        need_dot = 0
        evidence_dot = 0
        learn_dot = 0
        market_dot = 0
        for area in range(areas):
            need = need_levels[recipient, area]
            need_dot += need * expertise_levels[donor, area]
            evidence_dot += need * has_practice[donor, area]
            learn_dot += need_levels[donor, area] * expertise_levels[recipient, area]
            market_dot += np.int64(need) * np.int64(market_fixed[donor, area])
        # Integer sums (exact, as their float64 ones were: see exact.py) vectorise; a float64
        # sum would be one chain of dependent additions.
        sector_dot = 0
        for sector in range(sector_fixed.shape[1]):
            sector_dot += np.int64(sector_fixed[donor, sector]) * np.int64(
                sector_fixed[recipient, sector]
            )
        need_total_r = need_total[recipient]
        need_fit = evidence = market = learn = 0.0
        if need_total_r > 0:
            need_fit = need_dot / (MAX_LEVEL * need_total_r)
            evidence = evidence_dot / need_total_r
            market = np.float64(market_dot) / market_scale / need_total_r
        # A donor without needs has nothing to learn: that half of reciprocity is 0.
        if need_total[donor] > 0:
            learn = learn_dot / (MAX_LEVEL * need_total[donor])
        reciprocity = 0.5 * learn + 0.5 * market
        gap = log_population[donor] - log_population[recipient]
        size = np.exp(-(gap * gap) / size_denominator)
        industry = min(1.0, np.float64(sector_dot) / sector_scale_squared)
        capacity = np.sqrt(give[donor] * take[recipient])
        # A practice that costs nothing is always affordable.
        affordable = 1.0
        if cost[donor] > 0:
            affordable = (budget[donor] + cofunding[recipient]) / cost[donor]
        budget_fit = min(1.0, affordable)
        shared = language_words[donor, 0] & language_words[recipient, 0]
        for word in range(1, language_words.shape[1]):
            shared |= language_words[donor, word] & language_words[recipient, word]
        language = 1.0 if shared != 0 else 0.0

        if detail >= WITH_COMPONENTS:
            components[pair, 0] = need_fit
            components[pair, 1] = evidence
            components[pair, 2] = reciprocity
            components[pair, 3] = size
            components[pair, 4] = industry
            components[pair, 5] = capacity
            components[pair, 6] = budget_fit
            components[pair, 7] = language
        # Σ_k w_k x_k in COMPONENTS order, / Σ_k w_k, then np.round(100 * mean, 1) in tenths:
        # the same operations as PreparedInputs.tenths, so the same bits.
        total = need_fit * weights[0]
        total = total + evidence * weights[1]
        total = total + reciprocity * weights[2]
        total = total + size * weights[3]
        total = total + industry * weights[4]
        total = total + capacity * weights[5]
        total = total + budget_fit * weights[6]
        total = total + language * weights[7]
        tenths[pair] = np.int64(np.rint(100.0 * (total / weight_sum) * 10.0))
        if detail == WITH_EXPLANATIONS:
            _explain_pair(
                pair, donor, recipient, need_levels, expertise_levels, top_areas, gives_back
            )


_NO_BANDS = np.empty(0, dtype=np.int64)


def _check_outputs(outputs: list[tuple[np.ndarray, type, tuple[int, ...]]]) -> None:
    for out, dtype, shape in outputs:
        # Written in place: a copy (another dtype, layout, read-only) would lose the results.
        if (
            out.shape != shape
            or out.dtype != dtype
            or not out.flags.c_contiguous
            or not out.flags.writeable
        ):
            raise ValueError(f"outputs must be writable C-contiguous {np.dtype(dtype)}, {shape}")


def _no_explanations(inputs: PairInputs) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.empty((0, 3), dtype=np.int16),
        np.empty((0, inputs.need_levels.shape[1]), dtype=np.bool_),
    )


def score_pairs(
    inputs: PairInputs,
    donors: np.ndarray,
    recipients: np.ndarray,
    *,
    components: np.ndarray | None = None,
    tenths: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Components (M, 8) float64 and stored scores in tenths (M,) int64 of the pairs.

    ``components`` and ``tenths``, when given, receive them (C-contiguous, of those dtypes).
    """
    donors = kernel_array(donors, np.int64)
    recipients = kernel_array(recipients, np.int64)
    if components is None:
        components = np.empty((len(donors), 8), dtype=np.float64)
    if tenths is None:
        tenths = np.empty(len(donors), dtype=np.int64)
    _check_outputs([(components, np.float64, (len(donors), 8)), (tenths, np.int64, (len(donors),))])
    _score_pairs(
        donors,
        recipients,
        inputs,
        components,
        tenths,
        *_no_explanations(inputs),
        WITH_COMPONENTS,
        _NO_BANDS,
    )
    return components, tenths


def score_tenths(
    inputs: PairInputs,
    donors: np.ndarray,
    recipients: np.ndarray,
    *,
    band_by_recipient: bool = False,
) -> np.ndarray:
    """The stored scores of the pairs in tenths (M,) int64, without their components.

    A large batch is worked through in bands of donor rows, or of recipient rows with
    ``band_by_recipient`` (for pairs grouped by donor): the same results, fewer cache misses.
    """
    donors = kernel_array(donors, np.int64)
    recipients = kernel_array(recipients, np.int64)
    tenths = np.empty(len(donors), dtype=np.int64)
    components = np.empty((0, 8), dtype=np.float64)
    _score_pairs(
        donors,
        recipients,
        inputs,
        components,
        tenths,
        *_no_explanations(inputs),
        TENTHS_ONLY,
        recipients if band_by_recipient else donors,
    )
    return tenths


def score_and_explain(
    inputs: PairInputs,
    donors: np.ndarray,
    recipients: np.ndarray,
    *,
    components: np.ndarray,
    tenths: np.ndarray,
    top_areas: np.ndarray,
    gives_back: np.ndarray,
) -> None:
    """Components, tenths and explanations of the pairs, written into the given outputs
    (C-contiguous: (M, 8) float64, (M,) int64, (M, 3) int16, (M, A) bool)."""
    donors = kernel_array(donors, np.int64)
    recipients = kernel_array(recipients, np.int64)
    m = len(donors)
    _check_outputs(
        [
            (components, np.float64, (m, 8)),
            (tenths, np.int64, (m,)),
            (top_areas, np.int16, (m, 3)),
            (gives_back, np.bool_, (m, inputs.need_levels.shape[1])),
        ]
    )
    _score_pairs(
        donors,
        recipients,
        inputs,
        components,
        tenths,
        top_areas,
        gives_back,
        WITH_EXPLANATIONS,
        _NO_BANDS,
    )


@compiled_kernel
def _explain_pairs(donors, recipients, need_levels, expertise_levels, top_areas, gives_back):
    """Per pair, what _explain_pair tells."""
    for pair in range(len(donors)):
        _explain_pair(
            pair,
            donors[pair],
            recipients[pair],
            need_levels,
            expertise_levels,
            top_areas,
            gives_back,
        )


def explain_pairs(
    inputs: PairInputs, donors: np.ndarray, recipients: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Top areas (M, 3) int16 (-1 padded) and gives_back (M, A) bool of the pairs."""
    donors = kernel_array(donors, np.int64)
    recipients = kernel_array(recipients, np.int64)
    top_areas = np.empty((len(donors), 3), dtype=np.int16)
    gives_back = np.empty((len(donors), inputs.need_levels.shape[1]), dtype=np.bool_)
    _explain_pairs(
        donors,
        recipients,
        inputs.need_levels,
        inputs.expertise_levels,
        top_areas,
        gives_back,
    )
    return top_areas, gives_back


def warm_up_pairs() -> None:
    """Compile or load the formulas' kernel (see warmup.warm_up)."""
    cities, areas = 2, 1
    zeros = np.zeros(cities)
    inputs = PairInputs(
        need_levels=np.ones((cities, areas), dtype=np.int8),
        expertise_levels=np.ones((cities, areas), dtype=np.int8),
        has_practice=np.ones((cities, areas), dtype=np.int8),
        market_fixed=np.ones((cities, areas), dtype=np.int32),
        sector_fixed=np.ones((cities, 1), dtype=np.int32),
        need_total=np.ones(cities),
        log_population=zeros,
        give=zeros,
        take=zeros,
        budget=zeros,
        cofunding=zeros,
        cost=np.ones(cities),
        language_words=np.ones((cities, 1), dtype=np.uint64),
        weights=np.ones(8),
        constants=np.ones(4),
    )
    donors, recipients = np.array([0]), np.array([1])
    score_pairs(inputs, donors, recipients)
    score_tenths(inputs, donors, recipients)
    explain_pairs(inputs, donors, recipients)
    score_and_explain(
        inputs,
        donors,
        recipients,
        components=np.empty((1, 8)),
        tenths=np.empty(1, dtype=np.int64),
        top_areas=np.empty((1, 3), dtype=np.int16),
        gives_back=np.empty((1, areas), dtype=np.bool_),
    )
