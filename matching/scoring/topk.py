"""Per-owner candidate lists that end as an exact, deterministic top K.

An owner is a recipient (its candidates are donors) or a donor (its candidates are recipients).
The hot loop only knows float32 approximations ``approx`` of each pair's mean score ``s`` with
``|approx - s| <= delta``; the stored score is ``tenths = round(1000 s)`` and the order is
(tenths descending, partner row ascending). Two rules keep the lists small and exact:

* Approximate pruning. If K entries have ``approx >= T``, their tenths are at least
  ``1000 (T - delta) - 0.5``, so an entry of the final top K has ``s >= T - delta - 0.001``
  and ``approx >= T - margin`` with ``margin = 0.001 + 2 delta``. Anything below is dropped.
* Exact pruning, for ties (identical cities make thousands). When a list is crowded its
  entries are scored exactly and only the top K kept; since partners arrive in ascending row
  order, a later partner needs strictly more tenths than the K-th to get in (a tie goes to
  the smaller row), which the threshold ``(tenths_K + 0.5) / 1000 - delta`` encodes.

``finalize`` scores the survivors exactly and returns each owner's top K.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .kernels import ListArrays, compiled_kernel, inlined_kernel, kernel_array

# exact(owner indices, partner rows) -> tenths (int64), the stored score of those pairs.
ExactTenths = Callable[[np.ndarray, np.ndarray], np.ndarray]
MAX_TENTHS = 1000


def floor_float32(values: np.ndarray) -> np.ndarray:
    """float64 -> the largest float32 not above it (thresholds must never round up)."""
    values = np.asarray(values, dtype=np.float64)
    rounded = values.astype(np.float32)
    return np.where(rounded > values, np.nextafter(rounded, np.float32(-np.inf)), rounded)


def rank_key(owner: np.ndarray, tenths: np.ndarray, partner: np.ndarray, n_rows: int):
    """One int64 key ordering pairs by owner, then tenths descending, then partner ascending."""
    n_rows = max(int(n_rows), 1)
    return (owner.astype(np.int64) * (MAX_TENTHS + 1) + (MAX_TENTHS - tenths)) * n_rows + partner


def unique_order(keys: np.ndarray) -> np.ndarray:
    """np.argsort of keys that are all distinct (rank keys: one entry per owner and partner),
    so any sort gives the one order: numpy's vectorised quicksort, several times faster than
    the stable one on random keys and linear on sorted ones."""
    return np.argsort(keys, kind="quicksort")


def stable_order(keys: np.ndarray) -> np.ndarray:
    """np.argsort(kind="stable"), as a radix sort when the keys fit 16 bits (a tile's columns)."""
    if len(keys):
        low = keys.min()
        if keys.max() - low < 2**15:
            return np.argsort((keys - low).astype(np.int16), kind="stable")
    return np.argsort(keys, kind="stable")


def run_starts(grouped: np.ndarray) -> np.ndarray:
    """Indices where a new run of equal values starts (np.r_ is slow on small arrays)."""
    changes = np.empty(len(grouped), dtype=bool)
    changes[:1] = True
    np.not_equal(grouped[1:], grouped[:-1], out=changes[1:])
    return np.flatnonzero(changes)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for 1-D integers; numpy 2.4's hash-based unique is ~20x slower here."""
    ordered = np.sort(np.asarray(values).ravel())
    if len(ordered) == 0:
        return ordered
    return ordered[run_starts(ordered)]


def ranks_within(owner_sorted: np.ndarray) -> np.ndarray:
    """1-based position of each entry within its run of equal owners (input grouped by owner)."""
    m = len(owner_sorted)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    starts = run_starts(owner_sorted)
    lengths = np.diff(starts, append=m)
    return np.arange(m) - np.repeat(starts, lengths) + 1


@inlined_kernel
def bucket_starts(owners_a, owners_b, n_owners):
    """starts[o]: where owner o's entries begin once those of owners_a and owners_b are
    grouped by owner; starts[n_owners] is their number."""
    starts = np.zeros(n_owners + 1, dtype=np.int64)
    for owner in owners_a:
        starts[owner + 1] += 1
    for owner in owners_b:
        starts[owner + 1] += 1
    for owner in range(n_owners):
        starts[owner + 1] += starts[owner]
    return starts


@compiled_kernel
def _rank_lists(owner, partner, tenths, n_owners, n_rows, k):
    """Each owner's top k entries by (tenths descending, partner ascending), with their rank.

    Returns (owner, partner, tenths, rank) arrays ordered by owner, then rank. The sort key
    ``(MAX_TENTHS - tenths) * n_rows + partner`` is that order; entries are distinct pairs.
    """
    starts = bucket_starts(owner, owner[:0], n_owners)
    fill = starts[:-1].copy()
    keys = np.empty(len(owner), dtype=np.int64)
    for entry in range(len(owner)):
        slot = fill[owner[entry]]
        keys[slot] = (MAX_TENTHS - tenths[entry]) * n_rows + partner[entry]
        fill[owner[entry]] = slot + 1
    kept = 0
    for one in range(n_owners):
        start, stop = starts[one], starts[one + 1]
        if stop - start > 1:
            keys[start:stop].sort()
        kept += min(stop - start, k)
    out_owner = np.empty(kept, dtype=np.int64)
    out_partner = np.empty(kept, dtype=np.int64)
    out_tenths = np.empty(kept, dtype=np.int64)
    out_rank = np.empty(kept, dtype=np.int64)
    position = 0
    for one in range(n_owners):
        start = starts[one]
        for rank in range(min(starts[one + 1] - start, k)):
            key = keys[start + rank]
            out_owner[position] = one
            out_partner[position] = key % n_rows
            out_tenths[position] = MAX_TENTHS - key // n_rows
            out_rank[position] = rank + 1
            position += 1
    return out_owner, out_partner, out_tenths, out_rank


def rank_lists(
    owner, partner, tenths, k: int, n_rows: int, n_owners: int | None = None
) -> tuple[np.ndarray, ...]:
    """Each owner's (< n_owners, by default n_rows) top k of distinct (owner, partner < n_rows)
    entries, ranked by (tenths descending, partner ascending): (owner, partner, tenths, rank)
    int64 arrays, by owner then rank."""
    return _rank_lists(
        kernel_array(owner, np.int64),
        kernel_array(partner, np.int64),
        kernel_array(tenths, np.int64),
        int(n_rows if n_owners is None else n_owners),
        int(n_rows),
        int(k),
    )


class CandidateLists:
    """Bounded candidate buffers, one row per owner: float32 approximations + partner rows."""

    def __init__(
        self,
        n_owners: int,
        *,
        k: int,
        capacity: int,
        margin: float,
        delta: float,
        n_rows: int,
        exact: ExactTenths,
    ):
        self.k = k
        self.capacity = max(capacity, 2 * k + 2)
        self.margin = margin
        self.delta = delta
        self.n_rows = n_rows
        self.exact = exact
        self.values = np.full((n_owners, self.capacity), -np.inf, dtype=np.float32)
        self.partners = np.zeros((n_owners, self.capacity), dtype=np.int32)
        self.counts = np.zeros(n_owners, dtype=np.int64)
        # The buffers as the compiled append (kernels.distribute) takes them.
        self.arrays = ListArrays(self.values, self.partners, self.counts)
        # Pruning threshold: valid for every entry, old or new.
        self.thresholds = np.full(n_owners, -np.inf, dtype=np.float32)
        # What a NEW (later, larger-row) partner needs: the threshold or the exact floor.
        self.admission = np.full(n_owners, -np.inf, dtype=np.float32)

    @property
    def n_owners(self) -> int:
        return len(self.counts)

    def reset(self) -> None:
        self.values.fill(-np.inf)
        self.counts.fill(0)
        self.thresholds.fill(-np.inf)
        self.admission.fill(-np.inf)

    def raise_thresholds(self, owners: np.ndarray, kth_best: np.ndarray) -> None:
        """Some K entries of each owner have approx >= kth_best: prune below kth_best - margin."""
        floor = floor_float32(np.asarray(kth_best, dtype=np.float64) - self.margin)
        np.maximum.at(self.thresholds, owners, floor)
        np.maximum.at(self.admission, owners, floor)

    def tighten(self, min_count: int) -> None:
        """Raise the thresholds of owners holding >= min_count entries to their K-th best.

        Cheaper than waiting for a full buffer: later pairs are then compared with a higher bar.
        """
        owners = np.flatnonzero(self.counts >= max(min_count, self.k))
        if len(owners) == 0:
            return
        width = int(self.counts[owners].max())
        values = self.values[owners, :width]
        self.raise_thresholds(
            owners, np.partition(values, width - self.k, axis=1)[:, width - self.k]
        )

    def push(
        self,
        owners: np.ndarray,
        partners: np.ndarray,
        values: np.ndarray,
        *,
        grouped: bool = False,
    ) -> None:
        """Add entries (the caller keeps only those at or above their owner's admission).

        ``grouped``: the owners are already in ascending order (saves a sort).
        """
        if len(owners) == 0:
            return
        if not grouped:
            order = stable_order(owners)
            owners, partners, values = owners[order], partners[order], values[order]
        starts = run_starts(owners)
        distinct = owners[starts]
        batch = np.diff(starts, append=len(owners))
        # Position of each entry within its owner's run: 0, 1, 2, ...
        slot = np.arange(len(owners)) - np.repeat(starts, batch)
        overflow = self.counts[distinct] + batch > self.capacity
        if overflow.any():
            spill = np.repeat(overflow, batch)
            self._merge_and_prune(
                distinct[overflow], owners[spill], partners[spill], values[spill], slot[spill]
            )
            keep = ~spill
            owners, partners, values, slot = owners[keep], partners[keep], values[keep], slot[keep]
            distinct, batch = distinct[~overflow], batch[~overflow]
        if len(owners):
            flat = owners * self.capacity + np.repeat(self.counts[distinct], batch) + slot
            self.values.reshape(-1)[flat] = values
            self.partners.reshape(-1)[flat] = partners
            self.counts[distinct] += batch

    def _merge_and_prune(self, distinct, owners, partners, values, slot) -> None:
        """Owners whose buffer would overflow: prune (old entries + new ones) and store."""
        width = self.capacity + int(slot.max()) + 1
        merged_values = np.full((len(distinct), width), -np.inf, dtype=np.float32)
        merged_partners = np.zeros((len(distinct), width), dtype=np.int32)
        merged_values[:, : self.capacity] = self.values[distinct]
        merged_partners[:, : self.capacity] = self.partners[distinct]
        local = np.searchsorted(distinct, owners)
        merged_values[local, self.capacity + slot] = values
        merged_partners[local, self.capacity + slot] = partners
        self._prune(distinct, merged_values, merged_partners)

    def _prune(self, distinct, merged_values, merged_partners) -> None:
        width = merged_values.shape[1]
        if width > self.k:
            kth = np.partition(merged_values, width - self.k, axis=1)[:, width - self.k]
            self.raise_thresholds(distinct, kth)
        threshold = self.thresholds[distinct]
        keep = (merged_values >= threshold[:, None]) & (merged_values > -np.inf)
        crowded = keep.sum(axis=1) > self.capacity // 2
        if crowded.any():
            self._prune_exactly(distinct, crowded, keep, merged_partners)
        # Compact the kept entries to the front of each row.
        order = np.argsort(~keep, axis=1, kind="stable")[:, : self.capacity]
        kept_values = np.where(keep, merged_values, np.float32(-np.inf))
        self.values[distinct] = np.take_along_axis(kept_values, order, axis=1)
        self.partners[distinct] = np.take_along_axis(merged_partners, order, axis=1)
        self.counts[distinct] = np.minimum(keep.sum(axis=1), self.capacity)

    def _prune_exactly(self, distinct, crowded, keep, merged_partners) -> None:
        """Score crowded owners' entries exactly; keep their top K (ties: smaller partner)."""
        rows, cols = np.nonzero(keep & crowded[:, None])
        owners = distinct[rows]
        partners = merged_partners[rows, cols].astype(np.int64)
        tenths = self.exact(owners, partners)
        order = unique_order(rank_key(owners, tenths, partners, self.n_rows))
        rank = ranks_within(owners[order])
        drop = order[rank > self.k]
        keep[rows[drop], cols[drop]] = False
        # The K-th entry of each full list sets an exact floor for later (larger) partners.
        kth = order[rank == self.k]
        floor = floor_float32((tenths[kth] + 0.5) / 1000.0 - self.delta - 1e-6)
        np.maximum.at(self.admission, owners[kth], floor)

    def finalize(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each owner's exact top K: (owner, partner, tenths, rank), by owner then rank."""
        width = self.capacity
        if width > self.k and self.n_owners:
            kth = np.partition(self.values, width - self.k, axis=1)[:, width - self.k]
            self.raise_thresholds(np.arange(self.n_owners), kth)
        keep = (self.values >= self.thresholds[:, None]) & (self.values > -np.inf)
        owners, cols = np.nonzero(keep)
        partners = self.partners[owners, cols].astype(np.int64)
        tenths = self.exact(owners, partners)
        owners, partners, tenths, rank = rank_lists(
            owners, partners, tenths, self.k, self.n_rows, self.n_owners
        )
        return owners, partners, tenths, rank
