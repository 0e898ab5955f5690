"""The tile loop of one block: float32 scores of (chunk x tile) pairs and their candidates.

See engine.py for the whole picture. Recipients go in chunks of ``chunk_rows`` consecutive rows,
donors in the layout's tiles. For each (chunk, tile) the bounds (bounds.py) first leave out the
recipients (or the whole tile) that no pair of the tile can admit; a float32 GEMM scores the
rest, and one compiled pass (kernels.py) adds the non-linear terms, tests the thresholds and
compacts the candidates, which go to the candidate lists (topk.py). Nothing here allocates more
than a ``_Workspace``'s (chunk x tile) buffers, whatever the number of cities.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

import numpy as np

from .bounds import TileBounds
from .kernels import (
    ChunkSide,
    CollectBuffers,
    chunk_side,
    collect_tile,
    complete_tile,
    distribute,
)
from .layout import DonorTile, HotLayout
from .topk import CandidateLists, sorted_unique

# 128 x 2048 float32 = 1 MiB per buffer: a tile's buffers stay in the 1-2 MiB of L2 per core.
CHUNK_ROWS = 128
TILE_WIDTH = 2048
# Candidate list capacities, in multiples of K.
RECIPIENT_CAPACITY = 8
DONOR_CAPACITY = 6
# The donor probe (see probe_donors): this share of the recipients, within [8 K, PROBE_ROWS].
PROBE_SHARE = 0.08
PROBE_ROWS = 2048
# Bytes per pair of the (chunk x tile) work buffers: scores, and the candidates' chunk row,
# column, value and reach flags.
WORK_BYTES_PER_PAIR = 4 + 4 + 4 + 4 + 1


@dataclass
class PruningStats:
    """What the bounds and the fused pass spared, summed over the blocks of a run, and the CPU
    seconds of each phase (summed over the threads: ``time.thread_time``)."""

    tiles: int = 0  # (chunk x tile) blocks met
    tiles_skipped: int = 0  # left out whole: no pair could be a candidate
    pairs: int = 0  # (recipient, donor) pairs in those blocks
    pairs_skipped: int = 0  # left out of the GEMM by the bounds
    pairs_completed: int = 0  # pairs whose non-linear terms were computed
    candidates: int = 0  # pairs the pass handed to a candidate list
    exact_pairs: int = 0  # pairs the blocks scored exactly (float64)
    prepare_s: float = 0.0  # checked inputs, GEMM features, tiles, donor probe (score_all)
    gemm_s: float = 0.0  # the float32 GEMMs
    pass_s: float = 0.0  # the compiled tile passes (and the bounds)
    lists_s: float = 0.0  # candidates into their lists, thresholds, overflow pruning
    exact_s: float = 0.0  # exact float64 scores of the blocks' candidates
    topk_s: float = 0.0  # the blocks' final ranking of their lists (besides exact scores)
    merge_s: float = 0.0  # merge_blocks: final top K both ways, components, explanations

    PHASES = ("prepare_s", "gemm_s", "pass_s", "lists_s", "exact_s", "topk_s", "merge_s")

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, other: PruningStats) -> None:
        with self._lock:
            for field in fields(self):
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


class _Workspace:
    """The per-thread (chunk x tile) buffers; nothing in the loop allocates more than these."""

    def __init__(self, layout: HotLayout, chunk_rows: int):
        size = chunk_rows * layout.tile_width
        self.layout = layout
        self.scores = np.empty(size, dtype=np.float32)
        self.candidates = CollectBuffers(size)

    @property
    def nbytes(self) -> int:
        out = self.candidates
        return self.scores.nbytes + sum(a.nbytes for a in (out.local, out.column, out.value))


class _Chunk:
    """The recipient side of a tile: features of a few consecutive recipient rows."""

    def __init__(self, layout: HotLayout, rows: np.ndarray):
        prepared = layout.prepared
        self.rows = rows
        self.features = np.ascontiguousarray(layout.recipient_features[rows])
        self.kernel: ChunkSide = chunk_side(
            rows,
            prepared.need_words[rows],
            layout.language_words[rows],
            layout.recipient_cofund[rows],
            layout.size_position[rows],
        )

    @property
    def size(self) -> int:
        return len(self.rows)


class PhaseClock:
    """Charges the CPU time of this thread since the last lap to a PruningStats field."""

    def __init__(self, stats: PruningStats):
        self.stats = stats
        self.last = time.thread_time()

    def lap(self, phase: str) -> None:
        now = time.thread_time()
        setattr(self.stats, phase, getattr(self.stats, phase) + now - self.last)
        self.last = now


def _view(buffer: np.ndarray, rows: int, cols: int) -> np.ndarray:
    return buffer[: rows * cols].reshape(rows, cols)


def _tile_scores(work: _Workspace, chunk: _Chunk, tile: DonorTile) -> np.ndarray:
    """float32 mean scores (approximate, see layout.py) of the chunk x tile pairs."""
    scores = _view(work.scores, chunk.size, tile.size)
    np.matmul(chunk.features, tile.features, out=scores)
    complete_tile(scores, chunk.kernel, tile.kernel, work.layout.terms, mask_unfit=False)
    return scores


def _fitting_scores(work: _Workspace, chunk: _Chunk, tile: DonorTile) -> np.ndarray:
    """The tile's scores with -inf where need_fit == 0 or donor == recipient (for bounds)."""
    scores = _view(work.scores, chunk.size, tile.size)
    np.matmul(chunk.features, tile.features, out=scores)
    complete_tile(scores, chunk.kernel, tile.kernel, work.layout.terms, mask_unfit=True)
    return scores


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


