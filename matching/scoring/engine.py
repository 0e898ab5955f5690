"""The scoring engine: every recipient against every donor, in blocks, keeping top K both ways.

How a run works
---------------
* The recipients are cut into **blocks** of consecutive rows (a Celery shard is one block).
  ``score_block`` scores its recipients against every donor and returns a ``BlockResult``:
  (a) each of its recipients' final top K donors, and (b) for every donor its top K among the
  block's recipients. ``merge_blocks`` keeps each donor's top K over all blocks, joins both
  sides (a pair in both lists appears once, with both ranks) and computes components and
  explanations for the kept pairs only (merging.py, compiled).
* Inside a block, recipients go in **chunks** of ``chunk_rows`` rows and donors in **tiles** of
  ``tile_width`` columns, so the working memory is a few (chunk_rows x tile_width) float32
  buffers that stay in cache, whatever the number of cities. For each tile one float32 GEMM of
  pre-weighted features gives the bilinear part of every pair's mean score (layout.py); one
  compiled pass over the tile (kernels.py) adds budget (kinked donors only), size (when not in
  the GEMM) and language, tests the thresholds and compacts the candidates.
* **Bounds** (bounds.py): before the GEMM, a bound of each recipient's scores over the whole
  tile (from the tile's per-column maxima of each feature block) leaves out the recipients that
  no donor of the tile can admit, and the whole tile when none remains; in the pass, a pair
  gets its non-linear terms only when its GEMM value plus their largest value reaches a
  threshold. ``prune=False`` turns both off (same lists); ``PruningStats`` counts what they
  spared.
* **Top K** (topk.py): a pair becomes a candidate when its float32 score reaches its recipient's
  or its donor's threshold. A recipient's threshold starts from a bound on its first tile (the
  K-th largest of group maxima); a donor's from a probe of a sample of all recipients (valid in
  every block: K pairs anywhere bound the donor's final K-th best). Thresholds rise as the
  candidate lists fill, and include a margin covering the float32 error (``layout.delta``) and
  the rounding to one decimal, so no pair that belongs in a top K is ever dropped. Survivors
  are then scored exactly in float64 (exact.py) and ranked by (score rounded to one decimal,
  descending; city row, ascending), which makes the lists deterministic despite the many ties
  rounding creates.

Scores are stored as ``np.round(100 * mean, 1)``; ``score_city`` and every run compute a pair's
score with the same float64 code, so a pair always gets the same score and rank.

Memory: a block holds (chunk x tile) work buffers (~6 MiB at the defaults), candidate lists
(donors x 6 K + chunk x 8 K entries of 8 bytes) and its result (~10 bytes per kept pair:
(block rows + donors) x K at most); ``block_memory_bytes`` gives the bound. The inputs and the
float32 features (cities x ~80) are shared by all blocks of a process. A block and the merge
end by handing freed heap pages back to the system, so a worker's later runs do not add up.
"""

from __future__ import annotations

import ctypes
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from . import merging
from .blas import single_threaded_blas
from .exact import PAIR_BATCH, PreparedInputs, content_digest
from .layout import HotLayout
from .tiles import (
    CHUNK_ROWS,
    DONOR_CAPACITY,
    RECIPIENT_CAPACITY,
    TILE_WIDTH,
    WORK_BYTES_PER_PAIR,
    PruningStats,
    probe_donors,
    score_rows,
)
from .topk import rank_key, sorted_unique, unique_order
from .types import BlockResult, CityArrays, Matches, ScoringParams

# Blocks larger than this bring nothing (the donor side restarts per block, which is cheap).
MAX_BLOCK_ROWS = 16_384
# Prepared inputs kept per process (see prepare).
PREPARED_KEPT = 2


_prepared_lock = threading.Lock()
_prepared_cache: dict[tuple, PreparedInputs] = {}


def _params_key(params: ScoringParams) -> tuple:
    return (
        tuple(sorted(params.weights.items())),
        params.size_sigma,
        params.default_cost_usd,
        params.top_k,
    )


def prepare(arrays: CityArrays, params: ScoringParams) -> PreparedInputs:
    """Check the inputs and derive what scoring needs (features, tiles, donor probe).

    The last few results are kept per process and reused when the same content comes again
    (hashing the arrays costs ~1/10 of preparing them), so the shards of a run that a worker
    scores, the merge and repeated ``score_city`` calls prepare once; the same content under
    other weights (an agency's own) shares the kept one's arrays (``reweighted``).
    ``clear_prepared()`` drops them.
    """
    content = content_digest(arrays)
    key = (content, _params_key(params))
    with _prepared_lock:
        prepared = _prepared_cache.get(key)
        sibling = next(
            (
                kept
                for (kept_content, _), kept in reversed(_prepared_cache.items())
                if kept_content == content and kept.same_but_weights(params)
            ),
            None,
        )
    if prepared is None:
        prepared = (
            sibling.reweighted(params)
            if sibling
            else PreparedInputs(arrays, params, content=content)
        )
        with _prepared_lock:
            while len(_prepared_cache) >= PREPARED_KEPT:
                del _prepared_cache[next(iter(_prepared_cache))]
            _prepared_cache[key] = prepared
    return prepared


