"""The scoring engine against a plain pair-by-pair reference (no Django, no database)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.scoring import (
    COMPONENTS,
    BlockResult,
    CityArrays,
    Matches,
    ScoringParams,
    block_memory_bytes,
    merge_blocks,
    plan_block_rows,
    prepare,
    score_all,
    score_block,
    score_city,
    score_from_components,
)
from matching.scoring.engine import hot_layout
from matching.scoring.tiles import _Chunk, _tile_scores, _Workspace

from .scoring_reference import reference_pairs, top_lists

DEFAULT_WEIGHTS = {
    "need_fit": 0.30,
    "evidence": 0.15,
    "reciprocity": 0.15,
    "size": 0.10,
    "industry": 0.10,
    "capacity": 0.10,
    "budget": 0.05,
    "language": 0.05,
}
# Small chunks and tiles so that a few dozen cities already cross chunk and tile borders.
SMALL = {"chunk_rows": 4, "tile_width": 8}
MODES = ("random", "identical", "no_needs", "zero_budget", "donors_only", "few_values")


def make_arrays(
    n: int,
    *,
    seed: int = 0,
    areas: int = 5,
    sectors: int = 4,
    languages: int = 3,
    mode: str = "random",
) -> CityArrays:
    """Random cities; ``mode`` makes the edge cases (ties, no needs, no money, no recipients)."""
    rng = np.random.default_rng(seed)
    levels = [0, 0, 1, 2, 3]
    role = rng.choice(3, n, p=[0.3, 0.4, 0.3])  # donor, recipient, both
    arrays = CityArrays(
        ids=np.sort(rng.choice(10 * n + 10, n, replace=False)).astype(np.int64) + 1,
        population=rng.choice([1_000.0, 4_000.0, 16_000.0, 250_000.0], n)
        if mode == "few_values"
        else rng.lognormal(10, 1.5, n),
        expertise=rng.choice(levels, (n, areas)).astype(np.float32),
        needs=rng.choice(levels, (n, areas)).astype(np.float32),
        sectors=(rng.integers(0, 4, (n, sectors)) * (rng.random((n, sectors)) < 0.6)).astype(
            np.float32
        ),
        languages=rng.random((n, languages)) < 0.4,
        has_department=rng.random(n) < 0.5,
        staff=rng.integers(0, 15, n),
        years=rng.integers(0, 15, n),
        absorptive_capacity=rng.integers(0, 6, n),
        budget_usd=np.where(rng.random(n) < 0.6, rng.choice([0.0, 50e3, 100e3, 400e3], n), 0.0),
        cofunding_usd=np.where(rng.random(n) < 0.5, rng.choice([0.0, 25e3, 150e3], n), 0.0),
        practices=rng.poisson(0.4, (n, areas)).astype(np.float32),
        practice_cost_usd=rng.choice([np.nan, 0.0, 100e3, 300e3], n),
        is_donor=role != 1,
        is_recipient=role != 0,
        relevance=(rng.random((sectors, areas)) < 0.3).astype(np.float32),
    )
    if mode == "identical":
        for field in dataclasses.fields(arrays):
            if field.name not in ("ids", "relevance", "is_donor", "is_recipient"):
                column = getattr(arrays, field.name)
                setattr(arrays, field.name, np.repeat(column[:1], n, axis=0))
        arrays.needs[:] = 1
        arrays.expertise[:] = 2
    elif mode == "no_needs":
        arrays.needs[:] = 0
    elif mode == "zero_budget":
        arrays.budget_usd[:] = 0
        arrays.cofunding_usd[:] = 0
        arrays.practice_cost_usd[:] = np.where(np.isnan(arrays.practice_cost_usd), 0.0, 1e5)
    elif mode == "donors_only":
        arrays.is_donor[:] = True
        arrays.is_recipient[:] = False
    return arrays


def params_with(k: int = 50, weights: dict | None = None, **constants) -> ScoringParams:
    return ScoringParams(weights=weights or DEFAULT_WEIGHTS, top_k=k, **constants)


def lists_of(matches: Matches):
    """(recipient -> [(donor, tenths)], donor -> [(recipient, tenths)]), each by rank."""
    by_recipient: dict[int, list] = {}
    by_donor: dict[int, list] = {}
    for i in range(len(matches)):
        tenths = round(float(matches.score[i]) * 10)
        d, r = int(matches.donor[i]), int(matches.recipient[i])
        if matches.recipient_rank[i]:
            by_recipient.setdefault(r, []).append((int(matches.recipient_rank[i]), d, tenths))
        if matches.donor_rank[i]:
            by_donor.setdefault(d, []).append((int(matches.donor_rank[i]), r, tenths))
    for lists in (by_recipient, by_donor):
        for owner, entries in lists.items():
            entries.sort()
            assert [rank for rank, _, _ in entries] == list(range(1, len(entries) + 1))
            lists[owner] = [(partner, tenths) for _, partner, tenths in entries]
    return by_recipient, by_donor


def engine_tenths_of_all_pairs(arrays: CityArrays, params: ScoringParams):
    """The engine's exact score of every storable pair, by brute force over all pairs."""
    prepared = prepare(arrays, params)
    donors, recipients = np.meshgrid(prepared.donor_rows, prepared.recipient_rows)
    donors, recipients = donors.ravel(), recipients.ravel()
    keep = (donors != recipients) & prepared.fits(donors, recipients)
    donors, recipients = donors[keep], recipients[keep]
    tenths = prepared.pair_tenths(donors, recipients)
    return {(int(d), int(r)): int(t) for d, r, t in zip(donors, recipients, tenths, strict=True)}


