"""Compiled passes over a GEMM tile (numba): the non-linear terms, thresholds and candidates.

After the float32 GEMM of a (chunk x tile) block, one loop over the tile, while it is in cache,
adds what the GEMM cannot hold (language, the kinked budget donors' ``min(1, ...)``, size when
it is not in the GEMM), tests each pair against its recipient's and its donor's admission
threshold and appends the pairs that reach one to flat candidate arrays. A pair whose GEMM value
plus the largest possible non-linear terms stays below both thresholds is dropped before any of
those terms is computed. A second compiled loop (``distribute``) appends the candidates to
their recipient's and donor's lists; only those that find a list full go back to numpy (the
lists' merge and pruning, topk.py).

Compiled code is cached on disk (``cache=True``) in ``NUMBA_CACHE_DIR`` or, when that is unset,
in ``<repo>/.cache/numba`` (a temporary directory when the repository is read-only), so only
the first process after a code change compiles. ``warmup.warm_up()`` compiles or loads every kernel
on tiny inputs; call it where a process starts (a migration, a worker) so that no request waits
for a compilation. Every call goes through the wrappers below, which pass exactly the dtypes and
layouts warm_up uses: a kernel never meets a new signature later.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

CACHE_ENVIRONMENT = "NUMBA_CACHE_DIR"


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK | os.X_OK)


def cache_directory() -> Path:
    """Where compiled kernels are kept: $NUMBA_CACHE_DIR, else <repo>/.cache/numba."""
    configured = os.environ.get(CACHE_ENVIRONMENT)
    if configured:
        return Path(configured)
    project_local = Path(__file__).resolve().parents[2] / ".cache" / "numba"
    if _writable(project_local):
        return project_local
    return Path(tempfile.gettempdir()) / f"citymatch-numba-{os.getuid()}"


# numba reads the variable when it is imported and picks a cache locator when a kernel is
# decorated, so the directory must be settled before both (child processes inherit it).
os.environ.setdefault(CACHE_ENVIRONMENT, str(cache_directory()))

import numba  # noqa: E402

setattr(numba.config, "CACHE_DIR", os.environ[CACHE_ENVIRONMENT])  # noqa: B010 (untyped module)


def kernel_array(values: np.ndarray, dtype: type) -> np.ndarray:
    """``values`` as the kernels take them: C-contiguous, of ``dtype`` and writable.

    numba compiles a new signature for another dtype, layout or a read-only array (such as one
    loaded from bytes): every argument goes through here so that none ever differs from
    warm_up's.
    """
    array: np.ndarray = np.ascontiguousarray(values, dtype=dtype)
    return array if array.flags.writeable else array.copy()


compiled_kernel = numba.njit(cache=True, nogil=True, error_model="numpy")
_compiled = compiled_kernel
# Helpers are inlined into the kernels: a call would pass every array of the tuples with its
# reference counting, per pair.
inlined_kernel = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
_inlined = inlined_kernel

# Everything below is per (chunk x tile) and stays in cache: rows are recipients of the chunk,
# columns donors of the tile.


class ChunkSide(NamedTuple):
    """The recipients of a chunk, one entry per chunk row."""

    rows: np.ndarray  # (r,) int64 city rows
    need_words: np.ndarray  # (r, Wn) uint64: areas with a need
    language_words: np.ndarray  # (r, Wl) uint64: reduced languages
    cofund: np.ndarray  # (r,) float32: co-funding / the layout's cofund scale
    size_position: np.ndarray  # (r,) float32 (size by exp only)


class TileSide(NamedTuple):
    """The donors of a tile, one entry per column (kinked-budget donors first)."""

    rows: np.ndarray  # (d,) int64 city rows
    expertise_words: np.ndarray  # (d, We) uint64: areas with expertise
    language_words: np.ndarray  # (d, Wl) uint64
    kinked_base: np.ndarray  # (n_kinked,) float32
    kinked_slope: np.ndarray  # (n_kinked,) float32
    size_position: np.ndarray  # (d,) float32 (size by exp only)


class Terms(NamedTuple):
    """Which non-linear terms exist and their weights (weights normalised to sum 1)."""

    size_by_exp: bool
    size_log_weight: np.float32  # -log2(w_size): size = 2 ** -(gap² + this)
    uses_language: bool
    language_weight: np.float32
    budget_weight: np.float32


@_inlined
def _budget_term(cofund, slope, base, budget_weight):
    """w_b min(1, budget_d/cost_d + cofund_r/cost_d), for a kinked donor (clipped at 0 too)."""
    return min(max(cofund * slope + base, np.float32(0)), budget_weight)


@_inlined
def _size_term(recipient_position, donor_position, size_log_weight):
    """w_size 2 ** -(gap²) with 2**-100 instead of a subnormal (too small to change a score)."""
    gap = recipient_position - donor_position
    return np.exp2(-min(gap * gap + size_log_weight, np.float32(100)))


# The kernels unpack their tuples once: reading an array out of a tuple inside the loops would
# count a reference per pair. Loops run along a row of the tile (in L1), one term at a time,
# so that the compiler vectorises them; bit words are usually a single word, which gets its
# own branch-free loop.


# Columns tested together (a vectorised count) before the passing ones are picked out: most
# such groups have none.
PREFILTER_COLUMNS = 32


@_inlined
def _add_language(row, local, recipient_languages, donor_languages, language_weight):
    columns = len(row)
    if recipient_languages.shape[1] == 1:
        words = recipient_languages[local, 0]
        for column in range(columns):
            if words & donor_languages[column, 0]:
                row[column] += language_weight
        return
    for column in range(columns):
        shared = recipient_languages[local, 0] & donor_languages[column, 0]
        for word in range(1, recipient_languages.shape[1]):
            shared |= recipient_languages[local, word] & donor_languages[column, word]
        if shared != 0:
            row[column] += language_weight


@_inlined
def _mask_unfit(row, local, recipient_row, need_words, expertise_words, donor_rows):
    """-inf where need_fit == 0 (no need meets an expertise) or the donor is the recipient."""
    columns = len(row)
    negative_infinity = np.float32(-np.inf)
    if need_words.shape[1] == 1:
        needs = need_words[local, 0]
        for column in range(columns):
            if needs & expertise_words[column, 0] == 0:
                row[column] = negative_infinity
    else:
        for column in range(columns):
            fits = need_words[local, 0] & expertise_words[column, 0]
            for word in range(1, need_words.shape[1]):
                fits |= need_words[local, word] & expertise_words[column, word]
            if fits == 0:
                row[column] = negative_infinity
    for column in range(columns):
        if donor_rows[column] == recipient_row:
            row[column] = negative_infinity


@_compiled
def _complete_tile(scores, chunk, tile, terms, mask_unfit):
    """Add the non-linear terms to every pair; with mask_unfit, -inf where no pair may be stored.

    A pair may not be stored when need_fit == 0 (no need of the recipient meets an expertise
    of the donor) or when the donor is the recipient.
    """
    recipient_rows, need_words, recipient_languages, cofund, recipient_size = chunk
    donor_rows, expertise_words, donor_languages, kinked_base, kinked_slope, donor_size = tile
    size_by_exp, size_log_weight, uses_language, language_weight, budget_weight = terms
    n_kinked = len(kinked_base)
    for local in range(scores.shape[0]):
        row = scores[local]
        if size_by_exp:
            position = recipient_size[local]
            for column in range(len(row)):
                row[column] += _size_term(position, donor_size[column], size_log_weight)
        recipient_cofund = cofund[local]
        for column in range(n_kinked):
            row[column] += _budget_term(
                recipient_cofund, kinked_slope[column], kinked_base[column], budget_weight
            )
        if uses_language:
            _add_language(row, local, recipient_languages, donor_languages, language_weight)
        if mask_unfit:
            _mask_unfit(row, local, recipient_rows[local], need_words, expertise_words, donor_rows)


@_compiled
def _collect_tile(
    scores,
    live_rows,
    chunk,
    tile,
    terms,
    recipient_admission,
    donor_admission,
    complete,
    prune,
    out_local,
    out_column,
    out_value,
    out_reach,
):
    """Append the pairs reaching their recipient's (reach bit 1) or donor's (bit 2) admission.

    ``scores[i]`` is chunk row ``live_rows[i]``. ``complete``: the scores already hold every
    term and -inf for pairs that may not be stored. Otherwise the non-linear terms are added
    here, and with ``prune`` only to pairs whose GEMM value plus their largest possible value
    reaches a threshold. Output is in ascending chunk row order. Returns (pairs appended, pairs
    whose non-linear terms were computed).
    """
    recipient_rows, need_words, recipient_languages, cofund, recipient_size = chunk
    donor_rows, expertise_words, donor_languages, kinked_base, kinked_slope, donor_size = tile
    size_by_exp, size_log_weight, uses_language, language_weight, budget_weight = terms
    n_kinked = len(kinked_base)
    columns = scores.shape[1]
    # The largest non-linear part each column's pairs can get, with room for the float32
    # roundings of the sums (0 when the scores are complete).
    column_bound = np.zeros(columns, dtype=np.float32)
    # When the terms are cheap to add to a whole row (no exp; language in one word), they are
    # added in place, row by row, in vectorised loops: the prefilter then tests exact values
    # (bound 0) and passes only the pairs that reach a threshold, instead of every pair within
    # the terms' largest value of one. The same float32 additions in the same order as below,
    # so the same values.
    terms_in_place = (
        prune
        and not complete
        and not size_by_exp
        and (not uses_language or recipient_languages.shape[1] == 1)
    )
    if not complete and not terms_in_place:
        extra_bound = np.float32(1e-6)
        if size_by_exp:
            extra_bound += np.exp2(-size_log_weight)
        if uses_language:
            extra_bound += language_weight
        column_bound[:] = extra_bound
        column_bound[:n_kinked] += budget_weight
    prefilter = prune or complete
    # The prefilter compares the GEMM value with bars lowered by the column's bound, computed
    # once per tile: row[c] >= min(recipient_bar - bound[c], donor_bar[c] - bound[c]). Their
    # float32 rounding is covered by the bound's room.
    lowered = np.empty(columns, dtype=np.float32)
    for column in range(columns):
        lowered[column] = donor_admission[column] - column_bound[column]
    full = columns - columns % PREFILTER_COLUMNS
    # Columns of the row that pass the prefilter, compacted without a branch (the test is
    # cheap; a branch per pair would mispredict on the few that pass).
    passing = np.empty(columns, dtype=np.int32)
    count = 0
    completed = 0
    for index in range(len(live_rows)):
        local = live_rows[index]
        recipient_bar = recipient_admission[local]
        recipient_row = recipient_rows[local]
        row = scores[index]
        n_passing = 0
        if terms_in_place:
            completed += columns
            recipient_cofund = cofund[local]
            for column in range(n_kinked):
                row[column] += _budget_term(
                    recipient_cofund, kinked_slope[column], kinked_base[column], budget_weight
                )
            if uses_language:
                _add_language(row, local, recipient_languages, donor_languages, language_weight)
        if prefilter:
            for start in range(0, full, PREFILTER_COLUMNS):
                hits = np.int32(0)
                for column in range(start, start + PREFILTER_COLUMNS):
                    hits |= np.int32(
                        row[column] >= min(recipient_bar - column_bound[column], lowered[column])
                    )
                if hits == 0:
                    continue
                for column in range(start, start + PREFILTER_COLUMNS):
                    passing[n_passing] = column
                    n_passing += row[column] >= min(
                        recipient_bar - column_bound[column], lowered[column]
                    )
            for column in range(full, columns):
                passing[n_passing] = column
                n_passing += row[column] >= min(
                    recipient_bar - column_bound[column], lowered[column]
                )
        else:
            for column in range(columns):
                passing[column] = column
            n_passing = columns
        for position in range(n_passing):
            column = passing[position]
            value = row[column]
            donor_bar = donor_admission[column]
            if not complete and not terms_in_place:
                completed += 1
                if size_by_exp:
                    value += _size_term(recipient_size[local], donor_size[column], size_log_weight)
                if column < n_kinked:
                    value += _budget_term(
                        cofund[local], kinked_slope[column], kinked_base[column], budget_weight
                    )
                if uses_language:
                    shared = recipient_languages[local, 0] & donor_languages[column, 0]
                    for word in range(1, recipient_languages.shape[1]):
                        shared |= recipient_languages[local, word] & donor_languages[column, word]
                    if shared != 0:
                        value += language_weight
            reach = 0
            if value >= recipient_bar:
                reach = 1
            if value >= donor_bar:
                reach |= 2
            if reach == 0:
                continue
            if not complete:
                fits = need_words[local, 0] & expertise_words[column, 0]
                for word in range(1, need_words.shape[1]):
                    fits |= need_words[local, word] & expertise_words[column, word]
                if fits == 0 or recipient_row == donor_rows[column]:
                    continue
            out_local[count] = local
            out_column[count] = column
            out_value[count] = value
            out_reach[count] = reach
            count += 1
    return count, completed


@_compiled
def _distribute(
    count,
    out_local,
    out_column,
    out_value,
    out_reach,
    chunk_rows,
    tile_rows,
    tile_positions,
    recipient_values,
    recipient_partners,
    recipient_counts,
    donor_values,
    donor_partners,
    donor_counts,
    recipient_spill,
    donor_spill,
):
    """Append a tile's candidates to the lists their reach bits name; a full list's go to spill.

    Recipient lists are indexed by chunk row, donor lists by donor position. Returns the number
    of candidates written to ``recipient_spill`` and ``donor_spill`` (indices into out_*).
    """
    capacity = recipient_values.shape[1]
    donor_capacity = donor_values.shape[1]
    n_recipient_spill = 0
    n_donor_spill = 0
    for index in range(count):
        local = out_local[index]
        column = out_column[index]
        value = out_value[index]
        reach = out_reach[index]
        if reach & 1:
            slot = recipient_counts[local]
            if slot < capacity:
                recipient_values[local, slot] = value
                recipient_partners[local, slot] = tile_rows[column]
                recipient_counts[local] = slot + 1
            else:
                recipient_spill[n_recipient_spill] = index
                n_recipient_spill += 1
        if reach & 2:
            owner = tile_positions[column]
            slot = donor_counts[owner]
            if slot < donor_capacity:
                donor_values[owner, slot] = value
                donor_partners[owner, slot] = chunk_rows[local]
                donor_counts[owner] = slot + 1
            else:
                donor_spill[n_donor_spill] = index
                n_donor_spill += 1
    return n_recipient_spill, n_donor_spill


# --- the wrappers: the only callers, with fixed dtypes and layouts --------------------------


def complete_tile(
    scores: np.ndarray, chunk: ChunkSide, tile: TileSide, terms: Terms, *, mask_unfit: bool
) -> None:
    """In place: add the non-linear terms; with mask_unfit, -inf where a pair can't be stored."""
    _complete_tile(scores, chunk, tile, terms, bool(mask_unfit))