def _column_kth_bound(values: np.ndarray, k: int) -> np.ndarray:
    """A lower bound of each column's K-th largest value: K-th largest of row-group maxima."""
    rows, cols = values.shape
    groups = max(512, 4 * k)
    if rows >= 2 * groups:
        depth = rows // groups
        maxima = values[: depth * groups].reshape(depth, groups, cols).max(axis=0)
        return _column_kth(maxima, k)
    return _column_kth(values, k)


def _column_kth(fitting: np.ndarray, k: int) -> np.ndarray:
    rows, cols = fitting.shape
    if rows >= k:
        # Along contiguous rows of the transpose: ~2.5x faster than partitioning along axis 0.
        return np.partition(np.ascontiguousarray(fitting.T), rows - k, axis=1)[:, rows - k]
    return np.full(cols, -np.inf, dtype=np.float32)


def probe_donors(layout: HotLayout) -> np.ndarray:
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
    sample = recipients[np.linspace(0, len(recipients) - 1, probe_rows).astype(int)]
    sample = sorted_unique(sample)

    # The sample's chunks are built once for all tiles, and each thread scores its tiles into
    # one buffer it keeps (fresh pages cost more than the scores written into them).
    chunks = [
        (start, _Chunk(layout, sample[start : start + CHUNK_ROWS]))
        for start in range(0, len(sample), CHUNK_ROWS)
    ]
    buffers = threading.local()

    def probe_tile(number: int) -> None:
        tile = layout.tiles[number]
        if not hasattr(buffers, "values"):
            buffers.values = np.empty(len(sample) * layout.tile_width, dtype=np.float32)
        values = _view(buffers.values, len(sample), tile.size)
        for start, chunk in chunks:
            scores = values[start : start + chunk.size]
            np.matmul(chunk.features, tile.features, out=scores)
            complete_tile(scores, chunk.kernel, tile.kernel, layout.terms, mask_unfit=True)
        kth[tile.positions] = _column_kth_bound(values, k)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(probe_tile, range(len(layout.tiles))))
    return kth


def _power_of_two(number: int) -> bool:
    return number & (number - 1) == 0


_bounds_lock = threading.Lock()


def tile_bounds(layout: HotLayout) -> TileBounds:
    """The layout's TileBounds, built once (then cached on the layout)."""
    with _bounds_lock:
        bounds = layout.__dict__.get("_bounds")
        if bounds is None:
            bounds = layout.__dict__["_bounds"] = TileBounds(layout)
        return bounds


def _push(
    work: _Workspace,
    count: int,
    chunk: _Chunk,
    tile: DonorTile,
    recipient_lists: CandidateLists,
    donor_lists: CandidateLists,
) -> None:
    """Hand the pass's candidates to the lists whose threshold they reached (compiled); the
    candidates that find a list full go through its merge and pruning."""
    out = work.candidates
    recipient_spill, donor_spill = distribute(
        count,
        out,
        chunk_rows=chunk.rows,
        tile_rows=tile.rows,
        tile_positions=tile.positions,
        recipient_lists=recipient_lists.arrays,
        donor_lists=donor_lists.arrays,
    )
    if len(recipient_spill):
        local = out.local[recipient_spill].astype(np.int64)
        column = out.column[recipient_spill]
        recipient_lists.push(local, tile.rows[column], out.value[recipient_spill], grouped=True)
    if len(donor_spill):
        column = out.column[donor_spill]
        local = out.local[donor_spill]
        donor_lists.push(tile.positions[column], chunk.rows[local], out.value[donor_spill])