def check_against_reference(arrays: CityArrays, params: ScoringParams, matches: Matches) -> None:
    reference = reference_pairs(arrays, params)
    # 1. Every stored pair: a storable pair, components and score agree with the reference.
    for i in range(len(matches)):
        pair = (int(matches.donor[i]), int(matches.recipient[i]))
        assert pair in reference, f"{pair} should not be stored"
        expected = reference[pair]
        np.testing.assert_allclose(matches.components[i], expected.components, atol=1e-4)
        assert abs(matches.score[i] - 100 * expected.mean) <= 0.05 + 1e-4
        if not expected.ambiguous:
            assert round(matches.score[i] * 10) == expected.tenths
    # The stored score is the rounded weighted mean of the stored components, exactly.
    weights = np.array([params.weights[name] for name in COMPONENTS])
    np.testing.assert_array_equal(matches.score, score_from_components(matches.components, weights))
    assert np.all((matches.components >= 0) & (matches.components <= 1))

    # 2. The lists are the top K of the engine's own exact scores (deterministic ties)...
    by_recipient, by_donor = lists_of(matches)
    engine_tenths = engine_tenths_of_all_pairs(arrays, params)
    assert set(engine_tenths) == set(reference)
    expected_recipient, expected_donor = top_lists(engine_tenths, params.top_k)
    assert by_recipient == expected_recipient
    assert by_donor == expected_donor
    # ...and, when no score sits on a rounding boundary, of the reference's scores too.
    if not any(pair.ambiguous for pair in reference.values()):
        reference_recipient, reference_donor = top_lists(
            {key: pair.tenths for key, pair in reference.items()}, params.top_k
        )
        assert by_recipient == reference_recipient
        assert by_donor == reference_donor
    # 3. A pair is stored once, and only when it is in at least one list.
    keys = list(zip(matches.donor.tolist(), matches.recipient.tolist(), strict=True))
    assert len(keys) == len(set(keys))
    assert np.all((matches.donor_rank > 0) | (matches.recipient_rank > 0))


# --- hand-computed examples ----------------------------------------------------------------


