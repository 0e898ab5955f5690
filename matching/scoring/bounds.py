"""Upper bounds of a recipient's float32 scores over a whole donor tile.

No pair (r, d in T) can be a candidate when the bound of recipient r against tile T is below
both r's admission threshold and the lowest admission threshold of T's donors. The tile loop
then leaves r out of T's GEMM, and the whole tile when no row of the chunk remains.

The bound is a sum over the parts of the score:

* the non-negative feature blocks of the GEMM (layout.FeatureBlock): recipient values times the
  other side's per-column maxima, capped at the block's weights;
* size: the Gaussian at the smallest gap in log population between r and T's interval;
* budget: ``min(1, max budget_d / cost_d + cofund_r * max 1 / cost_d)``;
* language: its weight when r shares a language with some donor of T;

plus ``2 delta``: the float32 score is within delta of the exact one, and the exact block value
within delta of the same product over the float32 features the maxima are taken from.
"""

from __future__ import annotations

import numpy as np

from .layout import HotLayout

# float64 sums of a few terms <= 1, compared with float32 thresholds: room for their rounding.
ROUNDING_ROOM = 1e-6


class TileBounds:
    """Per tile: the maxima and intervals the bounds need, computed once per layout."""

    def __init__(self, layout: HotLayout, groups: list[np.ndarray] | None = None):
        """``groups``: the donor rows of each tile (default: the layout's tiles)."""
        prepared = layout.prepared
        self.layout = layout
        weights = prepared.weights / prepared.weight_sum
        self.size_weight = float(weights[3])
        self.budget_weight = float(weights[6])
        self.language_weight = float(layout.language_weight) if layout.uses_language else 0.0
        self.slack = 2 * layout.delta + ROUNDING_ROOM
        self.blocks = layout.bounded_blocks
        # budget <= min(1, base + cofund * inverse_cost); a free practice is always affordable.
        free = prepared.cost <= 0
        safe_cost = np.where(free, 1.0, prepared.cost)
        self.budget_base = np.where(free, 1.0, prepared.budget / safe_cost)
        self.inverse_cost = np.where(free, 0.0, 1.0 / safe_cost)
        self.log_population = prepared.log_population
        self.size_denominator = prepared.size_denominator

        tiles = groups if groups is not None else [tile.rows for tile in layout.tiles]
        self.feature_maxima = np.zeros((len(tiles), layout.n_features))
        for number, rows in enumerate(tiles):
            self.feature_maxima[number] = layout.donor_features[rows].max(axis=0)
        self.low_population = np.array([self.log_population[rows].min() for rows in tiles])
        self.high_population = np.array([self.log_population[rows].max() for rows in tiles])
        self.max_budget_base = np.array([self.budget_base[rows].max() for rows in tiles])
        self.max_inverse_cost = np.array([self.inverse_cost[rows].max() for rows in tiles])
        self.languages = np.zeros((len(tiles), layout.language_words.shape[1]), np.uint64)
        for number, rows in enumerate(tiles):
            self.languages[number] = np.bitwise_or.reduce(layout.language_words[rows])

    def _size(self, position: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        gap = np.maximum(0.0, np.maximum(low - position, position - high))
        return self.size_weight * np.exp(-(gap * gap) / self.size_denominator)

    def recipients_against_tiles(self, rows: np.ndarray) -> np.ndarray:
        """(rows, tiles) float64: bound of every pair of recipient row i with tile t."""
        layout = self.layout
        features = layout.recipient_features[rows].astype(np.float64)
        bound = np.zeros((len(rows), len(self.feature_maxima)))
        for block in self.blocks:
            part = features[:, block.columns] @ self.feature_maxima[:, block.columns].T
            bound += np.minimum(part, block.cap)
        if self.size_weight:
            position = self.log_population[rows][:, None]
            bound += self._size(position, self.low_population, self.high_population)
        if self.budget_weight:
            cofund = layout.prepared.cofunding[rows][:, None]
            money = self.max_budget_base + cofund * self.max_inverse_cost
            bound += self.budget_weight * np.minimum(1.0, money)
        if self.language_weight:
            shared = _any_shared(layout.language_words[rows], self.languages)
            bound += self.language_weight * shared
        return bound + self.slack


def _any_shared(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(len(left), len(right)) bool: do the rows' bit words have a bit in common?"""
    shared = np.zeros((len(left), len(right)), dtype=bool)
    for word in range(left.shape[1]):
        shared |= (left[:, word][:, None] & right[:, word][None, :]) != 0
    return shared