class CollectBuffers:
    """Flat output arrays of one (chunk x tile), reused for every tile of a thread."""

    def __init__(self, capacity: int):
        self.local = np.empty(capacity, dtype=np.int32)
        self.column = np.empty(capacity, dtype=np.int32)
        self.value = np.empty(capacity, dtype=np.float32)
        self.reach = np.empty(capacity, dtype=np.uint8)


def collect_tile(
    scores: np.ndarray,
    live_rows: np.ndarray,
    chunk: ChunkSide,
    tile: TileSide,
    terms: Terms,
    *,
    recipient_admission: np.ndarray,
    donor_admission: np.ndarray,
    complete: bool,
    prune: bool,
    out: CollectBuffers,
) -> tuple[int, int]:
    """The fused pass (see _collect_tile): (pairs appended to ``out``, non-linear terms computed)."""
    if scores.size > len(out.value):
        raise ValueError("the output buffers are smaller than the tile")
    count, computed = _collect_tile(
        scores,
        kernel_array(live_rows, np.int64),
        chunk,
        tile,
        terms,
        kernel_array(recipient_admission, np.float32),
        kernel_array(donor_admission, np.float32),
        bool(complete),
        bool(prune),
        out.local,
        out.column,
        out.value,
        out.reach,
    )
    return int(count), int(computed)