def two_cities(**overrides) -> CityArrays:
    """City 0 a donor, city 1 a recipient; three policy areas, two sectors, two languages."""
    fields = {
        "ids": np.array([10, 20]),
        "population": np.array([400_000.0, 100_000.0]),
        "expertise": np.array([[3, 0, 2], [0, 3, 0]], dtype=np.float32),
        "needs": np.array([[0, 2, 0], [3, 1, 0]], dtype=np.float32),
        "sectors": np.array([[1.0, 0.0], [1.0, 1.0]], dtype=np.float32),
        "languages": np.array([[True, False], [True, True]]),
        "has_department": np.array([True, False]),
        "staff": np.array([5, 0]),
        "years": np.array([10, 0]),
        "absorptive_capacity": np.array([0, 4]),
        "budget_usd": np.array([100_000.0, 0.0]),
        "cofunding_usd": np.array([0.0, 50_000.0]),
        "practices": np.array([[1, 0, 0], [0, 0, 0]], dtype=np.float32),
        "practice_cost_usd": np.array([300_000.0, np.nan]),
        "is_donor": np.array([True, False]),
        "is_recipient": np.array([False, True]),
        "relevance": np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32),
    }
    fields.update(overrides)
    return CityArrays(**fields)


def test_hand_computed_pair():
    arrays = two_cities()
    matches = score_all(arrays, params_with())
    assert len(matches) == 1
    assert (matches.donor[0], matches.recipient[0]) == (0, 1)
    need_fit, evidence, reciprocity, size, industry, capacity, budget, language = (
        matches.components[0]
    )
    # Recipient needs waste 3, water 1 (total 4); the donor offers waste at 3: 3*3/3 / 4.
    assert need_fit == pytest.approx(0.75)
    # The donor has a published practice in waste only: 3 / 4.
    assert evidence == pytest.approx(0.75)
    # Donor needs water 2, the recipient's water expertise is 3: 2*3/3 / 2 = 1. Market: the
    # donor's economy is all sector 0, relevant to waste (need 3 of 4): 0.75. Half each.
    assert reciprocity == pytest.approx(0.5 * 1.0 + 0.5 * 0.75)
    # Four times the population: exp(-(ln 4)² / (2 (ln 4)²)) = exp(-1/2).
    assert size == pytest.approx(math.exp(-0.5)) == pytest.approx(0.6065306597)
    assert industry == pytest.approx(1 / math.sqrt(2))
    # give = 0.4 + 0.4 * 5/10 + 0.2 * 10/10 = 0.8; take = 4/5.
    assert capacity == pytest.approx(math.sqrt(0.8 * 0.8))
    # (100k budget + 50k co-funding) / 300k practice cost.
    assert budget == pytest.approx(0.5)
    assert language == 1.0
    mean = 0.3 * 0.75 + 0.15 * 0.75 + 0.15 * 0.875 + 0.1 * math.exp(-0.5)
    mean += 0.1 / math.sqrt(2) + 0.1 * 0.8 + 0.05 * 0.5 + 0.05
    assert matches.score[0] == round(100 * mean, 1) == 75.5
    assert matches.recipient_rank[0] == 1 and matches.donor_rank[0] == 1
    assert matches.top_areas[0].tolist() == [0, -1, -1]
    # The recipient can give back in water (the donor needs it, the recipient has expertise).
    assert matches.gives_back[0].tolist() == [False, True, False]


def test_budget_edge_cases():
    # No published practice: the default cost (250k) applies.
    arrays = two_cities(practice_cost_usd=np.array([np.nan, np.nan]))
    assert score_all(arrays, params_with()).components[0][6] == pytest.approx(150 / 250)
    # A free practice is always affordable, even without any money.
    arrays = two_cities(
        practice_cost_usd=np.array([0.0, np.nan]),
        budget_usd=np.zeros(2),
        cofunding_usd=np.zeros(2),
    )
    assert score_all(arrays, params_with()).components[0][6] == 1.0
    # More money than the practice costs: capped at 1.
    arrays = two_cities(budget_usd=np.array([1e6, 0.0]))
    assert score_all(arrays, params_with()).components[0][6] == 1.0


