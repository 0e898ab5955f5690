"""The scoring engine: every recipient against every donor, in blocks, keeping top K both ways.

How a run works
---------------
* The recipients are cut into **blocks** of consecutive rows (a Celery shard is one block).
  ``score_block`` scores its recipients against every donor and returns a ``BlockResult``:
  (a) each of its recipients' final top K donors, and (b) for every donor its top K among the
  block's recipients. ``merge_blocks`` keeps each donor's top K over all blocks, joins both
  sides (a pair in both lists appears once, with both ranks) and computes components and
  explanations for the kept pairs only.
* Inside a block, recipients go in **chunks** of ``chunk_rows`` rows and donors in **tiles** of
  ``tile_width`` columns, so the working memory is a few (chunk_rows x tile_width) float32
  buffers that stay in cache, whatever the number of cities. For each tile one float32 GEMM of
  pre-weighted features gives the bilinear part of every pair's mean score (layout.py), a few
  in-place ufuncs add budget (kinked donors only), size (when not in the GEMM) and language.
* **Top K** (topk.py): a pair becomes a candidate when its float32 score reaches its recipient's
  or its donor's threshold; a threshold starts from a cheap bound on the first tile (the K-th
  largest of group maxima) and rises as the candidate lists fill. Thresholds include a margin
  covering the float32 error and the rounding to one decimal, so no pair that belongs in a top K
  is ever dropped. Survivors are then scored exactly in float64 (exact.py) and ranked by
  (score rounded to one decimal, descending; city row, ascending), which makes the lists
  deterministic despite the many ties rounding creates.

Scores are stored as ``np.round(100 * mean, 1)``; ``score_city`` and every run compute a pair's
score with the same float64 code, so a pair always gets the same score and rank.
"""

from __future__ import annotations

import ctypes
import glob
import itertools
import math
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial

import numpy as np

from .exact import PAIR_BATCH, PreparedInputs
from .layout import DonorTile, HotLayout
from .topk import CandidateLists, rank_key, ranks_within, sorted_unique
from .types import COMPONENTS, BlockResult, CityArrays, Matches, ScoringParams

# 128 x 2048 float32 = 1 MiB per buffer: a tile's buffers stay in the 1-2 MiB of L2 per core.
CHUNK_ROWS = 128
TILE_WIDTH = 2048
# Blocks larger than this bring nothing (the donor side restarts per block, which is cheap).
MAX_BLOCK_ROWS = 16_384
# Candidate list capacities, in multiples of K.
RECIPIENT_CAPACITY = 8
DONOR_CAPACITY = 4
# The donor probe (see _probe_donors): this share of the recipients, within [8 K, PROBE_ROWS].
PROBE_SHARE = 0.08
PROBE_ROWS = 2048


def prepare(arrays: CityArrays, params: ScoringParams) -> PreparedInputs:
    """Check the inputs and derive what scoring needs; reusable across calls with the same data."""
    return PreparedInputs(arrays, params)


_layout_lock = threading.Lock()


def hot_layout(prepared: PreparedInputs, tile_width: int = TILE_WIDTH) -> HotLayout:
    """The GEMM features, donor tiles and donor probe (built once, then cached on prepared)."""
    with _layout_lock:
        cache: dict[int, HotLayout] = prepared.__dict__.setdefault("_layouts", {})
        if tile_width not in cache:
            layout = HotLayout(prepared, tile_width)
            with single_threaded_blas():
                layout.donor_probe = _probe_donors(layout)
            cache[tile_width] = layout
        return cache[tile_width]


# --- one block ----------------------------------------------------------------------------


class _Workspace:
    """The per-thread (chunk x tile) buffers; nothing in the loop allocates more than these."""

    def __init__(self, layout: HotLayout, chunk_rows: int):
        size = chunk_rows * layout.tile_width
        self.layout = layout
        self.scores = np.empty(size, dtype=np.float32)
        self.scratch = np.empty(size, dtype=np.float32)
        self.fitting = np.empty(size, dtype=np.float32)
        self.words = np.empty(size, dtype=layout.language_words.dtype)
        self.more_words = np.empty(size if len(layout.language_words) > 1 else 0, self.words.dtype)
        self.mask = np.empty(size, dtype=bool)
        self.other_mask = np.empty(size, dtype=bool)

    @property
    def nbytes(self) -> int:
        return sum(
            buffer.nbytes
            for buffer in (self.scores, self.scratch, self.fitting, self.words, self.more_words)
        ) + (self.mask.nbytes + self.other_mask.nbytes)


