"""The float32 features of the hot loop: one GEMM gives most of every pair's score.

With weights normalised to sum 1, a pair's mean score is ``sum_k w_k x_k``, and most of it is
bilinear in a recipient vector and a donor vector:

* need_fit + evidence + ½ market: ``(N_r / ΣN_r) · (w_nf E_d/3 + w_ev [P_d>0] + w_rec/2 S'_d R)``
* ½ of reciprocity's first half: ``(E_r/3) · (w_rec/2 · N_d / ΣN_d)``
* industry: ``Ŝ_r · w_ind Ŝ_d``; capacity: ``sqrt(take_r) · w_cap sqrt(give_d)``
* budget, for donors that can always pay (1) or never reach the cap for any recipient
  (``budget_d/cost_d + cofund_r/cost_d``); the other ("kinked") donors get an elementwise
  ``min(1, ...)`` on their columns only, which sit first in each tile;
* size, when a short Chebyshev expansion of the Gaussian in log population is accurate to
  ``SIZE_TOLERANCE`` (else elementwise ``exp``).

Language is elementwise: a bit test on reduced language masks (a language is dropped when
every pair of cities sharing it also shares another, more widespread one).

``delta`` bounds |float32 approximation - exact mean score|; the top-K logic (topk.py) turns it
into a safety margin, so approximations only choose candidates, never the stored scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .exact import PreparedInputs, pack_bits
from .kernels import Terms, TileSide, terms_of, tile_side

# The largest Chebyshev expansion of the size Gaussian put into the GEMM; past it, exp.
MAX_SIZE_TERMS = 32
# Error allowed to the size expansion, in units of the mean score (0..1).
SIZE_TOLERANCE = 1e-4
# Points per axis of the grid the expansion's error is measured on (spacing << sigma).
SIZE_GRID = 129
FLOAT32_EPS = 2.0**-24
# Feature values below this are set to 0: products of two stay normal floats (see HotLayout).
TINY = 1e-12


@dataclass
class DonorTile:
    """A run of consecutive donors, columns reordered so kinked-budget donors come first."""

    rows: np.ndarray  # (d,) int64 city rows
    positions: np.ndarray  # (d,) int64 positions in PreparedInputs.donor_rows
    features: np.ndarray  # (K, d) float32, C-contiguous (the GEMM's right operand)
    n_kinked: int
    kernel: TileSide  # what the compiled pass reads per column

    @property
    def size(self) -> int:
        return len(self.rows)


@dataclass
class FeatureBlock:
    """Columns of the features whose product is one bounded part of the mean score.

    Recipient and donor values are >= 0, so a tile's per-column maxima bound the part for every
    donor of the tile, and the part never exceeds ``cap`` (its components' weights).
    """

    columns: slice
    cap: float


def _chebyshev_nodes(low: float, high: float, count: int) -> np.ndarray:
    j = np.arange(count)
    return (low + high) / 2 + (high - low) / 2 * np.cos((2 * j + 1) * np.pi / (2 * count))


def _lagrange_basis(nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(len(x), len(nodes)): the Lagrange basis at Chebyshev points (barycentric formula)."""
    count = len(nodes)
    j = np.arange(count)
    weights = (-1.0) ** j * np.sin((2 * j + 1) * np.pi / (2 * count))
    diff = x[:, None] - nodes[None, :]
    on_node = diff == 0
    terms = weights / np.where(on_node, 1.0, diff)
    basis = terms / terms.sum(axis=1, keepdims=True)
    hit = on_node.any(axis=1)
    basis[hit] = on_node[hit].astype(np.float64)
    return basis


def size_expansion(
    log_population: np.ndarray, size_denominator: float, tolerance: float
) -> tuple[np.ndarray, float] | None:
    """Chebyshev nodes t_j with |exp(-(x-y)²/den) - Σ_j exp(-(x-t_j)²/den) ℓ_j(y)| <= tol."""
    if len(log_population) == 0:
        return np.zeros(1), 0.0
    low, high = float(log_population.min()), float(log_population.max())
    if high - low < 1e-12:
        return np.array([low]), 0.0
    grid = np.linspace(low, high, SIZE_GRID)
    exact = np.exp(-((grid[:, None] - grid[None, :]) ** 2) / size_denominator)

    def error(count: int) -> float:
        nodes = _chebyshev_nodes(low, high, count)
        kernel = np.exp(-((grid[:, None] - nodes[None, :]) ** 2) / size_denominator)
        return float(np.abs(kernel @ _lagrange_basis(nodes, grid).T - exact).max())

    # The error falls with the number of terms: bisect for the fewest that are accurate enough.
    if error(MAX_SIZE_TERMS) > tolerance:
        return None
    fewest, most = 1, MAX_SIZE_TERMS
    while most - fewest > 1:
        middle = (fewest + most) // 2
        if error(middle) <= tolerance:
            most = middle
        else:
            fewest = middle
    return _chebyshev_nodes(low, high, most), error(most)


def _column_max_abs(blocks: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """np.abs(features[rows]).max(axis=0) of the features the blocks make, side by side."""
    maxima = []
    for block in blocks:
        values = block[rows]
        maxima.append(np.maximum(values.max(axis=0), -values.min(axis=0)))
    return np.concatenate(maxima)


class HotLayout:
    """Everything the tile loop reads, built once per PreparedInputs and tile width."""

    def __init__(self, prepared: PreparedInputs, tile_width: int):
        self.prepared = prepared
        # Per donor: K-th best score in a sample of recipients (engine._probe_donors).
        self.donor_probe = np.full(len(prepared.donor_rows), -np.inf, dtype=np.float32)
        self.tile_width = tile_width
        weights = prepared.weights / prepared.weight_sum
        (w_need, w_evidence, w_reciprocity, w_size, w_industry, w_capacity, w_budget) = weights[:7]
        self.language_weight = np.float32(weights[7])
        self.budget_weight = np.float32(w_budget)
        p = prepared
        n = p.n_cities

        recipient_blocks: list[np.ndarray] = []
        donor_blocks: list[np.ndarray] = []
        # The non-negative blocks whose maxima bound a tile (bounds.py); size and budget are
        # bounded from the inputs instead.
        self.bounded_blocks: list[FeatureBlock] = []

        def add(recipient: np.ndarray, donor: np.ndarray, cap: float | None = None) -> None:
            start = sum(block.shape[1] for block in recipient_blocks)
            recipient_blocks.append(recipient.reshape(n, -1))
            donor_blocks.append(donor.reshape(n, -1))
            if cap is not None:
                stop = start + recipient_blocks[-1].shape[1]
                self.bounded_blocks.append(FeatureBlock(slice(start, stop), cap))

        need_share = np.divide(
            p.need_levels,
            p.need_total[:, None],
            out=np.zeros_like(p.need_levels),
            where=p.need_total[:, None] > 0,
        )
        if w_need or w_evidence or w_reciprocity:
            add(
                need_share,
                w_need * p.expertise_levels / 3
                + w_evidence * p.has_practice
                + w_reciprocity / 2 * p.market,
                cap=w_need + w_evidence + w_reciprocity / 2,
            )
        if w_reciprocity:
            add(p.expertise_levels / 3, w_reciprocity / 2 * need_share, cap=w_reciprocity / 2)
        if w_industry:
            add(p.sector_unit, w_industry * p.sector_unit, cap=w_industry)
        if w_capacity:
            add(np.sqrt(p.take), w_capacity * np.sqrt(p.give), cap=w_capacity)

        # Budget: which donors need the elementwise min(1, ...)?
        recipients = p.recipient_rows
        cofund_max = float(p.cofunding[recipients].max()) if len(recipients) else 0.0
        self.cofund_scale = max(cofund_max, 1.0)
        always = (p.cost <= 0) | (p.budget >= p.cost)
        linear = ~always & (p.cost - p.budget >= cofund_max)
        self.kinked = np.zeros(n, dtype=bool)
        safe_cost = np.where(p.cost > 0, p.cost, 1.0)
        if w_budget:
            self.kinked = ~always & ~linear
            base = np.where(always, 1.0, np.where(linear, p.budget / safe_cost, 0.0))
            slope = np.where(linear, self.cofund_scale / safe_cost, 0.0)
            add(
                np.stack([np.ones(n), p.cofunding / self.cofund_scale], axis=1),
                w_budget * np.stack([base, slope], axis=1),
            )
        self.recipient_cofund = (p.cofunding / self.cofund_scale).astype(np.float32)
        self.kinked_base = (w_budget * p.budget / safe_cost).astype(np.float32)
        self.kinked_slope = (w_budget * self.cofund_scale / safe_cost).astype(np.float32)

        # Size: Chebyshev expansion into the GEMM when short enough, else exp per pair.
        size_error = 0.0
        self.size_by_exp = False
        self.size_position = np.zeros(n, dtype=np.float32)
        self.size_log_weight = np.float32(0)
        if w_size:
            involved = np.flatnonzero(p.recipient_ok | p.donor_ok)
            expansion = size_expansion(
                p.log_population[involved], p.size_denominator, SIZE_TOLERANCE / w_size
            )
            if expansion is not None:
                nodes, size_error = expansion
                kernel = np.exp(
                    -((p.log_population[:, None] - nodes[None, :]) ** 2) / p.size_denominator
                )
                add(kernel, w_size * _lagrange_basis(nodes, p.log_population))
            else:
                # size = 2 ** -(x_d - x_r)² with x = (ln pop - centre) sqrt(log2(e) / den).
                self.size_by_exp = True
                centre = float(p.log_population[involved].mean()) if len(involved) else 0.0
                scale = math.sqrt(math.log2(math.e) / p.size_denominator)
                self.size_position = ((p.log_population - centre) * scale).astype(np.float32)
                self.size_log_weight = np.float32(-math.log2(w_size))
                size_error = 3e-5

        if not recipient_blocks:  # only language weighs: keep a zero column for the GEMM
            add(np.zeros(n), np.zeros(n))
        # Subnormal float32 values (far tails of the size Gaussian) make the GEMM ~10x slower
        # on x86; values this small change no score. Blocks are cleaned one by one (a block
        # may be a view of the prepared inputs: cleaned in a copy) and concatenated straight
        # into float32, without a float64 copy of all the features.
        for blocks in (recipient_blocks, donor_blocks):
            for number, block in enumerate(blocks):
                tiny = (block < TINY) & (block > -TINY) & (block != 0.0)
                if tiny.any():
                    blocks[number] = np.where(tiny, 0.0, block)
        self.recipient_features = np.concatenate(recipient_blocks, axis=1, dtype=np.float32)
        self.donor_features = np.concatenate(donor_blocks, axis=1, dtype=np.float32)
        self.n_features = self.recipient_features.shape[1]

        languages = p.reduced_languages if weights[7] else p.reduced_languages[:, :0]
        self.language_bits = languages.shape[1]
        self.language_words = pack_bits(languages)  # (N, W) uint64
        self.terms: Terms = terms_of(
            size_by_exp=self.size_by_exp,
            size_log_weight=float(self.size_log_weight),
            uses_language=self.uses_language,
            language_weight=float(self.language_weight),
            budget_weight=float(self.budget_weight),
        )

        # delta: float32 GEMM error (|Σ a_k b_k - fl(...)| <= (K+2) eps Σ|a_k||b_k|), the
        # size expansion, and a few float32 roundings of terms <= 1 added elementwise.
        rows_used = p.recipient_rows if len(p.recipient_rows) else np.arange(0)
        donors_used = p.donor_rows
        bound = 0.0
        if len(rows_used) and len(donors_used):
            bound = float(
                _column_max_abs(recipient_blocks, rows_used)
                @ _column_max_abs(donor_blocks, donors_used)
            )
        self.delta = (
            (self.n_features + 2) * FLOAT32_EPS * bound * 1.1
            + w_size * size_error * 1.5  # the error is measured on a grid: keep a safety factor
            + 8 * FLOAT32_EPS
            + 1e-6  # fixed-point market and cosine in the exact formulas
        )
        self.margin = 0.001 + 2 * self.delta

        # Tiles of consecutive donors; within a tile kinked donors first (columns are merged
        # per tile, so the order inside a tile does not matter for ties).
        self.tiles: list[DonorTile] = []
        self.donor_position = np.full(n, -1, dtype=np.int64)
        self.donor_position[p.donor_rows] = np.arange(len(p.donor_rows))
        self.tile_of_position = np.zeros(len(p.donor_rows), dtype=np.int64)
        self.column_of_position = np.zeros(len(p.donor_rows), dtype=np.int64)
        for number, start in enumerate(range(0, len(p.donor_rows), tile_width)):
            positions = np.arange(start, min(start + tile_width, len(p.donor_rows)))
            rows = p.donor_rows[positions]
            order = np.argsort(~self.kinked[rows], kind="stable")
            positions, rows = positions[order], rows[order]
            n_kinked = int(self.kinked[rows].sum())
            kinked_rows = rows[:n_kinked]
            self.tile_of_position[positions] = number
            self.column_of_position[positions] = np.arange(len(positions))
            self.tiles.append(
                DonorTile(
                    rows=rows,
                    positions=positions,
                    features=np.ascontiguousarray(self.donor_features[rows].T),
                    n_kinked=n_kinked,
                    kernel=tile_side(
                        rows,
                        p.expertise_words[rows],
                        self.language_words[rows],
                        self.kinked_base[kinked_rows],
                        self.kinked_slope[kinked_rows],
                        self.size_position[rows],
                    ),
                )
            )

    @property
    def uses_language(self) -> bool:
        return self.language_bits > 0 and bool(self.language_weight)
