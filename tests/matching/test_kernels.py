"""The compiled tile pass and the tile bounds: same lists with and without pruning."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.scoring import (
    CityArrays,
    Matches,
    PruningStats,
    cache_directory,
    kernels,
    pairs,
    prepare,
    score_all,
    score_block,
    score_city,
    warm_up,
    warmup,
)
from matching.scoring.engine import hot_layout
from matching.scoring.tiles import _Chunk, _tile_scores, _Workspace, tile_bounds

from .test_engine import (
    SMALL,
    arrays_strategy,
    check_against_reference,
    make_arrays,
    params_strategy,
    params_with,
)

REPOSITORY = Path(__file__).resolve().parents[2]
# Ties everywhere: identical cities, or a handful of distinct values per field.
tied_arrays = st.builds(
    lambda n, seed, mode: make_arrays(n, seed=seed, mode=mode),
    n=st.integers(2, 40),
    seed=st.integers(0, 2**32 - 1),
    mode=st.sampled_from(["identical", "few_values", "zero_budget"]),
)
examples = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_same_matches(left: Matches, right: Matches) -> None:
    for field in dataclasses.fields(Matches):
        np.testing.assert_array_equal(getattr(left, field.name), getattr(right, field.name))


@examples
@given(arrays=st.one_of(arrays_strategy, tied_arrays), params=params_strategy)
def test_pruning_keeps_the_same_lists(arrays, params):
    stats = PruningStats()
    pruned = score_all(arrays, params, workers=2, stats=stats, **SMALL)
    unpruned = score_all(arrays, params, workers=1, prune=False, **SMALL)
    assert_same_matches(pruned, unpruned)
    assert stats.tiles_skipped <= stats.tiles
    assert stats.pairs_skipped <= stats.pairs


def cloned_arrays(n: int, profiles: int, seed: int, mode: str) -> CityArrays:
    """n cities that are copies of a few profiles, scattered over the rows, roles at random.

    Every copy of a profile scores the same with every partner, so lists are decided by the
    tie rule (smaller row) across chunk and tile borders, where the bounds and thresholds act.
    """
    base = make_arrays(profiles, seed=seed, mode=mode)
    rng = np.random.default_rng(seed)
    which = rng.integers(0, profiles, n)
    fields = {
        field.name: np.asarray(getattr(base, field.name))[which]
        for field in dataclasses.fields(CityArrays)
        if field.name not in ("ids", "relevance", "is_donor", "is_recipient")
    }
    role = rng.choice(3, n, p=[0.35, 0.35, 0.3])  # donor, recipient, both
    return CityArrays(
        ids=np.sort(rng.choice(10 * n, n, replace=False)).astype(np.int64) + 1,
        relevance=base.relevance,
        is_donor=role != 1,
        is_recipient=role != 0,
        **fields,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arrays=st.builds(
        cloned_arrays,
        n=st.integers(2, 60),
        profiles=st.integers(1, 4),
        seed=st.integers(0, 2**32 - 1),
        mode=st.sampled_from(["random", "few_values", "zero_budget"]),
    ),
    k=st.sampled_from([1, 2, 3, 5]),
    chunk_rows=st.integers(1, 9),
    tile_width=st.integers(1, 17),
)
def test_pruned_kernel_keeps_lists_and_ranks_under_ties(arrays, k, chunk_rows, tile_width):
    """With ties everywhere, the pruned compiled path (bounds, thresholds, prefilter) gives
    the same lists and ranks as scoring every pair in full, and as the reference."""
    params = params_with(k)
    sizes = {"chunk_rows": chunk_rows, "tile_width": tile_width}
    stats = PruningStats()
    pruned = score_all(arrays, params, workers=2, stats=stats, **sizes)
    unpruned = score_all(arrays, params, workers=1, prune=False, **sizes)
    assert_same_matches(pruned, unpruned)
    check_against_reference(arrays, params, pruned)
    assert stats.candidates >= len(pruned)  # every stored pair was a candidate once
    assert stats.pairs_completed <= stats.pairs


@examples
@given(arrays=st.one_of(arrays_strategy, tied_arrays), params=params_strategy)
def test_tile_bounds_hold_every_score_of_the_tile(arrays, params):
    prepared = prepare(arrays, params)
    layout = hot_layout(prepared, 8)
    rows = prepared.recipient_rows
    if not len(rows) or not layout.tiles:
        return
    bound = tile_bounds(layout).recipients_against_tiles(rows)
    work = _Workspace(layout, len(rows))
    chunk = _Chunk(layout, rows)
    for number, tile in enumerate(layout.tiles):
        approx = _tile_scores(work, chunk, tile).astype(np.float64)
        assert np.all(approx.max(axis=1) <= bound[:, number])


def test_bounds_skip_tiles_that_cannot_compete():
    # Rows 0-7 strong donors, 8-15 recipients that suit every donor, 16-39 weak donors, 40-63
    # recipients nobody suits (another size, no language, no capacity, no sectors). After the
    # strong donors' tile, a weak tile can neither enter the latter's top K nor the weak
    # donors' (full of the suitable recipients): their rows stay out of its GEMM.
    rows = np.arange(64)
    strong, suitable, weak, unsuited = (
        rows < 8,
        (rows >= 8) & (rows < 16),
        (rows >= 16) & (rows < 40),
        rows >= 40,
    )
    arrays = make_arrays(64, seed=3, areas=2, sectors=2, languages=1)
    arrays.is_donor[:] = strong | weak
    arrays.is_recipient[:] = suitable | unsuited
    arrays.needs[:] = [3, 0]
    arrays.expertise[:] = np.where(strong[:, None], [3, 0], [1, 0])
    arrays.practices[:] = np.where(strong[:, None], [2, 0], [0, 0])
    arrays.population[:] = np.where(unsuited, 1e9, 1e5)
    arrays.languages[:] = ~unsuited[:, None]
    arrays.absorptive_capacity[:] = np.where(unsuited, 0, 5)
    arrays.sectors[:] = np.where(unsuited[:, None], 0.0, 1.0)
    params = params_with(2)
    stats = PruningStats()
    matches = score_all(arrays, params, stats=stats, **SMALL)
    assert stats.tiles_skipped > 0 and stats.pairs_skipped > 0
    assert stats.pairs_completed < stats.pairs
    assert_same_matches(matches, score_all(arrays, params, prune=False, **SMALL))
    check_against_reference(arrays, params, matches)


@examples
@given(
    arrays=arrays_strategy,
    params=params_strategy,
    bar=st.sampled_from([-np.inf, 0.2, 0.4, 0.6]),
    prune=st.booleans(),
)
def test_collect_pass_takes_exactly_the_pairs_reaching_a_threshold(arrays, params, bar, prune):
    prepared = prepare(arrays, params)
    layout = hot_layout(prepared, 8)
    rows = prepared.recipient_rows
    if not len(rows) or not layout.tiles:
        return
    rng = np.random.default_rng(len(rows))
    work = _Workspace(layout, len(rows))
    chunk = _Chunk(layout, rows)
    for tile in layout.tiles:
        complete = _tile_scores(work, chunk, tile).copy()
        gemm = chunk.features @ tile.features
        recipient_bar = (bar + rng.normal(0, 0.05, len(rows))).astype(np.float32)
        donor_bar = (bar + rng.normal(0, 0.05, tile.size)).astype(np.float32)
        count, _ = kernels.collect_tile(
            gemm,
            np.arange(len(rows)),
            chunk.kernel,
            tile.kernel,
            layout.terms,
            recipient_admission=recipient_bar,
            donor_admission=donor_bar,
            complete=False,
            prune=prune,
            out=work.candidates,
        )
        out = work.candidates
        found = {
            (int(out.local[i]), int(out.column[i])): (float(out.value[i]), int(out.reach[i]))
            for i in range(count)
        }
        fits = prepared.fits(
            np.repeat(tile.rows[None, :], len(rows), 0).ravel(),
            np.repeat(rows[:, None], tile.size, 1).ravel(),
        ).reshape(len(rows), tile.size)
        storable = fits & (rows[:, None] != tile.rows[None, :])
        reach = (complete >= recipient_bar[:, None]) * 1 + (complete >= donor_bar[None, :]) * 2
        expected = {
            (int(i), int(j)): (float(complete[i, j]), int(reach[i, j]))
            for i, j in zip(*np.nonzero(storable & (reach > 0)), strict=True)
        }
        assert found == expected
        assert list(out.local[:count]) == sorted(out.local[:count])


def _signature_counts() -> dict[str, int]:
    """Compiled signatures of each kernel (helpers inlined into them have none of their own)."""
    return {
        f"{module.__name__}.{name}": len(dispatcher.signatures)
        for module in (kernels, pairs)
        for name, dispatcher in vars(module).items()
        if hasattr(dispatcher, "py_func") and dispatcher.targetoptions.get("inline") != "always"
    }


def test_warm_up_compiles_every_signature_the_engine_uses():
    warm_up()
    before = _signature_counts()
    assert before and all(count == 1 for count in before.values())
    for mode in ("random", "identical"):
        arrays = make_arrays(60, seed=8, languages=70, areas=70, mode=mode)
        for weights in (None, {**params_with().weights, "size": 1.0}):
            params = params_with(3, weights, size_sigma=0.05)
            score_all(arrays, params, **SMALL)
            score_block(arrays, np.arange(10), params)
            score_city(arrays, int(prepare(arrays, params).recipient_rows[0]), params)
    assert _signature_counts() == before


def _cache_directory_in_a_new_process(environment: dict[str, str]) -> str:
    code = "from matching.scoring import cache_directory; print(cache_directory())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_numba_cache_directory(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != kernels.CACHE_ENVIRONMENT}
    assert _cache_directory_in_a_new_process(environment) == str(REPOSITORY / ".cache" / "numba")
    environment[kernels.CACHE_ENVIRONMENT] = str(tmp_path / "kernels")
    assert _cache_directory_in_a_new_process(environment) == str(tmp_path / "kernels")
    assert cache_directory() == Path(os.environ[kernels.CACHE_ENVIRONMENT])


def test_engine_threads_run_blas_on_one_thread():
    """The limit holds in the engine's threads even when another thread set BLAS limits first.

    threadpoolctl ignores limits set from any thread but its "controlling" one; the engine's
    threads must still get one BLAS thread each, or their GEMMs oversubscribe the cores.
    """
    import threading

    from threadpoolctl import ThreadpoolController

    from matching.scoring import single_threaded_blas

    controller = ThreadpoolController().select(user_api="blas")
    if not controller.lib_controllers or controller.info()[0]["num_threads"] < 2:
        return  # nothing to limit with a single BLAS thread
    controller.limit(limits=2).restore_original_limits()  # this thread now controls OpenBLAS
    seen: list[list[int]] = []

    def engine_thread() -> None:
        with single_threaded_blas():
            blas = ThreadpoolController().select(user_api="blas").info()
            seen.append([library["num_threads"] for library in blas])

    workers = [threading.Thread(target=engine_thread) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(seen) == 2 and all(threads == 1 for found in seen for threads in found)
    assert controller.info()[0]["num_threads"] >= 2  # restored afterwards


def test_warm_up_reports_each_step_for_a_progress_bar():
    steps: list[tuple[int, int]] = []
    warm_up(lambda done, total: steps.append((done, total)))
    assert steps == [(done, warmup.WARM_UP_STEPS) for done in range(1, warmup.WARM_UP_STEPS + 1)]


def test_migrate_draws_the_engines_bar():
    from io import StringIO

    from matching.receivers import warm_up_engine

    out = StringIO()
    warm_up_engine(stdout=out, verbosity=1)
    assert "Preparing the scoring engine" in out.getvalue()
    assert f"{warmup.WARM_UP_STEPS}/{warmup.WARM_UP_STEPS}" in out.getvalue()