class _Chunk:
    """The recipient side of a tile: features of a few consecutive recipient rows."""

    def __init__(self, layout: HotLayout, rows: np.ndarray):
        self.rows = rows
        self.features = np.ascontiguousarray(layout.recipient_features[rows])
        self.languages = np.ascontiguousarray(layout.language_words[:, rows])
        self.cofund = layout.recipient_cofund[rows]
        self.size_position = layout.size_position[rows]

    @property
    def size(self) -> int:
        return len(self.rows)


def _view(buffer: np.ndarray, rows: int, cols: int) -> np.ndarray:
    return buffer[: rows * cols].reshape(rows, cols)


def _tile_scores(work: _Workspace, chunk: _Chunk, tile: DonorTile) -> np.ndarray:
    """float32 mean scores (approximate, see layout.py) of the chunk x tile pairs."""
    layout = work.layout
    rows, cols = chunk.size, tile.size
    scores = _view(work.scores, rows, cols)
    np.matmul(chunk.features, tile.features, out=scores)
    if layout.size_by_exp:
        term = _view(work.scratch, rows, cols)
        np.subtract(chunk.size_position[:, None], tile.size_position[None, :], out=term)
        np.multiply(term, term, out=term)
        np.add(term, layout.size_log_weight, out=term)
        # 2**-100 instead of a subnormal (slow on x86, and too small to change a score).
        np.minimum(term, np.float32(100), out=term)
        np.negative(term, out=term)
        np.exp2(term, out=term)
        np.add(scores, term, out=scores)
    kinked = tile.n_kinked
    if kinked:
        # w_b min(1, budget_d/cost_d + cofund_r/cost_d), on the kinked columns only.
        term = _view(work.scratch, rows, kinked)
        np.multiply(chunk.cofund[:, None], tile.kinked_slope[None, :], out=term)
        np.add(term, tile.kinked_base[None, :], out=term)
        np.clip(term, np.float32(0), layout.budget_weight, out=term)
        np.add(scores[:, :kinked], term, out=scores[:, :kinked])
    if layout.uses_language:
        words = _view(work.words, rows, cols)
        np.copyto(words, tile.languages[0][None, :])
        np.bitwise_and(words, chunk.languages[0][:, None], out=words)
        for word in range(1, len(tile.languages)):
            more = _view(work.more_words, rows, cols)
            np.bitwise_and(chunk.languages[word][:, None], tile.languages[word][None, :], out=more)
            np.bitwise_or(words, more, out=words)
        shared = _view(work.mask, rows, cols)
        np.not_equal(words, 0, out=shared)
        term = _view(work.scratch, rows, cols)
        np.copyto(term, shared)
        np.multiply(term, layout.language_weight, out=term)
        np.add(scores, term, out=scores)
    return scores


def _fitting_scores(
    work: _Workspace, chunk: _Chunk, tile: DonorTile, number: int, scores: np.ndarray
) -> np.ndarray:
    """The tile's scores with -inf where need_fit == 0 or donor == recipient (for bounds)."""
    layout = work.layout
    prepared = layout.prepared
    rows, cols = scores.shape
    fitting = _view(work.fitting, rows, cols)
    np.copyto(fitting, scores)
    need = prepared.need_words[chunk.rows]
    expertise = prepared.expertise_words[tile.rows]
    fits = need[:, 0][:, None] & expertise[:, 0][None, :]
    for word in range(1, need.shape[1]):
        fits |= need[:, word][:, None] & expertise[:, word][None, :]
    np.copyto(fitting, np.float32(-np.inf), where=fits == 0)
    position = layout.donor_position[chunk.rows]
    own = position >= 0
    own[own] = layout.tile_of_position[position[own]] == number
    fitting[np.flatnonzero(own), layout.column_of_position[position[own]]] = -np.inf
    return fitting


def _row_kth_bound(fitting: np.ndarray, k: int) -> np.ndarray:
    """A lower bound of each row's K-th largest value (exact when the tile is narrow).

    The K-th largest of G disjoint group maxima is <= the K-th largest element, and grouping
    columns j, j+G, j+2G, ... makes the maxima one fast reduction.
    """
    rows, cols = fitting.shape
    groups = max(256, 2 * k)
    if cols >= 2 * groups:
        depth = cols // groups
        maxima = fitting[:, : depth * groups].reshape(rows, depth, groups).max(axis=1)
        return np.partition(maxima, groups - k, axis=1)[:, groups - k]
    if cols >= k:
        return np.partition(fitting, cols - k, axis=1)[:, cols - k]
    return np.full(rows, -np.inf, dtype=np.float32)


