"""Checked inputs, and what the exact pair formulas of SCORING.md (compiled in pairs.py) read.

Every stored score comes from ``PreparedInputs.scored_pairs`` (float64), whichever code path
found the pair, so a pair has the same score in a full run, in a shard and in ``score_city``.
For that the result for a pair must not depend on the batch it is computed in: the dot products
are sums of exact integers (levels are integers; the two real-valued ones, market and the sector
cosine, use fixed-point copies of the shares, off by less than 1e-6), so any summation order
gives the same bits; everything else is elementwise.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import math

import numpy as np

from .kernels import kernel_array
from .pairs import PairInputs, explain_pairs, score_and_explain, score_pairs, score_tenths
from .types import COMPONENTS, CityArrays, ScoringParams

MAX_LEVEL = 3.0
# Pairs per batch in the exact formulas: bounds the temporary (pairs x areas) arrays to a few MB.
PAIR_BATCH = 16_384
_FLOAT64_MANTISSA_BITS = 53
# Fixed-point scale of the shares: values up to 2**23 are exact in float32.
FIXED_POINT_MAX = float(2**23)


def pack_bits(matrix: np.ndarray) -> np.ndarray:
    """(N, B) bool -> (N, ceil(B/64)) uint64 bit words (at least one word)."""
    rows, width = matrix.shape
    words = max(1, -(-width // 64))
    padded = np.zeros((rows, words * 64), dtype=bool)
    padded[:, :width] = matrix
    packed = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").reshape(rows, words)


def any_common_bit(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Row-wise: do two (M, W) word arrays share a set bit?"""
    common = np.bitwise_and(left[:, 0], right[:, 0]) != 0
    for word in range(1, left.shape[1]):
        common |= np.bitwise_and(left[:, word], right[:, word]) != 0
    return common


def reduced_languages(languages: np.ndarray) -> np.ndarray:
    """Fewer language columns with the same answer to "do these two cities share one?".

    A language l is redundant when the set of language profiles speaking it is inside that of
    another language m: two cities sharing l then both speak m too.
    """
    if languages.shape[1] == 0 or len(languages) == 0:
        return languages[:, :0]
    # The distinct language profiles, found on packed words by a sort of the rows (np.unique
    # on bool rows, or with axis=0 on the words, is several times slower). Their order does not
    # matter below.
    words = pack_bits(languages)
    ordered = words[np.lexsort(words.T)]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    bits = np.unpackbits(ordered[first].view(np.uint8), axis=1, bitorder="little")
    profiles = bits[:, : languages.shape[1]].astype(bool)
    incidence = profiles.T.astype(np.int64)  # (L, profiles)
    spoken = np.flatnonzero(incidence.any(axis=1))
    incidence = incidence[spoken]
    sizes = incidence.sum(axis=1)
    # inside[l, m]: profiles(l) ⊆ profiles(m). The counts are small integers, exact in float64
    # (whose product numpy hands to BLAS; its integer product is a plain loop).
    shared = incidence.astype(np.float64) @ incidence.T.astype(np.float64)
    inside = shared == sizes[:, None]
    larger = sizes[None, :] > sizes[:, None]
    index = np.arange(len(spoken))
    same_earlier = (sizes[None, :] == sizes[:, None]) & (index[None, :] < index[:, None])
    redundant = (inside & (larger | same_earlier)).any(axis=1)
    return languages[:, spoken[~redundant]]


def content_digest(arrays: CityArrays) -> bytes:
    """A digest of the inputs' content (not their identity: arrays may be edited in place)."""
    digest = hashlib.blake2b(digest_size=20)
    for field in dataclasses.fields(arrays):
        value = np.ascontiguousarray(getattr(arrays, field.name))
        digest.update(f"{field.name}{value.dtype}{value.shape}".encode())
        digest.update(value.tobytes() if value.dtype != object else repr(value).encode())
    return digest.digest()


def _fixed_point_scale(max_integer_part: float) -> float:
    """A power of two 2**q such that sums bounded by max_integer_part * 2**q stay exact."""
    bits = _FLOAT64_MANTISSA_BITS - 1 - math.ceil(math.log2(max(max_integer_part, 1.0)))
    return float(2.0**bits)


def _column(name: str, value, n: int, dtype, *, width: int | None = None) -> np.ndarray:
    array = np.asarray(value, dtype=dtype)
    expected = (n,) if width is None else (n, width)
    if width is None and array.shape != expected:
        raise ValueError(f"{name} must have shape {expected}, not {array.shape}")
    if width is not None and (array.ndim != 2 or array.shape[0] != n):
        raise ValueError(f"{name} must have shape ({n}, ...), not {array.shape}")
    if array.dtype.kind == "f" and name != "practice_cost_usd" and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