def test_zero_sectors_and_donor_without_needs():
    arrays = two_cities(
        sectors=np.zeros((2, 2), dtype=np.float32), needs=np.array([[0, 0, 0], [3, 1, 0]])
    )
    components = score_all(arrays, params_with()).components[0]
    assert components[4] == 0.0  # industry: no sectors
    assert components[2] == 0.0  # reciprocity: nothing to learn, no market


def test_no_fit_is_never_stored():
    # The recipient needs only water; the donor has no water expertise.
    arrays = two_cities(needs=np.array([[0, 2, 0], [0, 3, 0]], dtype=np.float32))
    assert len(score_all(arrays, params_with())) == 0
    assert len(score_city(arrays, 1, params_with())) == 0


def test_invalid_inputs_name_the_field():
    with pytest.raises(ValueError, match="population"):
        prepare(two_cities(population=np.array([1.0, 0.0])), params_with())
    with pytest.raises(ValueError, match="needs"):
        prepare(two_cities(needs=np.array([[0, 4, 0], [0, 3, 0]])), params_with())
    with pytest.raises(ValueError, match="ids"):
        prepare(two_cities(ids=np.array([20, 10])), params_with())
    with pytest.raises(ValueError, match="weight"):
        prepare(two_cities(), params_with(weights={"need_fit": 1.0}))


# --- property tests against the reference ---------------------------------------------------

arrays_strategy = st.builds(
    lambda n, seed, areas, sectors, languages, mode: make_arrays(
        n, seed=seed, areas=areas, sectors=sectors, languages=languages, mode=mode
    ),
    n=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    areas=st.integers(1, 6),
    sectors=st.integers(0, 4),
    languages=st.integers(0, 4),
    mode=st.sampled_from(MODES),
)
weights_strategy = st.one_of(
    st.just(DEFAULT_WEIGHTS),
    st.fixed_dictionaries(
        {name: st.sampled_from([0.0, 0.05, 0.3, 1.0]) for name in COMPONENTS}
    ).filter(lambda weights: sum(weights.values()) > 0),
)
params_strategy = st.builds(
    lambda k, weights, sigma: params_with(k, weights, size_sigma=sigma),
    k=st.sampled_from([1, 2, 3, 5, 50]),
    weights=weights_strategy,
    sigma=st.sampled_from([math.log(4), 0.05]),
)
fast = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(arrays=arrays_strategy, params=params_strategy)
def test_engine_matches_reference(arrays, params):
    check_against_reference(arrays, params, score_all(arrays, params, workers=2, **SMALL))


@settings(max_examples=25, deadline=None)
@given(arrays=arrays_strategy, params=params_strategy)
def test_default_tiles_match_reference(arrays, params):
    check_against_reference(arrays, params, score_all(arrays, params, workers=1))


@fast
@given(arrays=arrays_strategy, params=params_strategy, shards=st.integers(1, 5))
def test_shards_merged_equal_score_all(arrays, params, shards):
    whole = score_all(arrays, params, workers=1, **SMALL)
    cut = np.linspace(0, len(arrays), shards + 1).astype(int)
    blocks = [
        BlockResult.from_bytes(score_block(arrays, np.arange(a, b), params, **SMALL).to_bytes())
        for a, b in zip(cut[:-1], cut[1:], strict=True)
    ]
    merged = merge_blocks(arrays, blocks, params)
    for field in dataclasses.fields(Matches):
        np.testing.assert_array_equal(getattr(merged, field.name), getattr(whole, field.name))


@fast
@given(arrays=arrays_strategy, params=params_strategy)
def test_score_city_equals_full_scoring(arrays, params):
    by_recipient, by_donor = lists_of(score_all(arrays, params, **SMALL))
    k = params.top_k
    prepared = prepare(arrays, params)
    for row in range(len(arrays)):
        for role, expected_lists in (("recipient", by_recipient), ("donor", by_donor)):
            single = score_city(arrays, row, params, as_role=role, prepared=prepared)
            ranks = single.recipient_rank if role == "recipient" else single.donor_rank
            other = single.donor_rank if role == "recipient" else single.recipient_rank
            partners = single.donor if role == "recipient" else single.recipient
            assert ranks.tolist() == list(range(1, len(single) + 1))
            assert not other.any()
            top = [
                (int(p), round(float(s) * 10))
                for p, s in zip(partners[:k], single.score[:k], strict=True)
            ]
            assert top == expected_lists.get(row, [])