def _column_kth(fitting: np.ndarray, k: int) -> np.ndarray:
    rows, cols = fitting.shape
    if rows >= k:
        return np.partition(fitting, rows - k, axis=0)[rows - k]
    return np.full(cols, -np.inf, dtype=np.float32)


def _collect(
    work: _Workspace,
    chunk: _Chunk,
    tile: DonorTile,
    scores: np.ndarray,
    recipient_lists: CandidateLists,
    donor_lists: CandidateLists,
) -> None:
    """Push the pairs that reach their recipient's or their donor's admission threshold."""
    rows, cols = scores.shape
    recipient_admission = recipient_lists.admission[:rows]
    donor_admission = donor_lists.admission[tile.positions]
    reaches = _view(work.mask, rows, cols)
    np.greater_equal(scores, recipient_admission[:, None], out=reaches)
    reaches_donor = _view(work.other_mask, rows, cols)
    np.greater_equal(scores, donor_admission[None, :], out=reaches_donor)
    np.logical_or(reaches, reaches_donor, out=reaches)
    hits = np.flatnonzero(reaches)
    if len(hits) == 0:
        return
    local, column = np.divmod(hits, cols)
    values = scores.reshape(-1)[hits]
    recipients = chunk.rows[local]
    donors = tile.rows[column]
    # need_fit == 0 pairs are never stored; a city is never matched with itself.
    valid = work.layout.prepared.fits(donors, recipients) & (donors != recipients)
    take = valid & (values >= recipient_admission[local])
    recipient_lists.push(local[take], donors[take], values[take])
    take = valid & (values >= donor_admission[column])
    donor_lists.push(tile.positions[column[take]], recipients[take], values[take])


def _probe_donors(layout: HotLayout) -> np.ndarray:
    """Per donor, the K-th best approximate score among a sample of all recipients.

    Any K pairs bound a donor's final K-th best from below, in every block, so this is a valid
    starting threshold for the donor side of every block: without it a block's first chunks
    push a large share of their pairs as donor candidates. The sample is PROBE_SHARE of the
    recipients (at least 8 K, at most PROBE_ROWS), spread evenly over them.
    """
    prepared = layout.prepared
    k, recipients = prepared.top_k, prepared.recipient_rows
    probe_rows = int(np.clip(len(recipients) * PROBE_SHARE, 8 * k, PROBE_ROWS))
    probe_rows = min(probe_rows, len(recipients))
    kth = np.full(len(prepared.donor_rows), -np.inf, dtype=np.float32)
    if probe_rows < k:
        return kth
    sample = recipients[np.unique(np.linspace(0, len(recipients) - 1, probe_rows).astype(int))]
    work = _Workspace(layout, CHUNK_ROWS)
    for number, tile in enumerate(layout.tiles):
        values = np.empty((len(sample), tile.size), dtype=np.float32)
        for start in range(0, len(sample), CHUNK_ROWS):
            chunk = _Chunk(layout, sample[start : start + CHUNK_ROWS])
            scores = _tile_scores(work, chunk, tile)
            values[start : start + chunk.size] = _fitting_scores(work, chunk, tile, number, scores)
        kth[tile.positions] = _column_kth(values, k)
    return kth