def clear_prepared() -> None:
    with _prepared_lock:
        _prepared_cache.clear()


_layout_lock = threading.Lock()


def hot_layout(prepared: PreparedInputs, tile_width: int = TILE_WIDTH) -> HotLayout:
    """The GEMM features, donor tiles and donor probe (built once, then cached on prepared)."""
    with _layout_lock:
        cache: dict[int, HotLayout] = prepared.__dict__.setdefault("_layouts", {})
        if tile_width not in cache:
            layout = HotLayout(prepared, tile_width)
            with single_threaded_blas():
                layout.donor_probe = probe_donors(layout)
            cache[tile_width] = layout
        return cache[tile_width]


def score_block(
    arrays: CityArrays,
    recipient_rows: np.ndarray,
    params: ScoringParams,
    *,
    prepared: PreparedInputs | None = None,
    chunk_rows: int = CHUNK_ROWS,
    tile_width: int = TILE_WIDTH,
    prune: bool = True,
    stats: PruningStats | None = None,
) -> BlockResult:
    """Score recipients ``recipient_rows`` against every donor (see the module docstring).

    Rows that are not recipients, or have no needs, are covered but get no matches.
    ``prune=False`` scores every pair in full (same result, for checking the bounds); ``stats``
    adds up the tiles and pairs the bounds left out.
    """
    prepared = prepared or prepare(arrays, params)
    rows = sorted_unique(np.asarray(recipient_rows, dtype=np.int64))
    if len(rows) and (rows[0] < 0 or rows[-1] >= prepared.n_cities):
        raise ValueError("recipient_rows must be row indices of the arrays")
    scored = rows[prepared.recipient_ok[rows]]
    layout = hot_layout(prepared, tile_width)
    with single_threaded_blas():
        (r_donor, r_recipient, r_tenths), (d_donor, d_recipient, d_tenths) = score_rows(
            layout, scored, chunk_rows, prune=prune, stats=stats
        )
    also_donor = int(np.count_nonzero(prepared.donor_ok[scored]))
    _return_freed_memory()
    return BlockResult(
        fingerprint=prepared.fingerprint.copy(),
        rows=rows.astype(np.int32),
        recipient_side_donor=r_donor.astype(np.int32),
        recipient_side_recipient=r_recipient.astype(np.int32),
        recipient_side_tenths=r_tenths.astype(np.int16),
        donor_side_donor=d_donor.astype(np.int32),
        donor_side_recipient=d_recipient.astype(np.int32),
        donor_side_tenths=d_tenths.astype(np.int16),
        pairs_scored=np.array(len(scored) * len(prepared.donor_rows) - also_donor, np.int64),
    )


def _return_freed_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere a no-op).

    A run frees hundreds of MB of temporaries from threads that each allocate in their own
    malloc arena; kept by the allocator, they add up over the runs a worker process scores.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


# --- merging ------------------------------------------------------------------------------


def merge_blocks(
    arrays: CityArrays,
    blocks: Sequence[BlockResult],
    params: ScoringParams,
    *,
    prepared: PreparedInputs | None = None,
    workers: int = 2,
) -> Matches:
    """Final top K of every recipient and every donor; a pair in both lists appears once.

    Components and explanations are computed for the kept pairs only, in ``workers`` threads
    (merging.py).
    """
    prepared = prepared or prepare(arrays, params)
    matches = merging.merge_blocks(blocks, prepared, workers=workers)
    _return_freed_memory()
    return matches


# --- whole runs and single cities ---------------------------------------------------------


def plan_block_rows(n_recipients: int, workers: int, chunk_rows: int = CHUNK_ROWS) -> int:
    """Rows per block: one block per worker, whole chunks, at most MAX_BLOCK_ROWS."""
    per_worker = math.ceil(max(n_recipients, 1) / max(workers, 1))
    whole_chunks = math.ceil(per_worker / chunk_rows) * chunk_rows
    return max(chunk_rows, min(MAX_BLOCK_ROWS, whole_chunks))


def block_memory_bytes(
    n_donors: int,
    block_rows: int,
    top_k: int,
    *,
    chunk_rows: int = CHUNK_ROWS,
    tile_width: int = TILE_WIDTH,
) -> int:
    """Upper bound of the memory one block's scoring holds besides the shared inputs.

    Working buffers (chunk x tile), candidate lists (donors and chunk rows x a few K), the
    exact formulas' batch temporaries and the result ((block rows + donors) x K pairs at most).
    """
    buffers = chunk_rows * tile_width * WORK_BYTES_PER_PAIR
    lists = (n_donors * DONOR_CAPACITY + chunk_rows * RECIPIENT_CAPACITY) * top_k * 8
    lists += n_donors * 8 * 3
    exact_batch = PAIR_BATCH * 1024
    result = (block_rows + n_donors) * top_k * 10 + block_rows * 4
    return buffers + lists + exact_batch + result