def _check_range(name: str, array: np.ndarray, low: float, high: float = math.inf) -> None:
    if array.size and (array.min() < low or array.max() > high):
        raise ValueError(f"{name} must be within [{low}, {high}]")


class PreparedInputs:
    """The checked inputs of one run and what every pair formula needs, computed once."""

    def __init__(self, arrays: CityArrays, params: ScoringParams, *, content: bytes | None = None):
        """``content``: ``content_digest(arrays)`` when the caller has it already."""
        self.params = params
        self.weights = params.weight_vector()
        self.weight_sum = float(self.weights.sum())
        self.top_k = int(params.top_k)

        ids = np.asarray(arrays.ids, dtype=np.int64)
        if ids.ndim != 1:
            raise ValueError("ids must be one-dimensional")
        n = len(ids)
        if n > 1 and np.any(np.diff(ids) <= 0):
            raise ValueError("ids must be strictly ascending")
        self.ids = ids
        self.n_cities = n

        needs = _column("needs", arrays.needs, n, np.float64, width=-1)
        expertise = _column("expertise", arrays.expertise, n, np.float64, width=-1)
        practices = _column("practices", arrays.practices, n, np.float64, width=-1)
        n_areas = needs.shape[1]
        for name, levels in (("needs", needs), ("expertise", expertise)):
            if levels.shape[1] != n_areas:
                raise ValueError(f"{name} must have {n_areas} policy-area columns")
            _check_range(name, levels, 0, MAX_LEVEL)
            # Integer levels keep the dot products exact (see the module docstring).
            if np.any(levels != np.round(levels)):
                raise ValueError(f"{name} must hold integer levels 0..3")
        if practices.shape[1] != n_areas:
            raise ValueError(f"practices must have {n_areas} policy-area columns")
        _check_range("practices", practices, 0)
        sectors = _column("sectors", arrays.sectors, n, np.float64, width=-1)
        _check_range("sectors", sectors, 0)
        n_sectors = sectors.shape[1]
        relevance = np.asarray(arrays.relevance, dtype=np.float64)
        if relevance.shape != (n_sectors, n_areas):
            raise ValueError(f"relevance must have shape {(n_sectors, n_areas)}")
        if np.any((relevance != 0) & (relevance != 1)):
            raise ValueError("relevance must hold 0 or 1")
        languages = np.asarray(arrays.languages, dtype=bool)
        if languages.ndim != 2 or languages.shape[0] != n:
            raise ValueError(f"languages must have shape ({n}, L)")
        population = _column("population", arrays.population, n, np.float64)
        if n and population.min() <= 0:
            raise ValueError("population must be > 0")
        staff = _column("staff", arrays.staff, n, np.float64)
        years = _column("years", arrays.years, n, np.float64)
        absorptive = _column("absorptive_capacity", arrays.absorptive_capacity, n, np.float64)
        budget = _column("budget_usd", arrays.budget_usd, n, np.float64)
        cofunding = _column("cofunding_usd", arrays.cofunding_usd, n, np.float64)
        cost = _column("practice_cost_usd", arrays.practice_cost_usd, n, np.float64)
        for name, column in (("staff", staff), ("years", years), ("budget_usd", budget)):
            _check_range(name, column, 0)
        _check_range("cofunding_usd", cofunding, 0)
        _check_range("absorptive_capacity", absorptive, 0, 5)
        if np.any(np.isinf(cost)) or np.any(cost < 0):
            raise ValueError("practice_cost_usd must be >= 0 or NaN")
        has_department = _column("has_department", arrays.has_department, n, bool)
        is_donor = _column("is_donor", arrays.is_donor, n, bool)
        is_recipient = _column("is_recipient", arrays.is_recipient, n, bool)

        self.n_areas, self.n_sectors, self.n_languages = n_areas, n_sectors, languages.shape[1]
        self.need_levels = needs
        self.expertise_levels = expertise
        self.need_total = needs.sum(axis=1)
        self.has_practice = (practices > 0).astype(np.float64)
        self.need_words = pack_bits(needs > 0)
        self.expertise_words = pack_bits(expertise > 0)
        # Language: the reduced columns give the same answer with fewer bits (often 1 word).
        self.reduced_languages = reduced_languages(languages)
        self.language_words = pack_bits(self.reduced_languages)

        # Sector shares summing to 1 (market) and of unit length (cosine); all-zero rows stay 0.
        total = sectors.sum(axis=1, keepdims=True)
        self.sector_shares = np.divide(sectors, total, out=np.zeros_like(sectors), where=total > 0)
        length = np.sqrt((sectors * sectors).sum(axis=1, keepdims=True))
        self.sector_unit = np.divide(sectors, length, out=np.zeros_like(sectors), where=length > 0)
        # market_d[a] = sum_s S'_d[s] R[s, a], in [0, 1].
        self.market = self.sector_shares @ relevance
        # Fixed-point copies (see the module docstring): sum_a N_r[a] * q_d[a] <= 3 A 2**q and
        # sum_s q_d[s] q_r[s] <= S 2**2q stay below 2**53, so every sum is exact.
        # Kept as float32 (2**23 fits its mantissa exactly); the compiled formulas read int32
        # copies (the same integers), whose products the compiler vectorises.
        self.market_scale = min(_fixed_point_scale(MAX_LEVEL * n_areas), FIXED_POINT_MAX)
        self.market_fixed = np.rint(self.market * self.market_scale).astype(np.float32)
        sector_bits = (_FLOAT64_MANTISSA_BITS - 1 - math.ceil(math.log2(max(n_sectors, 1)))) // 2
        self.sector_scale = min(float(2.0**sector_bits), FIXED_POINT_MAX)
        self.sector_fixed = np.rint(self.sector_unit * self.sector_scale).astype(np.float32)

        self._need_int8 = needs.astype(np.int8)
        self.log_population = np.log(population) if n else population
        self.population = population
        self.give = np.minimum(
            1.0,
            0.4 * has_department
            + 0.4 * np.minimum(staff, 10.0) / 10.0
            + 0.2 * np.minimum(years, 10.0) / 10.0,
        )
        self.take = absorptive / 5.0
        self.budget = budget
        self.cofunding = cofunding
        self.cost = np.where(np.isnan(cost), float(params.default_cost_usd), cost)
        self.size_denominator = 2.0 * float(params.size_sigma) ** 2

        # A recipient without needs and a donor without expertise can have no pair with
        # need_fit > 0, so they never enter the matrices.
        self.recipient_ok = is_recipient & (self.need_total > 0)
        self.donor_ok = is_donor & (expertise.sum(axis=1) > 0)
        self.recipient_rows = np.flatnonzero(self.recipient_ok)
        self.donor_rows = np.flatnonzero(self.donor_ok)
        # Every field of the arrays (dtype, shape, bytes) and the parameters: blocks scored on
        # other inputs or parameters are refused by the merge.
        self._content_digest = content if content is not None else content_digest(arrays)
        self.fingerprint = self._fingerprint_with_params()
        self.pair_inputs = PairInputs(
            need_levels=self._need_int8,
            expertise_levels=kernel_array(expertise, np.int8),
            has_practice=kernel_array(self.has_practice, np.int8),
            market_fixed=kernel_array(self.market_fixed, np.int32),
            sector_fixed=kernel_array(self.sector_fixed, np.int32),
            need_total=kernel_array(self.need_total, np.float64),
            log_population=kernel_array(self.log_population, np.float64),
            give=kernel_array(self.give, np.float64),
            take=kernel_array(self.take, np.float64),
            budget=kernel_array(self.budget, np.float64),
            cofunding=kernel_array(self.cofunding, np.float64),
            cost=kernel_array(self.cost, np.float64),
            language_words=kernel_array(self.language_words, np.uint64),
            weights=kernel_array(self.weights, np.float64),
            constants=np.array(
                [
                    self.market_scale,
                    self.sector_scale * self.sector_scale,
                    self.size_denominator,
                    self.weight_sum,
                ]
            ),
        )

    def _fingerprint_with_params(self) -> np.ndarray:
        """The inputs' content digest and the parameters: equal iff both are."""
        digest = hashlib.blake2b(digest_size=16)
        params = self.params
        digest.update(repr((self.weights.tolist(), float(params.size_sigma))).encode())
        digest.update(repr((float(params.default_cost_usd), self.top_k)).encode())
        digest.update(self._content_digest)
        return np.frombuffer(digest.digest(), dtype="<u8").copy()

    def same_but_weights(self, params: ScoringParams) -> bool:
        """Whether ``params`` differ from this preparation's in the weights at most."""
        mine = self.params
        return (
            float(params.size_sigma) == float(mine.size_sigma)
            and float(params.default_cost_usd) == float(mine.default_cost_usd)
            and int(params.top_k) == self.top_k
        )

    def reweighted(self, params: ScoringParams) -> PreparedInputs:
        """These inputs under other weights, sharing every per-city array (read-only here).

        Only the weights enter nothing but the final weighted sum, so an agency's own weights
        cost no new preparation. The engine's GEMM layout depends on them: it is not shared.
        """
        if not self.same_but_weights(params):
            raise ValueError("only the weights may differ")
        other = copy.copy(self)
        other.__dict__.pop("_layouts", None)
        other.params = params
        other.weights = params.weight_vector()
        other.weight_sum = float(other.weights.sum())
        constants = self.pair_inputs.constants.copy()
        constants[3] = other.weight_sum
        other.pair_inputs = self.pair_inputs._replace(
            weights=kernel_array(other.weights, np.float64), constants=constants
        )
        other.fingerprint = other._fingerprint_with_params()
        return other

    # --- the exact formulas -------------------------------------------------------------

    def components(self, donors: np.ndarray, recipients: np.ndarray) -> np.ndarray:
        """(M, 8) float64 components of the pairs (donors[i], recipients[i]), COMPONENTS order."""
        return self.scored_pairs(donors, recipients)[0]

    def pair_tenths(
        self, donors: np.ndarray, recipients: np.ndarray, *, grouped_by_donor: bool = False
    ) -> np.ndarray:
        """The stored scores of the pairs, in tenths of a point (``grouped_by_donor``: a hint
        for the order of work, see pairs.score_tenths)."""
        return score_tenths(
            self.pair_inputs, donors, recipients, band_by_recipient=grouped_by_donor
        )

    def scored_pairs(
        self,
        donors: np.ndarray,
        recipients: np.ndarray,
        *,
        components: np.ndarray | None = None,
        tenths: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Components (M, 8) and stored scores in tenths (M,) of the pairs (compiled: pairs.py).

        ``components`` and ``tenths``, when given, receive them (see pairs.score_pairs).
        """
        return score_pairs(
            self.pair_inputs, donors, recipients, components=components, tenths=tenths
        )

    def scored_and_explained(
        self,
        donors: np.ndarray,
        recipients: np.ndarray,
        *,
        components: np.ndarray,
        tenths: np.ndarray,
        top_areas: np.ndarray,
        gives_back: np.ndarray,
    ) -> None:
        """``scored_pairs`` and ``explanations`` in one pass, into the given outputs."""
        score_and_explain(
            self.pair_inputs,
            donors,
            recipients,
            components=components,
            tenths=tenths,
            top_areas=top_areas,
            gives_back=gives_back,
        )

    def _tenths_of_columns(self, columns: np.ndarray) -> np.ndarray:
        # Σ_k w_k x_k in COMPONENTS order, / Σ_k w_k, then np.round(100 * mean, 1) in tenths:
        # the same operations for every pair, so always the same bits.
        total = columns[0] * self.weights[0]
        for k in range(1, len(COMPONENTS)):
            total = total + columns[k] * self.weights[k]
        return np.rint(100.0 * (total / self.weight_sum) * 10.0).astype(np.int64)

    def tenths(self, components: np.ndarray) -> np.ndarray:
        """The stored score in tenths of a point: score = tenths / 10 = np.round(100 * mean, 1)."""
        return self._tenths_of_columns(np.ascontiguousarray(np.asarray(components).T))

    def fits(self, donors: np.ndarray, recipients: np.ndarray) -> np.ndarray:
        """need_fit > 0: the recipient needs something in an area where the donor has expertise."""
        return any_common_bit(
            np.take(self.expertise_words, donors, axis=0),
            np.take(self.need_words, recipients, axis=0),
        )

    def explanations(
        self, donors: np.ndarray, recipients: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top areas (M, 3) int16 and gives_back (M, A) bool for the pairs (compiled: pairs.py).

        Top areas: the (up to) three largest N_r[a] E_d[a] > 0, ties to the smaller area.
        """
        return explain_pairs(self.pair_inputs, donors, recipients)


def score_from_components(components: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The stored score of components (M, 8): np.round(100 * sum_k w_k x_k / sum_k w_k, 1)."""
    weights = np.asarray(weights, dtype=np.float64)
    total = components[:, 0] * weights[0]
    for k in range(1, len(COMPONENTS)):
        total = total + components[:, k] * weights[k]
    return np.rint(100.0 * (total / weights.sum()) * 10.0) / 10.0
