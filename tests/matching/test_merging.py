"""The compiled ranking of lists and the merge's join against plain numpy, and their warm-up."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.scoring import (
    merging,
    prepare,
    score_all,
    score_block,
    score_city,
    topk,
    warm_up,
)

from .test_engine import SMALL, make_arrays, params_with


def _numpy_top_k(owner, partner, tenths, k, n_rows):
    order = np.lexsort((partner, -tenths, owner))
    owner, partner, tenths = owner[order], partner[order], tenths[order]
    rank = np.zeros(len(owner), dtype=np.int64)
    for position in range(len(owner)):
        same = position > 0 and owner[position] == owner[position - 1]
        rank[position] = rank[position - 1] + 1 if same else 1
    top = rank <= k
    return owner[top], partner[top], tenths[top], rank[top]


def _entries(n_rows: int, count: int, seed: int):
    """Distinct (owner, partner) entries with few distinct tenths (many ties)."""
    rng = np.random.default_rng(seed)
    keys = rng.choice(n_rows * n_rows, size=min(count, n_rows * n_rows), replace=False)
    owner, partner = np.divmod(keys, n_rows)
    tenths = rng.integers(0, 5, len(keys)) * 100
    return owner, partner, tenths


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 30), count=st.integers(0, 300), k=st.integers(1, 6), seed=st.integers()
)
def test_rank_lists_is_a_sort_by_owner_score_and_partner(n_rows, count, k, seed):
    owner, partner, tenths = _entries(n_rows, count, seed % 2**32)
    expected = _numpy_top_k(owner, partner, tenths, k, n_rows)
    got = merging.rank_lists(owner, partner, tenths, k, n_rows)
    for values, wanted in zip(got, expected, strict=True):
        np.testing.assert_array_equal(values, wanted)


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 30), count=st.integers(0, 300), k=st.integers(1, 6), seed=st.integers()
)
def test_join_sides_is_the_union_by_recipient_then_donor(n_rows, count, k, seed):
    recipient, donor, tenths = _entries(n_rows, count, seed % 2**32)
    r_recipient, r_donor, r_tenths, r_rank = merging.rank_lists(recipient, donor, tenths, k, n_rows)
    d_donor, d_recipient, d_tenths, d_rank = merging.rank_lists(donor, recipient, tenths, k, n_rows)
    got = merging.join_sides(
        (r_recipient, r_donor, r_tenths, r_rank), (d_recipient, d_donor, d_tenths, d_rank), n_rows
    )
    keys = np.concatenate([r_recipient * n_rows + r_donor, d_recipient * n_rows + d_donor])
    pairs = np.unique(keys)
    recipient_rank = dict(zip(r_recipient * n_rows + r_donor, r_rank, strict=True))
    donor_rank = dict(zip(d_recipient * n_rows + d_donor, d_rank, strict=True))
    score = dict(zip(recipient * n_rows + donor, tenths, strict=True))
    np.testing.assert_array_equal(got[0], pairs // n_rows)
    np.testing.assert_array_equal(got[1], pairs % n_rows)
    np.testing.assert_array_equal(got[2], [recipient_rank.get(key, 0) for key in pairs])
    np.testing.assert_array_equal(got[3], [donor_rank.get(key, 0) for key in pairs])
    np.testing.assert_array_equal(got[4], [score[key] for key in pairs])
    assert got[5]


def test_join_sides_flags_a_pair_scored_twice_differently():
    side = (np.array([0]), np.array([1]), np.array([500]), np.array([1]))
    other = (np.array([0]), np.array([1]), np.array([501]), np.array([1]))
    assert merging.join_sides(side, side, 2)[5]
    assert not merging.join_sides(side, other, 2)[5]


def _signature_counts() -> dict[str, int]:
    return {
        f"{module.__name__}.{name}": len(dispatcher.signatures)
        for module in (merging, topk)
        for name, dispatcher in vars(module).items()
        if hasattr(dispatcher, "py_func") and dispatcher.targetoptions.get("inline") != "always"
    }


def test_warm_up_compiles_the_ranking_and_merge_kernels():
    warm_up()
    before = _signature_counts()
    assert before and all(count == 1 for count in before.values())
    for mode in ("random", "identical"):
        arrays = make_arrays(60, seed=8, languages=70, areas=70, mode=mode)
        params = params_with(3)
        score_all(arrays, params, **SMALL)
        score_all(arrays, params, workers=1, **SMALL)
        score_block(arrays, np.arange(10), params)
        score_city(arrays, int(prepare(arrays, params).recipient_rows[0]), params)
    assert _signature_counts() == before