def _score_rows(
    layout: HotLayout, rows: np.ndarray, chunk_rows: int
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    prepared = layout.prepared
    k, n = prepared.top_k, prepared.n_cities
    donor_rows = prepared.donor_rows
    current: list[np.ndarray] = [rows[:0]]

    def recipient_exact(owners: np.ndarray, partners: np.ndarray) -> np.ndarray:
        return prepared.pair_tenths(partners, current[0][owners])

    def donor_exact(owners: np.ndarray, partners: np.ndarray) -> np.ndarray:
        return prepared.pair_tenths(donor_rows[owners], partners)

    common = {"k": k, "margin": layout.margin, "delta": layout.delta, "n_rows": n}
    recipient_lists = CandidateLists(
        chunk_rows, capacity=RECIPIENT_CAPACITY * k, exact=recipient_exact, **common
    )
    donor_lists = CandidateLists(
        len(donor_rows), capacity=DONOR_CAPACITY * k, exact=donor_exact, **common
    )
    donor_lists.raise_thresholds(np.arange(len(donor_rows)), layout.donor_probe)
    work = _Workspace(layout, chunk_rows)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for chunk_number, start in enumerate(range(0, len(rows), chunk_rows)):
        chunk = _Chunk(layout, rows[start : start + chunk_rows])
        current[0] = chunk.rows
        recipient_lists.reset()
        for number, tile in enumerate(layout.tiles):
            scores = _tile_scores(work, chunk, tile)
            if number == 0 or chunk_number == 0:
                fitting = _fitting_scores(work, chunk, tile, number, scores)
                if number == 0:
                    recipient_lists.raise_thresholds(
                        np.arange(chunk.size), _row_kth_bound(fitting, k)
                    )
                if chunk_number == 0:
                    donor_lists.raise_thresholds(tile.positions, _column_kth(fitting, k))
            _collect(work, chunk, tile, scores, recipient_lists, donor_lists)
        owners, donors, tenths, _ = recipient_lists.finalize()
        found.append((donors, chunk.rows[owners], tenths))
    owners, recipients, tenths, _ = donor_lists.finalize()
    recipient_side = tuple(np.concatenate(parts) for parts in zip(*found, strict=True))
    if not found:
        recipient_side = (np.zeros(0, np.int64),) * 3
    return recipient_side, (donor_rows[owners], recipients, tenths)


def score_block(
    arrays: CityArrays,
    recipient_rows: np.ndarray,
    params: ScoringParams,
    *,
    prepared: PreparedInputs | None = None,
    chunk_rows: int = CHUNK_ROWS,
    tile_width: int = TILE_WIDTH,
) -> BlockResult:
    """Score recipients ``recipient_rows`` against every donor (see the module docstring).

    Rows that are not recipients, or have no needs, are covered but get no matches.
    """
    prepared = prepared or prepare(arrays, params)
    rows = sorted_unique(np.asarray(recipient_rows, dtype=np.int64))
    if len(rows) and (rows[0] < 0 or rows[-1] >= prepared.n_cities):
        raise ValueError("recipient_rows must be row indices of the arrays")
    scored = rows[prepared.recipient_ok[rows]]
    layout = hot_layout(prepared, tile_width)
    with single_threaded_blas():
        (r_donor, r_recipient, r_tenths), (d_donor, d_recipient, d_tenths) = _score_rows(
            layout, scored, chunk_rows
        )
    also_donor = int(np.count_nonzero(prepared.donor_ok[scored]))
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


# --- merging and the pairs' details -------------------------------------------------------


def _empty_matches(n_areas: int) -> Matches:
    return Matches(
        donor=np.zeros(0, np.int32),
        recipient=np.zeros(0, np.int32),
        score=np.zeros(0, np.float64),
        components=np.zeros((0, len(COMPONENTS)), np.float64),
        donor_rank=np.zeros(0, np.int32),
        recipient_rank=np.zeros(0, np.int32),
        top_areas=np.full((0, 3), -1, np.int16),
        gives_back=np.zeros((0, n_areas), bool),
    )


def _matches(
    prepared: PreparedInputs,
    donor: np.ndarray,
    recipient: np.ndarray,
    donor_rank: np.ndarray,
    recipient_rank: np.ndarray,
    *,
    scored: tuple[np.ndarray, np.ndarray] | None = None,
    expected_tenths: np.ndarray | None = None,
    workers: int = 1,
) -> Matches:
    """Matches for the pairs, with components, scores and explanations (in ``workers`` threads)."""

    def details(part: slice) -> tuple[np.ndarray, ...]:
        components, tenths = prepared.scored_pairs(donor[part], recipient[part])
        return (components, tenths, *prepared.explanations(donor[part], recipient[part]))

    if scored is not None:
        parts = [(*scored, *prepared.explanations(donor, recipient))]
    elif workers > 1 and len(donor) > 4 * PAIR_BATCH:
        bounds = np.linspace(0, len(donor), workers + 1).astype(int)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(details, [slice(a, b) for a, b in itertools.pairwise(bounds)]))
    else:
        parts = [details(slice(None))]
    components, tenths, top_areas, gives_back = (
        np.concatenate(column) for column in zip(*parts, strict=True)
    )
    if expected_tenths is not None and not np.array_equal(tenths, expected_tenths):
        raise RuntimeError("a block's scores differ from the merge's: inputs changed?")
    return Matches(
        donor=donor.astype(np.int32),
        recipient=recipient.astype(np.int32),
        score=tenths / 10.0,
        components=components,
        donor_rank=donor_rank.astype(np.int32),
        recipient_rank=recipient_rank.astype(np.int32),
        top_areas=top_areas,
        gives_back=gives_back,
    )


