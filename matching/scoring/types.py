"""The engine's inputs and outputs: plain dataclasses of numpy arrays (no Django)."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from matching.vocabulary import COMPONENTS, DEFAULT_COST_USD, DEFAULT_SIZE_SIGMA, DEFAULT_TOP_K


@dataclass(frozen=True)
class ScoringParams:
    """Weights and constants of the scoring model (SCORING.md)."""

    weights: Mapping[str, float]  # all eight COMPONENTS, >= 0, sum > 0
    size_sigma: float = DEFAULT_SIZE_SIGMA
    default_cost_usd: float = float(DEFAULT_COST_USD)
    top_k: int = DEFAULT_TOP_K

    def weight_vector(self) -> np.ndarray:
        """The weights in COMPONENTS order, checked (ValueError naming the problem)."""
        unknown = set(self.weights) - set(COMPONENTS)
        missing = [name for name in COMPONENTS if name not in self.weights]
        if unknown or missing:
            raise ValueError(
                f"weights must name exactly {COMPONENTS}; unknown {sorted(unknown)}, "
                f"missing {missing}"
            )
        vector = np.array([float(self.weights[name]) for name in COMPONENTS], dtype=np.float64)
        if not np.all(np.isfinite(vector)) or np.any(vector < 0):
            raise ValueError("weights must be finite and >= 0")
        if vector.sum() <= 0:
            raise ValueError("at least one weight must be > 0")
        if not (math.isfinite(self.size_sigma) and self.size_sigma > 0):
            raise ValueError("size_sigma must be > 0")
        if not (math.isfinite(self.default_cost_usd) and self.default_cost_usd >= 0):
            raise ValueError("default_cost_usd must be >= 0")
        if int(self.top_k) < 1:
            raise ValueError("top_k must be >= 1")
        return vector


@dataclass
class CityArrays:
    """One row per city; rows sorted by ascending id."""

    ids: np.ndarray  # (N,) int64, strictly ascending
    population: np.ndarray  # (N,) > 0
    expertise: np.ndarray  # (N, A) levels 0..3
    needs: np.ndarray  # (N, A) levels 0..3
    sectors: np.ndarray  # (N, S) shares >= 0, raw (the engine normalises them)
    languages: np.ndarray  # (N, L) bool: city speaks language l
    has_department: np.ndarray  # (N,) bool
    staff: np.ndarray  # (N,) int >= 0
    years: np.ndarray  # (N,) int >= 0
    absorptive_capacity: np.ndarray  # (N,) 0..5
    budget_usd: np.ndarray  # (N,) >= 0
    cofunding_usd: np.ndarray  # (N,) >= 0
    practices: np.ndarray  # (N, A) count of PUBLISHED best practices per area
    practice_cost_usd: np.ndarray  # (N,) median cost of published practices; NaN = none
    is_donor: np.ndarray  # (N,) bool (role donor or both)
    is_recipient: np.ndarray  # (N,) bool (role recipient or both)
    relevance: np.ndarray  # (S, A) 0/1 sector -> policy-area relevance table R

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Matches:
    """A set of scored pairs; indices are row indices into CityArrays, not ids."""

    donor: np.ndarray  # (M,) int32
    recipient: np.ndarray  # (M,) int32
    score: np.ndarray  # (M,) float64, 0..100 rounded to one decimal
    components: np.ndarray  # (M, 8) float64, in COMPONENTS order
    donor_rank: np.ndarray  # (M,) int32: rank in the donor's list; 0 = not in its top K
    recipient_rank: np.ndarray  # (M,) int32: rank in the recipient's list; 0 = not in its top K
    top_areas: np.ndarray  # (M, 3) int16 policy-area indices, -1 padded, best first
    gives_back: np.ndarray  # (M, A) bool: N_d[a] * E_r[a] > 0

    def __len__(self) -> int:
        return len(self.donor)


@dataclass
class BlockResult:
    """What scoring one block of recipients against every donor leaves for the merge.

    Every field is a plain numpy array (no objects), so a block round-trips through
    ``np.savez``/``np.load(allow_pickle=False)`` (see ``to_bytes``/``from_bytes``). Scores are
    kept in tenths of a point (``score * 10``, exact integers); the merge recomputes the
    components of the pairs it keeps.
    """

    fingerprint: np.ndarray  # (2,) uint64: hash of the inputs and params; blocks must agree
    rows: np.ndarray  # (R,) int32: the recipient rows this block covers (ascending)
    # (a) The recipient side, complete for these rows: each row's top K donors, grouped by
    # recipient, best first.
    recipient_side_donor: np.ndarray  # (M1,) int32
    recipient_side_recipient: np.ndarray  # (M1,) int32
    recipient_side_tenths: np.ndarray  # (M1,) int16
    # (b) The donor side: for every donor its top K among THESE rows, grouped by donor, best
    # first. The merge keeps each donor's top K over all blocks.
    donor_side_donor: np.ndarray  # (M2,) int32
    donor_side_recipient: np.ndarray  # (M2,) int32
    donor_side_tenths: np.ndarray  # (M2,) int16
    pairs_scored: np.ndarray  # () int64: donor x recipient pairs this block looked at

    def to_bytes(self) -> bytes:
        """The block in numpy's npz format (arrays only, nothing executable)."""
        buffer = io.BytesIO()
        np.savez(buffer, **{field.name: getattr(self, field.name) for field in fields(self)})
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> BlockResult:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as stored:
            return cls(**{field.name: stored[field.name] for field in fields(cls)})

    @property
    def nbytes(self) -> int:
        return sum(np.asarray(getattr(self, field.name)).nbytes for field in fields(self))