def score_rows(
    layout: HotLayout,
    rows: np.ndarray,
    chunk_rows: int,
    *,
    prune: bool = True,
    stats: PruningStats | None = None,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Top K of the rows' recipients and, per donor, its top K among them (see engine.py).

    ``prune``: leave out of the GEMM the rows and tiles the bounds exclude, and compute the
    non-linear terms only for pairs that may reach a threshold. The lists are the same either
    way; ``stats`` gets what was spared.
    """
    prepared = layout.prepared
    k, n = prepared.top_k, prepared.n_cities
    donor_rows = prepared.donor_rows
    current: list[np.ndarray] = [rows[:0]]
    counts = PruningStats()
    clock = PhaseClock(counts)
    # The phase the lists' exact scoring interrupts (it is charged to exact_s).
    running = ["lists_s"]

    def exact(
        donors: np.ndarray, recipients: np.ndarray, grouped_by_donor: bool = False
    ) -> np.ndarray:
        clock.lap(running[0])
        tenths = prepared.pair_tenths(donors, recipients, grouped_by_donor=grouped_by_donor)
        counts.exact_pairs += len(tenths)
        clock.lap("exact_s")
        return tenths

    def recipient_exact(owners: np.ndarray, partners: np.ndarray) -> np.ndarray:
        return exact(partners, current[0][owners])

    def donor_exact(owners: np.ndarray, partners: np.ndarray) -> np.ndarray:
        return exact(donor_rows[owners], partners, grouped_by_donor=True)

    common = {"k": k, "margin": layout.margin, "delta": layout.delta, "n_rows": n}
    recipient_lists = CandidateLists(
        chunk_rows, capacity=RECIPIENT_CAPACITY * k, exact=recipient_exact, **common
    )
    donor_lists = CandidateLists(
        len(donor_rows), capacity=DONOR_CAPACITY * k, exact=donor_exact, **common
    )
    donor_lists.raise_thresholds(np.arange(len(donor_rows)), layout.donor_probe)
    bounds = tile_bounds(layout) if prune else None
    work = _Workspace(layout, chunk_rows)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for chunk_number, start in enumerate(range(0, len(rows), chunk_rows)):
        chunk = _Chunk(layout, rows[start : start + chunk_rows])
        current[0] = chunk.rows
        every_row = np.arange(chunk.size)
        recipient_lists.reset()
        recipient_admission = recipient_lists.admission[: chunk.size]
        if bounds is not None:
            recipient_bound = bounds.recipients_against_tiles(chunk.rows)
        clock.lap("pass_s")
        for number, tile in enumerate(layout.tiles):
            counts.tiles += 1
            counts.pairs += chunk.size * tile.size
            # The first tile of a chunk and the first chunk of a block set thresholds from
            # complete values: every pair of those is scored.
            first = number == 0 or chunk_number == 0
            live = every_row
            if bounds is not None and not first:
                # A row is left out when its bound reaches neither its own admission nor the
                # lowest of the tile's donors.
                lowest_donor_bar = donor_lists.admission[tile.positions].min()
                row_bar = np.minimum(recipient_admission, lowest_donor_bar)
                live = np.flatnonzero(recipient_bound[:, number] >= row_bar)
                if len(live) == 0:
                    counts.tiles_skipped += 1
                    counts.pairs_skipped += chunk.size * tile.size
                    continue
                counts.pairs_skipped += (chunk.size - len(live)) * tile.size
            scores = _view(work.scores, len(live), tile.size)
            features = chunk.features if len(live) == chunk.size else chunk.features[live]
            clock.lap("pass_s")
            np.matmul(features, tile.features, out=scores)
            clock.lap("gemm_s")
            if first:
                complete_tile(scores, chunk.kernel, tile.kernel, layout.terms, mask_unfit=True)
                counts.pairs_completed += scores.size
                clock.lap("pass_s")
                if number == 0:
                    recipient_lists.raise_thresholds(every_row, _row_kth_bound(scores, k))
                if chunk_number == 0:
                    donor_lists.raise_thresholds(tile.positions, _column_kth(scores, k))
                clock.lap("lists_s")
            count, completed = collect_tile(
                scores,
                live,
                chunk.kernel,
                tile.kernel,
                layout.terms,
                recipient_admission=recipient_admission,
                donor_admission=donor_lists.admission[tile.positions],
                complete=first,
                prune=prune,
                out=work.candidates,
            )
            counts.pairs_completed += completed
            counts.candidates += count
            clock.lap("pass_s")
            _push(work, count, chunk, tile, recipient_lists, donor_lists)
            # Raise thresholds each time the pairs seen double: fewer candidates later, for a
            # partition of the lists a few times per chunk (per block for donors).
            if _power_of_two(number + 1):
                recipient_lists.tighten(2 * k)
            clock.lap("lists_s")
        if _power_of_two(chunk_number + 1):
            donor_lists.tighten(k + k // 2)
        clock.lap("lists_s")
        running[0] = "topk_s"
        owners, donors, tenths, _ = recipient_lists.finalize()
        found.append((donors, chunk.rows[owners], tenths))
        clock.lap("topk_s")
        running[0] = "lists_s"
    running[0] = "topk_s"
    owners, recipients, tenths, _ = donor_lists.finalize()
    clock.lap("topk_s")
    if stats is not None:
        stats.add(counts)
    recipient_side = tuple(np.concatenate(parts) for parts in zip(*found, strict=True))
    if not found:
        recipient_side = (np.zeros(0, np.int64),) * 3
    return recipient_side, (donor_rows[owners], recipients, tenths)
