"""The tile loop of one block: float32 scores of (chunk x tile) pairs and their candidates.

See engine.py for the whole picture. Recipients go in chunks of ``chunk_rows`` consecutive rows,
donors in the layout's tiles; for each (chunk, tile) the GEMM and a few in-place ufuncs give the
approximate mean scores, and the pairs reaching their recipient's or their donor's admission
threshold are pushed to the candidate lists (topk.py). Nothing here allocates more than the
(chunk x tile) buffers of a ``_Workspace``, whatever the number of cities.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

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
    recipient_lists.push(local[take], donors[take], values[take], grouped=True)
    take = valid & (values >= donor_admission[column])
    donor_lists.push(tile.positions[column[take]], recipients[take], values[take])


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

    def probe_tile(number: int) -> None:
        tile = layout.tiles[number]
        work = _Workspace(layout, CHUNK_ROWS)
        values = np.empty((len(sample), tile.size), dtype=np.float32)
        for start in range(0, len(sample), CHUNK_ROWS):
            chunk = _Chunk(layout, sample[start : start + CHUNK_ROWS])
            scores = _tile_scores(work, chunk, tile)
            values[start : start + chunk.size] = _fitting_scores(work, chunk, tile, number, scores)
        kth[tile.positions] = _column_kth_bound(values, k)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(probe_tile, range(len(layout.tiles))))
    return kth


def _power_of_two(number: int) -> bool:
    return number & (number - 1) == 0


def score_rows(
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
            # Raise thresholds each time the pairs seen double: fewer candidates later, for a
            # partition of the lists a few times per chunk (per block for donors).
            if _power_of_two(number + 1):
                recipient_lists.tighten(2 * k)
        if _power_of_two(chunk_number + 1):
            donor_lists.tighten(k + k // 2)
        owners, donors, tenths, _ = recipient_lists.finalize()
        found.append((donors, chunk.rows[owners], tenths))
    owners, recipients, tenths, _ = donor_lists.finalize()
    recipient_side = tuple(np.concatenate(parts) for parts in zip(*found, strict=True))
    if not found:
        recipient_side = (np.zeros(0, np.int64),) * 3
    return recipient_side, (donor_rows[owners], recipients, tenths)