@settings(max_examples=30, deadline=None)
@given(arrays=arrays_strategy, params=params_strategy)
def test_float32_scores_within_delta(arrays, params):
    """The hot loop's approximations stay within delta of the exact mean (the top-K margin)."""
    prepared = prepare(arrays, params)
    layout = hot_layout(prepared, 8)
    rows = prepared.recipient_rows
    work = _Workspace(layout, max(len(rows), 1))
    chunk = _Chunk(layout, rows)
    for tile in layout.tiles:
        if not len(rows):
            break
        approx = _tile_scores(work, chunk, tile).astype(np.float64)
        donors = np.broadcast_to(tile.rows[None, :], approx.shape).ravel()
        recipients = np.broadcast_to(rows[:, None], approx.shape).ravel()
        components = prepared.components(donors, recipients)
        exact = (components @ prepared.weights) / prepared.weight_sum
        assert np.abs(approx.ravel() - exact).max() <= layout.delta


# --- edge cases named in the brief ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("k", [1, 7, 500])
def test_edge_cases_match_reference(mode, k):
    arrays = make_arrays(37, seed=11, mode=mode)
    params = params_with(k)
    matches = score_all(arrays, params, **SMALL)
    check_against_reference(arrays, params, matches)
    if mode in ("no_needs", "donors_only"):
        assert len(matches) == 0


def test_one_city():
    arrays = make_arrays(1, seed=3)
    arrays.is_donor[:] = arrays.is_recipient[:] = True
    assert len(score_all(arrays, params_with())) == 0
    assert len(score_city(arrays, 0, params_with(), as_role="donor")) == 0


def test_identical_cities_tie_by_smaller_id():
    arrays = make_arrays(30, seed=5, mode="identical")
    params = params_with(4)
    matches = score_all(arrays, params, **SMALL)
    by_recipient, by_donor = lists_of(matches)
    donors = np.flatnonzero(arrays.is_donor)
    for recipient, entries in by_recipient.items():
        assert [d for d, _ in entries] == [d for d in donors if d != recipient][:4]
    assert len({t for entries in by_recipient.values() for _, t in entries}) == 1
    assert by_donor  # donors have their lists too


def test_k_larger_than_n_keeps_every_qualifying_pair():
    arrays = make_arrays(25, seed=9)
    matches = score_all(arrays, params_with(1000))
    assert len(matches) == len(reference_pairs(arrays, params_with(1000)))


# --- blocks, memory and determinism -------------------------------------------------------------


def test_block_sizes_are_bounded():
    assert plan_block_rows(24_000, 2) == 12_032  # whole chunks of 128 rows
    assert plan_block_rows(10**7, 2) == 16_384  # capped
    assert plan_block_rows(10, 2) == 128
    # The working buffers are (chunk x tile), whatever the number of cities...
    small = make_arrays(40, seed=1)
    large = make_arrays(400, seed=1)
    sizes = set()
    for arrays in (small, large):
        layout = hot_layout(prepare(arrays, params_with()), 64)
        sizes.add(_Workspace(layout, 16).scores.nbytes)
    assert sizes == {16 * 64 * 4}
    # ...and a block's result holds at most K pairs per recipient row and per donor.
    arrays, params = make_arrays(300, seed=2), params_with(5)
    prepared = prepare(arrays, params)
    rows = np.arange(0, 150)
    block = score_block(arrays, rows, params, chunk_rows=16, tile_width=64)
    assert len(block.recipient_side_donor) <= 5 * len(rows)
    assert len(block.donor_side_donor) <= 5 * len(prepared.donor_rows)
    assert block.nbytes <= (len(rows) + len(prepared.donor_rows)) * 5 * 10 + 200 + 4 * len(rows)
    estimate = block_memory_bytes(len(prepared.donor_rows), len(rows), 5)
    assert block.nbytes < estimate < 50 * 2**20
    # At the defaults, a block of 12k recipients against 17k donors stays under 100 MB.
    assert block_memory_bytes(17_000, 12_000, 50) < 100 * 2**20


