"""The optimal assignment of a round: most total match score within every rule, solved exactly.

Method, and why
---------------
One binary variable per candidate pair; a row per donor (its free capacity), per recipient (its
free places) and, when there is a budget, one for the money; locked pairs are taken out first
and reduce those right-hand sides.

1. HiGHS solves the LP relaxation (``scipy.optimize.linprog``). Without a budget the matrix is
   the incidence matrix of a bipartite graph, which is totally unimodular, so the simplex
   vertex HiGHS returns is already integral and optimal: a b-matching needs no branching. (The
   Hungarian ``linear_sum_assignment`` would need one column per capacity slot, breaks when a
   recipient may take two partners from a donor with two slots, and the LP is fast enough.)
2. With a budget the LP has a few fractional pairs. Rounding them and filling greedily by
   score gives a feasible solution; every pair at a bound whose reduced cost would take the
   LP bound below that solution can be fixed at its LP value (no optimum differs there). The
   pairs left go to ``scipy.optimize.milp`` with a zero gap. When every pair costs the
   expected cost the budget only caps the number of pairs and the LP stays integral; with
   per-pair costs unrelated to the scores the budget is a real knapsack, and proving the
   optimum can take seconds on a 200 × 50 round (see bench/rounds.py).

The model lists the pairs in the canonical order (score descending, donor id, recipient id)
and HiGHS is deterministic, so the same round gives the same assignment, whatever the order
of its input lists; among equally good assignments the one HiGHS reaches from that order wins.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_array

from .eligibility import PreparedRound, lock_conflicts, prepare
from .model import (
    Assignment,
    ChosenPair,
    CityId,
    Method,
    Pair,
    RoundProblem,
    build_assignment,
    infeasible_assignment,
    pair_key,
)

_AT_BOUND = 1e-6


@dataclass
class LpCertificate:
    """The LP relaxation's bound and prices, which bound any re-solve with more resources.

    For any change of capacities or budget, the LP bound of the new round is at most
    ``bound + Σ capacity_price[d] · extra capacity + budget_price · extra USD``; forcing a
    candidate pair into the solution lowers it by at least that pair's ``reduced_cost``.
    """

    bound: float
    capacity_price: dict[CityId, float]
    budget_price: float
    reduced_cost: np.ndarray


@dataclass
class OptimalDetail:
    prepared: PreparedRound
    assignment: Assignment
    certificate: LpCertificate | None


@dataclass
class _Model:
    scores: np.ndarray
    matrix: csr_array
    upper: np.ndarray
    donor_rows: dict[CityId, int]
    budget_row: int | None
    cost_scale: float


def _build_model(prepared: PreparedRound) -> _Model:
    """Rows: donors, then recipients, then the budget (scaled to typical pair costs)."""
    problem, candidates = prepared.problem, prepared.candidates
    donor_rows: dict[CityId, int] = {}
    recipient_rows: dict[CityId, int] = {}
    for option in candidates:
        donor_rows.setdefault(option.donor_id, len(donor_rows))
    for option in candidates:
        recipient_rows.setdefault(option.recipient_id, len(donor_rows) + len(recipient_rows))
    n = len(candidates)
    columns = np.arange(n)
    rows = [
        np.fromiter((donor_rows[o.donor_id] for o in candidates), dtype=np.int64, count=n),
        np.fromiter((recipient_rows[o.recipient_id] for o in candidates), dtype=np.int64, count=n),
    ]
    values = [np.ones(n), np.ones(n)]
    upper = [float(prepared.free_capacity(d)) for d in donor_rows]
    upper += [float(prepared.free_places(r)) for r in recipient_rows]
    budget_row, cost_scale = None, 1.0
    budget_left = prepared.budget_left_after_locks()
    if budget_left is not None:
        costs = np.array([problem.cost_of(option) for option in candidates], dtype=np.float64)
        # HiGHS's tolerances are absolute: costs in USD (1e4–1e7) against 0/1 rows would make
        # the budget row badly scaled, so it is expressed in units of a typical pair cost.
        positive = costs[costs > 0]
        cost_scale = float(np.median(positive)) if positive.size else 1.0
        budget_row = len(upper)
        rows.append(np.full(n, budget_row))
        values.append(costs / cost_scale)
        upper.append(budget_left / cost_scale)
    matrix = csr_array(
        (np.concatenate(values), (np.concatenate(rows), np.tile(columns, len(rows)))),
        shape=(len(upper), n),
    )
    # Candidates are eligible pairs: every one has a score.
    scores = np.array([float(option.score or 0.0) for option in candidates], dtype=np.float64)
    return _Model(
        scores=scores,
        matrix=matrix,
        upper=np.array(upper),
        donor_rows=donor_rows,
        budget_row=budget_row,
        cost_scale=cost_scale,
    )


def _greedy_fill(model: _Model, order: np.ndarray) -> np.ndarray:
    """Take the pairs in ``order`` while they fit: a feasible solution to start from."""
    chosen = np.zeros(model.scores.size, dtype=bool)
    slack = model.upper.tolist()
    # Plain lists: per pair a few float comparisons, far cheaper than numpy calls.
    matrix = model.matrix.tocsc()
    indptr, indices, data = matrix.indptr.tolist(), matrix.indices.tolist(), matrix.data.tolist()
    for column in order.tolist():
        entries = range(indptr[column], indptr[column + 1])
        if all(slack[indices[k]] - data[k] >= -1e-9 for k in entries):
            for k in entries:
                slack[indices[k]] -= data[k]
            chosen[column] = True
    return chosen


def _incumbent(model: _Model, x: np.ndarray) -> np.ndarray:
    """A good feasible solution near the LP vertex.

    With one budget row the vertex is a mix θ·M1 + (1-θ)·M2 of two integral b-matchings, its
    fractional pairs taking the values θ and 1-θ; one of M1, M2 is within budget. Greedy in
    order of LP value, then score, rebuilds the side with the larger weight; the reverse
    order of the fractional pairs the other one. The better of the two, filled up by score.
    """
    index = np.arange(x.size)  # pairs are already best score first
    fractional = (x > _AT_BOUND) & (x < 1 - _AT_BOUND)
    rank = np.where(fractional, 1 - x, np.where(x >= 1 - _AT_BOUND, 0.0, 2.0))
    reverse = np.where(fractional, x, rank)
    fills = [_greedy_fill(model, np.lexsort((index, key))) for key in (rank, reverse)]
    return max(fills, key=lambda chosen: float(model.scores[chosen].sum()))


def _integral_scale(scores: np.ndarray) -> float:
    """10**k making every score whole, when k ≤ 3 does (scores are stored to 0.1 point).

    HiGHS then knows the objective is integral and stops once its bound is within one unit
    of its best solution instead of closing the gap to 1e-6; the optimum is the same.
    """
    for scale in (1.0, 10.0, 100.0, 1000.0):
        scaled = scores * scale
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * scale):
            return scale
    return 1.0


def _solve_model(model: _Model) -> tuple[np.ndarray, LpCertificate]:
    """The optimal 0/1 choice of candidates, and the LP certificate."""
    # The dual simplex is fastest on the pure b-matching; with the dense budget row it stalls
    # on big rounds (23 s at 1,000 × 200) where the interior point method takes 2 s.
    method = "highs-ds" if model.budget_row is None else "highs-ipm"
    relaxed = linprog(
        -model.scores, A_ub=model.matrix, b_ub=model.upper, bounds=(0, 1), method=method
    )
    if relaxed.status != 0:  # not expected: x = 0 is feasible and the LP is bounded
        raise RuntimeError(f"the LP relaxation failed: {relaxed.message}")
    x = relaxed.x
    prices = -relaxed.ineqlin.marginals
    at_zero, at_one = x <= _AT_BOUND, x >= 1 - _AT_BOUND
    reduced_cost = np.where(at_zero, np.maximum(relaxed.lower.marginals, 0.0), 0.0)
    certificate = LpCertificate(
        bound=-relaxed.fun,
        capacity_price={d: max(float(prices[row]), 0.0) for d, row in model.donor_rows.items()},
        budget_price=(
            max(float(prices[model.budget_row]), 0.0) / model.cost_scale
            if model.budget_row is not None
            else 0.0
        ),
        reduced_cost=reduced_cost,
    )
    if np.all(at_zero | at_one):
        return at_one, certificate

    incumbent = _incumbent(model, x)
    incumbent_value = float(model.scores[incumbent].sum())
    tolerance = 1e-6 * max(1.0, abs(certificate.bound))
    penalty = np.where(at_zero, reduced_cost, np.where(at_one, -relaxed.upper.marginals, 0.0))
    fixed = (at_zero | at_one) & (certificate.bound - np.abs(penalty) < incumbent_value - tolerance)
    free = np.flatnonzero(~fixed)
    fixed_on = fixed & at_one
    rest = model.upper - model.matrix @ fixed_on.astype(np.float64)
    sub = model.matrix[:, free]
    result = milp(
        -model.scores[free] * _integral_scale(model.scores[free]),
        integrality=np.ones(free.size),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(sub, -np.inf, rest),
        options={"mip_rel_gap": 0.0},
    )
    if result.status != 0 or result.x is None:
        raise RuntimeError(f"the MILP failed: {result.message}")
    chosen = fixed_on.copy()
    chosen[free] = result.x > 0.5
    if float(model.scores[chosen].sum()) < incumbent_value:  # cannot happen; be safe anyway
        chosen = incumbent
    return chosen, certificate


def _check(prepared: PreparedRound, pairs: list) -> None:
    """Recount the solution with exact integers: a tolerance slip must never reach the agency."""
    problem = prepared.problem
    per_donor = Counter(option.donor_id for option in pairs)
    per_recipient = Counter(option.recipient_id for option in pairs)
    if any(count > problem.capacity_of(d) for d, count in per_donor.items()) or any(
        count > problem.max_of(r) for r, count in per_recipient.items()
    ):
        raise RuntimeError("the solver exceeded a capacity or a recipient maximum")
    spent = sum(problem.cost_of(option) for option in pairs)
    if problem.budget_usd is not None and spent > problem.budget_usd:
        raise RuntimeError("the solver exceeded the budget")


def solve_optimal_detail(problem: RoundProblem) -> OptimalDetail:
    """``solve_optimal`` plus what the explanations reuse (the prepared round, LP prices)."""
    prepared = prepare(problem)
    conflicts = lock_conflicts(prepared)
    if conflicts:
        return OptimalDetail(
            prepared=prepared,
            assignment=infeasible_assignment(method=Method.OPTIMAL, reasons=conflicts),
            certificate=None,
        )
    certificate = None
    pairs = list(prepared.locked_options)
    if prepared.candidates:
        model = _build_model(prepared)
        chosen, certificate = _solve_model(model)
        pairs += [prepared.candidates[i] for i in np.flatnonzero(chosen)]
    _check(prepared, pairs)
    assignment = build_assignment(problem=problem, method=Method.OPTIMAL, options=pairs)
    return OptimalDetail(prepared=prepared, assignment=assignment, certificate=certificate)


def solve_optimal(problem: RoundProblem) -> Assignment:
    """The assignment of most total match score within every rule of the round.

    Rules: each donor's capacity, each recipient's maximum, the budget (sum of pair costs), the
    round's areas, locks (always chosen) and exclusions (never); unscored pairs are never
    chosen. When the locks alone break a rule the result is ``infeasible`` and its
    ``infeasible_reasons`` say which rule and which cities. Exact; same input, same output.
    """
    return solve_optimal_detail(problem).assignment


@dataclass(frozen=True)
class Comparison:
    """Two assignments of one round side by side (e.g. optimal against stable)."""

    first_total_score: float
    second_total_score: float
    first_total_cost_usd: int
    second_total_cost_usd: int
    only_in_first: tuple[ChosenPair, ...]
    only_in_second: tuple[ChosenPair, ...]
    in_both: tuple[Pair, ...]

    @property
    def score_difference(self) -> float:
        """First minus second."""
        return self.first_total_score - self.second_total_score


def compare(first: Assignment, second: Assignment) -> Comparison:
    """Totals of both assignments and the pairs where they differ."""
    first_pairs, second_pairs = first.pair_set, second.pair_set
    return Comparison(
        first_total_score=first.total_score,
        second_total_score=second.total_score,
        first_total_cost_usd=first.total_cost_usd,
        second_total_cost_usd=second.total_cost_usd,
        only_in_first=tuple(c for c in first.pairs if c.pair not in second_pairs),
        only_in_second=tuple(c for c in second.pairs if c.pair not in first_pairs),
        in_both=tuple(sorted(first_pairs & second_pairs, key=pair_key)),
    )