def _top_k(owner, partner, tenths, k: int, n_rows: int):
    """Rank (owner, partner) pairs per owner and keep the top k: arrays sorted by owner, rank."""
    order = np.argsort(rank_key(owner, tenths, partner, n_rows), kind="stable")
    owner, partner, tenths = owner[order], partner[order], tenths[order]
    rank = ranks_within(owner)
    top = rank <= k
    return owner[top], partner[top], tenths[top], rank[top]


def merge_blocks(
    arrays: CityArrays,
    blocks: Sequence[BlockResult],
    params: ScoringParams,
    *,
    prepared: PreparedInputs | None = None,
    workers: int = 2,
) -> Matches:
    """Final top K of every recipient and every donor; a pair in both lists appears once.

    Components and explanations are computed for the kept pairs only, in ``workers`` threads.
    """
    prepared = prepared or prepare(arrays, params)
    n, k = prepared.n_cities, prepared.top_k
    for block in blocks:
        if not np.array_equal(np.asarray(block.fingerprint), prepared.fingerprint):
            raise ValueError("a block was scored on other inputs or parameters")
    covered = np.concatenate([np.asarray(b.rows, np.int64) for b in blocks] or [np.zeros(0)])
    if len(sorted_unique(covered)) != len(covered):
        raise ValueError("blocks overlap: a recipient row is in two blocks")

    def gather(name: str) -> np.ndarray:
        parts = [np.asarray(getattr(block, name), dtype=np.int64) for block in blocks]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    r_recipient, r_donor, r_tenths, r_rank = _top_k(
        gather("recipient_side_recipient"),
        gather("recipient_side_donor"),
        gather("recipient_side_tenths"),
        k,
        n,
    )
    d_donor, d_recipient, d_tenths, d_rank = _top_k(
        gather("donor_side_donor"),
        gather("donor_side_recipient"),
        gather("donor_side_tenths"),
        k,
        n,
    )
    if len(r_recipient) + len(d_donor) == 0:
        return _empty_matches(prepared.n_areas)
    # The union of both sides' lists, one row per pair, ordered by recipient then donor. (A
    # sort of all keys: searchsorted with ~10^6 unsorted keys is several times slower.)
    keys = np.concatenate([r_recipient * n + r_donor, d_recipient * n + d_donor])
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    slot = np.empty(len(keys), np.int64)
    slot[order] = np.cumsum(first) - 1
    pairs = ordered[first]
    recipient_at, donor_at = slot[: len(r_recipient)], slot[len(r_recipient) :]
    recipient_rank = np.zeros(len(pairs), np.int64)
    recipient_rank[recipient_at] = r_rank
    donor_rank = np.zeros(len(pairs), np.int64)
    donor_rank[donor_at] = d_rank
    expected = np.zeros(len(pairs), np.int64)
    expected[recipient_at] = r_tenths
    expected[donor_at] = d_tenths
    recipient, donor = np.divmod(pairs, n)
    return _matches(
        prepared,
        donor,
        recipient,
        donor_rank,
        recipient_rank,
        expected_tenths=expected,
        workers=workers,
    )


# --- whole runs and single cities ---------------------------------------------------------


def plan_block_rows(n_recipients: int, workers: int, chunk_rows: int = CHUNK_ROWS) -> int:
    """Rows per block: one block per worker, whole chunks, at most MAX_BLOCK_ROWS."""
    per_worker = math.ceil(max(n_recipients, 1) / max(workers, 1))
    whole_chunks = math.ceil(per_worker / chunk_rows) * chunk_rows
    return max(chunk_rows, min(MAX_BLOCK_ROWS, whole_chunks))


