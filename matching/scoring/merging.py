"""Joining the blocks of a run: final top K both ways, one row per pair, the pairs' details.

Every block brings its recipients' final top K donors and, per donor, its top K among the
block's recipients (engine.score_block). The merge keeps each donor's top K over all blocks,
joins both sides' lists (a pair in both appears once, with both ranks) and computes the kept
pairs' components and explanations. The ranking and the join are compiled (numba): both are
a bucket sort by owner then a sort of each owner's few entries, linear in the entries, where
sorting all of them at once in numpy was most of the merge's time. The details are one
compiled pass per pair (pairs.py), in ``workers`` threads writing into the final arrays.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .exact import PAIR_BATCH, PreparedInputs
from .kernels import compiled_kernel, kernel_array
from .topk import bucket_starts, rank_lists, sorted_unique
from .types import COMPONENTS, BlockResult, Matches


@compiled_kernel
def _join_sides(r_recipient, r_donor, r_tenths, r_rank, d_recipient, d_donor, d_tenths, d_rank, n):
    """The union of the recipient side's and the donor side's pairs, ordered by recipient then
    donor: (recipient, donor, recipient rank, donor rank, tenths, consistent).

    The recipient side comes grouped by recipient (rank_lists), the donor side by donor. Each
    recipient's few entries are put in donor order (a sort of each run), the donor side's entries
    are bucketed by recipient in donor order (a stable counting sort), and each recipient's two
    runs are merged. Entries move with their values so that every pass reads memory in order.
    A rank is 0 on the side whose list does not hold the pair; ``consistent`` is False when a
    pair in both lists has two scores (blocks scored on other inputs).
    """
    r_starts = bucket_starts(r_recipient, r_recipient[:0], n)
    longest = 0
    for recipient in range(n):
        longest = max(longest, r_starts[recipient + 1] - r_starts[recipient])
    shift = 1
    while (1 << shift) <= longest:
        shift += 1
    # Sort each recipient's run by (donor, place in the run), then move its values likewise.
    keys = np.empty(len(r_recipient), dtype=np.int64)
    sorted_donor = np.empty_like(r_donor)
    sorted_tenths = np.empty_like(r_tenths)
    sorted_rank = np.empty_like(r_rank)
    for recipient in range(n):
        start, stop = r_starts[recipient], r_starts[recipient + 1]
        for position in range(start, stop):
            keys[position] = (r_donor[position] << shift) | (position - start)
        run = keys[start:stop]
        run.sort()
        for position in range(start, stop):
            source = start + (keys[position] & ((1 << shift) - 1))
            sorted_donor[position] = r_donor[source]
            sorted_tenths[position] = r_tenths[source]
            sorted_rank[position] = r_rank[source]
    r_donor, r_tenths, r_rank = sorted_donor, sorted_tenths, sorted_rank
    d_starts = bucket_starts(d_recipient, d_recipient[:0], n)
    fill = d_starts[:-1].copy()
    by_donor, by_tenths, by_rank = (
        np.empty_like(d_donor),
        np.empty_like(d_tenths),
        np.empty_like(d_rank),
    )
    for entry in range(len(d_recipient)):
        slot = fill[d_recipient[entry]]
        by_donor[slot], by_tenths[slot], by_rank[slot] = (
            d_donor[entry],
            d_tenths[entry],
            d_rank[entry],
        )
        fill[d_recipient[entry]] = slot + 1
    # Room for every entry; pairs in both lists make fewer rows (cut at the end).
    total = len(r_recipient) + len(d_recipient)
    out_recipient = np.empty(total, dtype=np.int32)
    out_donor = np.empty(total, dtype=np.int32)
    recipient_rank = np.zeros(total, dtype=np.int32)
    donor_rank = np.zeros(total, dtype=np.int32)
    tenths = np.empty(total, dtype=np.int64)
    consistent = True
    pair = 0
    for recipient in range(n):
        r_next, r_stop = r_starts[recipient], r_starts[recipient + 1]
        d_next, d_stop = d_starts[recipient], d_starts[recipient + 1]
        while r_next < r_stop or d_next < d_stop:
            out_recipient[pair] = recipient
            if d_next == d_stop or (r_next < r_stop and r_donor[r_next] < by_donor[d_next]):
                out_donor[pair] = r_donor[r_next]
                recipient_rank[pair] = r_rank[r_next]
                tenths[pair] = r_tenths[r_next]
                r_next += 1
            elif r_next == r_stop or by_donor[d_next] < r_donor[r_next]:
                out_donor[pair] = by_donor[d_next]
                donor_rank[pair] = by_rank[d_next]
                tenths[pair] = by_tenths[d_next]
                d_next += 1
            else:
                out_donor[pair] = r_donor[r_next]
                recipient_rank[pair] = r_rank[r_next]
                donor_rank[pair] = by_rank[d_next]
                tenths[pair] = r_tenths[r_next]
                consistent &= r_tenths[r_next] == by_tenths[d_next]
                r_next += 1
                d_next += 1
            pair += 1
    return (
        out_recipient[:pair].copy(),
        out_donor[:pair].copy(),
        recipient_rank[:pair].copy(),
        donor_rank[:pair].copy(),
        tenths[:pair].copy(),
        consistent,
    )


def join_sides(recipient_side, donor_side, n_rows: int) -> tuple[np.ndarray, ...]:
    """One row per pair of either side (see _join_sides). Each side: (recipient, donor,
    tenths, rank) arrays."""
    r_recipient, r_donor, r_tenths, r_rank = (kernel_array(v, np.int64) for v in recipient_side)
    d_recipient, d_donor, d_tenths, d_rank = (kernel_array(v, np.int64) for v in donor_side)
    return _join_sides(
        r_recipient, r_donor, r_tenths, r_rank, d_recipient, d_donor, d_tenths, d_rank, int(n_rows)
    )


def empty_matches(n_areas: int) -> Matches:
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


def matches_of(
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
    """Matches for the pairs, with components, scores and explanations (in ``workers`` threads).

    ``scored``: the pairs' components and tenths, when known. Each thread writes its share of
    the pairs into the final arrays: no per-thread copies to concatenate at the end.
    """
    m = len(donor)
    top_areas = np.empty((m, 3), dtype=np.int16)
    gives_back = np.empty((m, prepared.n_areas), dtype=bool)
    if scored is not None:
        components, tenths = scored
    else:
        components = np.empty((m, len(COMPONENTS)), dtype=np.float64)
        tenths = np.empty(m, dtype=np.int64)

    def details(part: slice) -> None:
        if scored is None:
            prepared.scored_and_explained(
                donor[part],
                recipient[part],
                components=components[part],
                tenths=tenths[part],
                top_areas=top_areas[part],
                gives_back=gives_back[part],
            )
        else:
            top_areas[part], gives_back[part] = prepared.explanations(donor[part], recipient[part])

    if scored is None and workers > 1 and m > 4 * PAIR_BATCH:
        bounds = np.linspace(0, m, workers + 1).astype(int)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(details, [slice(a, b) for a, b in itertools.pairwise(bounds)]))
    else:
        details(slice(None))
    if expected_tenths is not None and not np.array_equal(tenths, expected_tenths):
        raise RuntimeError("a block's scores differ from the merge's: inputs changed?")
    return Matches(
        donor=donor.astype(np.int32, copy=False),
        recipient=recipient.astype(np.int32, copy=False),
        score=tenths / 10.0,
        components=components,
        donor_rank=donor_rank.astype(np.int32, copy=False),
        recipient_rank=recipient_rank.astype(np.int32, copy=False),
        top_areas=top_areas,
        gives_back=gives_back,
    )


def merge_blocks(
    blocks: Sequence[BlockResult], prepared: PreparedInputs, *, workers: int = 2
) -> Matches:
    """Final top K of every recipient and every donor; a pair in both lists appears once.

    Components and explanations are computed for the kept pairs only, in ``workers`` threads.
    """
    n, k = prepared.n_cities, prepared.top_k
    for block in blocks:
        if not np.array_equal(np.asarray(block.fingerprint), prepared.fingerprint):
            raise ValueError("a block was scored on other inputs or parameters")
    covered = np.concatenate(
        [np.asarray(b.rows, np.int64) for b in blocks] or [np.zeros(0, np.int64)]
    )
    if len(sorted_unique(covered)) != len(covered):
        raise ValueError("blocks overlap: a recipient row is in two blocks")

    def gather(name: str) -> np.ndarray:
        parts = [np.asarray(getattr(block, name), dtype=np.int64) for block in blocks]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def ranked(side: str) -> tuple[np.ndarray, ...]:
        owner, partner = ("recipient", "donor") if side == "recipient" else ("donor", "recipient")
        return rank_lists(
            gather(f"{side}_side_{owner}"),
            gather(f"{side}_side_{partner}"),
            gather(f"{side}_side_tenths"),
            k,
            n,
        )

    # Both sides at once (the kernels release the GIL).
    if workers > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            recipient_side, donor_side = pool.map(ranked, ("recipient", "donor"))
    else:
        recipient_side, donor_side = ranked("recipient"), ranked("donor")
    if len(recipient_side[0]) + len(donor_side[0]) == 0:
        return empty_matches(prepared.n_areas)
    d_donor, d_recipient, d_tenths, d_rank = donor_side
    recipient, donor, recipient_rank, donor_rank, expected, consistent = join_sides(
        recipient_side, (d_recipient, d_donor, d_tenths, d_rank), n
    )
    del recipient_side, donor_side, d_donor, d_recipient, d_tenths, d_rank
    if not consistent:
        raise RuntimeError("a block's scores differ from the merge's: inputs changed?")
    return matches_of(
        prepared,
        donor,
        recipient,
        donor_rank,
        recipient_rank,
        expected_tenths=expected,
        workers=workers,
    )


def warm_up_merging() -> None:
    """Compile or load the merge's kernels (see warmup.warm_up)."""
    side = (np.array([0, 1]), np.array([1, 0]), np.array([5, 5]))
    recipient_side = rank_lists(*side, k=1, n_rows=2)
    donor_side = rank_lists(side[1], side[0], side[2], k=1, n_rows=2)
    join_sides(recipient_side, (donor_side[1], donor_side[0], *donor_side[2:]), 2)