def test_exact_scores_do_not_depend_on_the_batch():
    arrays = make_arrays(60, seed=4)
    prepared = prepare(arrays, params_with())
    donors, recipients = np.meshgrid(np.arange(60), np.arange(60))
    donors, recipients = donors.ravel(), recipients.ravel()
    together = prepared.components(donors, recipients)
    order = np.random.default_rng(0).permutation(len(donors))
    shuffled = prepared.components(donors[order], recipients[order])
    np.testing.assert_array_equal(together[order], shuffled)
    one_by_one = np.vstack(
        [prepared.components(donors[i : i + 1], recipients[i : i + 1]) for i in range(50)]
    )
    np.testing.assert_array_equal(together[:50], one_by_one)


def test_merge_refuses_mismatched_blocks():
    arrays, params = make_arrays(30, seed=6), params_with(3)
    first = score_block(arrays, np.arange(0, 15), params)
    with pytest.raises(ValueError, match="overlap"):
        merge_blocks(arrays, [first, score_block(arrays, np.arange(10, 30), params)], params)
    other = params_with(4)
    with pytest.raises(ValueError, match="other inputs"):
        merge_blocks(arrays, [first, score_block(arrays, np.arange(15, 30), other)], params)


def test_other_weights_share_the_preparation_and_score_as_a_fresh_one():
    """An agency's own weights reuse the prepared arrays: same scores and fingerprint as new."""
    from matching.scoring import clear_prepared

    arrays = make_arrays(60, seed=11)
    default = params_with(k=5)
    own = params_with(k=5, weights={**DEFAULT_WEIGHTS, "need_fit": 0.6, "language": 0.2})
    clear_prepared()
    base = prepare(arrays, default)
    shared = prepare(arrays, own)
    assert shared is not base and shared.pair_inputs.need_levels is base.pair_inputs.need_levels
    clear_prepared()
    fresh = prepare(arrays, own)
    assert fresh.pair_inputs.need_levels is not base.pair_inputs.need_levels
    assert np.array_equal(shared.fingerprint, fresh.fingerprint)
    assert not np.array_equal(shared.fingerprint, base.fingerprint)
    for row in range(len(arrays)):
        expected = score_city(arrays, row, own, prepared=fresh)
        found = score_city(arrays, row, own, prepared=shared)
        assert np.array_equal(found.donor, expected.donor)
        assert np.array_equal(found.score, expected.score)
        assert np.array_equal(found.components, expected.components)
    assert len(score_all(arrays, own, prepared=shared)) == len(score_all(arrays, own))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), areas=st.sampled_from([1, 3, 7, 70]))
def test_explanations_follow_the_formulas(seed, areas):
    """Top areas: the three largest N_r[a] E_d[a] > 0, ties to the smaller area; gives back:
    N_d[a] > 0 and E_r[a] > 0 (SCORING.md), pair by pair."""
    arrays = make_arrays(25, seed=seed, areas=areas, mode="few_values")
    prepared = prepare(arrays, params_with(k=5))
    rng = np.random.default_rng(seed)
    donors, recipients = rng.integers(0, 25, 200), rng.integers(0, 25, 200)
    top_areas, gives_back = prepared.explanations(donors, recipients)
    for pair, (d, r) in enumerate(zip(donors.tolist(), recipients.tolist(), strict=True)):
        contributions = [(arrays.needs[r, a] * arrays.expertise[d, a], a) for a in range(areas)]
        best = sorted((-c, a) for c, a in contributions if c > 0)[:3]
        assert top_areas[pair].tolist() == [a for _, a in best] + [-1] * (3 - len(best))
        expected = [
            bool(arrays.needs[d, a] > 0 and arrays.expertise[r, a] > 0) for a in range(areas)
        ]
        assert gives_back[pair].tolist() == expected