def block_memory_bytes(
    n_cities: int,
    n_donors: int,
    block_rows: int,
    top_k: int,
    *,
    chunk_rows: int = CHUNK_ROWS,
    tile_width: int = TILE_WIDTH,
) -> int:
    """Upper bound of the memory one block's scoring holds besides the shared inputs.

    Working buffers (chunk x tile), candidate lists (donors x 4K, chunk x 8K) and the result
    ((block rows + donors) x K pairs). Nothing grows with the number of recipients scored.
    """
    buffers = chunk_rows * tile_width * (4 * 3 + 8 * 2 + 2)
    lists = (n_donors * DONOR_CAPACITY + chunk_rows * RECIPIENT_CAPACITY) * top_k * 8
    lists += n_donors * 8 * 3
    result = (block_rows + n_donors) * top_k * 10 + block_rows * 4
    del n_cities
    return buffers + lists + result


_BLAS_THREADS: tuple | None = None


def _blas_thread_functions() -> tuple:
    """(get, set) of the OpenBLAS that numpy ships, or (None, None) when not found."""
    global _BLAS_THREADS
    if _BLAS_THREADS is None:
        found: tuple = (None, None)
        libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
        for path in sorted(glob.glob(os.path.join(libs, "*openblas*"))):
            library = ctypes.CDLL(path)
            for prefix in ("scipy_openblas", "openblas"):
                for suffix in ("64_", ""):
                    getter = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
                    setter = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
                    if getter is not None and setter is not None:
                        getter.restype = ctypes.c_int
                        setter.argtypes = [ctypes.c_int]
                        found = (getter, setter)
        _BLAS_THREADS = found
    return _BLAS_THREADS


_blas_lock = threading.Lock()
_blas_users = 0
_blas_before = 0


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run numpy's OpenBLAS on one thread while inside (re-entrant, thread-safe).

    The engine parallelises over blocks itself; OpenBLAS threads on top of that oversubscribe
    the cores, and its spinning threads are very slow on a busy machine. The first thread in
    sets one thread, the last one out restores the previous count.
    """
    global _blas_users, _blas_before
    getter, setter = _blas_thread_functions()
    if getter is None:
        yield
        return
    with _blas_lock:
        if _blas_users == 0:
            _blas_before = getter()
            setter(1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                setter(_blas_before)


def score_all(
    arrays: CityArrays,
    params: ScoringParams,
    *,
    block_rows: int | None = None,
    workers: int = 2,
    prepared: PreparedInputs | None = None,
    chunk_rows: int = CHUNK_ROWS,
    tile_width: int = TILE_WIDTH,
) -> Matches:
    """A whole run in this process: blocks on ``workers`` threads, then the merge."""
    prepared = prepared or prepare(arrays, params)
    recipients = prepared.recipient_rows
    workers = max(1, int(workers))
    block_rows = block_rows or plan_block_rows(len(recipients), workers, chunk_rows)
    hot_layout(prepared, tile_width)  # build once, before the threads share it
    blocks = [recipients[i : i + block_rows] for i in range(0, len(recipients), block_rows)]
    score = partial(
        score_block,
        arrays,
        params=params,
        prepared=prepared,
        chunk_rows=chunk_rows,
        tile_width=tile_width,
    )
    if workers == 1 or len(blocks) <= 1:
        results = [score(rows) for rows in blocks]
    else:
        # numpy releases the GIL in ufuncs and BLAS: threads share the inputs, one core each.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(score, blocks))
    return merge_blocks(arrays, results, params, prepared=prepared, workers=workers)


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
            return _empty_matches(prepared.n_areas)
        partners = prepared.donor_rows[prepared.donor_rows != row]
        donor, recipient = partners, np.full(len(partners), row, np.int64)
    else:
        if not prepared.donor_ok[row]:
            return _empty_matches(prepared.n_areas)
        partners = prepared.recipient_rows[prepared.recipient_rows != row]
        donor, recipient = np.full(len(partners), row, np.int64), partners
    fits = prepared.fits(donor, recipient)
    donor, recipient, partners = donor[fits], recipient[fits], partners[fits]
    components, tenths = prepared.scored_pairs(donor, recipient)
    order = np.argsort(rank_key(np.zeros_like(partners), tenths, partners, n), kind="stable")
    donor, recipient = donor[order], recipient[order]
    scored = (components[order], tenths[order])
    ranks = np.arange(1, len(order) + 1)
    none = np.zeros(len(order), np.int64)
    if as_role == "recipient":
        return _matches(prepared, donor, recipient, none, ranks, scored=scored)
    return _matches(prepared, donor, recipient, ranks, none, scored=scored)