class ListArrays(NamedTuple):
    """The buffers of one side's candidate lists (topk.CandidateLists), one row per owner."""

    values: np.ndarray  # (owners, capacity) float32
    partners: np.ndarray  # (owners, capacity) int32
    counts: np.ndarray  # (owners,) int64


def distribute(
    count: int,
    out: CollectBuffers,
    *,
    chunk_rows: np.ndarray,
    tile_rows: np.ndarray,
    tile_positions: np.ndarray,
    recipient_lists: ListArrays,
    donor_lists: ListArrays,
) -> tuple[np.ndarray, np.ndarray]:
    """Append the first ``count`` candidates of ``out`` to the lists (see _distribute).

    Returns the indices into ``out`` of the candidates that found their recipient's, and their
    donor's, list full: the caller merges and prunes those lists.
    """
    recipient_spill = np.empty(count, dtype=np.int64)
    donor_spill = np.empty(count, dtype=np.int64)
    n_recipient, n_donor = _distribute(
        int(count),
        out.local,
        out.column,
        out.value,
        out.reach,
        kernel_array(chunk_rows, np.int64),
        kernel_array(tile_rows, np.int64),
        kernel_array(tile_positions, np.int64),
        *recipient_lists,
        *donor_lists,
        recipient_spill,
        donor_spill,
    )
    return recipient_spill[:n_recipient], donor_spill[:n_donor]