def score_all(
    arrays: CityArrays,
    params: ScoringParams,
    *,
    block_rows: int | None = None,
    workers: int = 2,
    prepared: PreparedInputs | None = None,
    chunk_rows: int = CHUNK_ROWS,
    tile_width: int = TILE_WIDTH,
    prune: bool = True,
    stats: PruningStats | None = None,
) -> Matches:
    """A whole run in this process: blocks on ``workers`` threads, then the merge.

    ``prune`` and ``stats``: see score_block; ``stats`` also gets the CPU time of preparing
    and of the merge (the process's: nothing else runs meanwhile).
    """
    started = time.process_time()
    prepared = prepared or prepare(arrays, params)
    recipients = prepared.recipient_rows
    workers = max(1, int(workers))
    block_rows = block_rows or plan_block_rows(len(recipients), workers, chunk_rows)
    hot_layout(prepared, tile_width)  # build once, before the threads share it
    if stats is not None:
        stats.prepare_s += time.process_time() - started
    blocks = [recipients[i : i + block_rows] for i in range(0, len(recipients), block_rows)]
    score = partial(
        score_block,
        arrays,
        params=params,
        prepared=prepared,
        chunk_rows=chunk_rows,
        tile_width=tile_width,
        prune=prune,
        stats=stats,
    )
    if workers == 1 or len(blocks) <= 1:
        results = [score(rows) for rows in blocks]
    else:
        # numpy releases the GIL in ufuncs and BLAS: threads share the inputs, one core each.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(score, blocks))
    started = time.process_time()
    matches = merge_blocks(arrays, results, params, prepared=prepared, workers=workers)
    if stats is not None:
        stats.merge_s += time.process_time() - started
    return matches


def score_city(
    arrays: CityArrays,
    row: int,
    params: ScoringParams,
    *,
    as_role: str = "recipient",
    prepared: PreparedInputs | None = None,
) -> Matches:
    """One city against all others, ALL qualifying pairs ranked on that city's side.

    As "recipient": every donor with need_fit > 0 for it, ``recipient_rank`` 1..M (donor_rank
    0). As "donor": every recipient it fits, ``donor_rank`` 1..M. Rows are in rank order. A city
    without that role (or without needs / expertise) gets no pairs.
    """
    if as_role not in ("recipient", "donor"):
        raise ValueError('as_role must be "recipient" or "donor"')
    prepared = prepared or prepare(arrays, params)
    n = prepared.n_cities
    if not 0 <= int(row) < n:
        raise ValueError(f"row {row} is not a row of the arrays")
    row = int(row)
    if as_role == "recipient":
        if not prepared.recipient_ok[row]:
            return merging.empty_matches(prepared.n_areas)
        partners = prepared.donor_rows[prepared.donor_rows != row]
        donor, recipient = partners, np.full(len(partners), row, np.int64)
    else:
        if not prepared.donor_ok[row]:
            return merging.empty_matches(prepared.n_areas)
        partners = prepared.recipient_rows[prepared.recipient_rows != row]
        donor, recipient = np.full(len(partners), row, np.int64), partners
    fits = prepared.fits(donor, recipient)
    donor, recipient, partners = donor[fits], recipient[fits], partners[fits]
    components, tenths = prepared.scored_pairs(donor, recipient)
    order = unique_order(rank_key(np.zeros_like(partners), tenths, partners, n))
    donor, recipient = donor[order], recipient[order]
    scored = (components[order], tenths[order])
    ranks = np.arange(1, len(order) + 1)
    none = np.zeros(len(order), np.int64)
    if as_role == "recipient":
        return merging.matches_of(prepared, donor, recipient, none, ranks, scored=scored)
    return merging.matches_of(prepared, donor, recipient, ranks, none, scored=scored)


def score_pairs(
    arrays: CityArrays,
    donor_rows: np.ndarray,
    recipient_rows: np.ndarray,
    params: ScoringParams,
    *,
    prepared: PreparedInputs | None = None,
) -> Matches:
    """The given (donor row, recipient row) pairs scored in one batch, in their input order.

    Pairs that do not fit (the donor offers nothing the recipient needs, a city without that
    role, a city paired with itself) are left out. Ranks are 0: they belong to lists, not pairs.
    """
    prepared = prepared or prepare(arrays, params)
    donor = np.asarray(donor_rows, dtype=np.int64)
    recipient = np.asarray(recipient_rows, dtype=np.int64)
    keep = (donor != recipient) & prepared.donor_ok[donor] & prepared.recipient_ok[recipient]
    donor, recipient = donor[keep], recipient[keep]
    fits = prepared.fits(donor, recipient)
    donor, recipient = donor[fits], recipient[fits]
    none = np.zeros(len(donor), np.int64)
    return merging.matches_of(prepared, donor, recipient, none, none)