def chunk_side(
    rows: np.ndarray,
    need_words: np.ndarray,
    language_words: np.ndarray,
    cofund: np.ndarray,
    size_position: np.ndarray,
) -> ChunkSide:
    return ChunkSide(
        kernel_array(rows, np.int64),
        kernel_array(need_words, np.uint64),
        kernel_array(language_words, np.uint64),
        kernel_array(cofund, np.float32),
        kernel_array(size_position, np.float32),
    )


def tile_side(
    rows: np.ndarray,
    expertise_words: np.ndarray,
    language_words: np.ndarray,
    kinked_base: np.ndarray,
    kinked_slope: np.ndarray,
    size_position: np.ndarray,
) -> TileSide:
    return TileSide(
        kernel_array(rows, np.int64),
        kernel_array(expertise_words, np.uint64),
        kernel_array(language_words, np.uint64),
        kernel_array(kinked_base, np.float32),
        kernel_array(kinked_slope, np.float32),
        kernel_array(size_position, np.float32),
    )


def terms_of(
    *,
    size_by_exp: bool,
    size_log_weight: float,
    uses_language: bool,
    language_weight: float,
    budget_weight: float,
) -> Terms:
    return Terms(
        bool(size_by_exp),
        np.float32(size_log_weight),
        bool(uses_language),
        np.float32(language_weight),
        np.float32(budget_weight),
    )
