"""Which pairs a round may fund, and whether the agency's locks can all be honoured.

Both solvers start here: ``prepare`` sorts the eligible pairs into the canonical order that
makes every solution deterministic, and ``lock_conflicts`` lists, in plain words, every rule
the locked pairs break on their own. When it finds none, the locked pairs alone are a feasible
solution (every rule is an upper bound or a per-pair condition), so the solvers never meet an
infeasible model.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from .model import (
    CityId,
    Constraint,
    InfeasibleReason,
    Pair,
    PairOption,
    RoundProblem,
    id_key,
    pair_key,
)


class Ineligibility(StrEnum):
    """Why a single pair can never be chosen (unless the agency locks it)."""

    UNSCORED = "unscored"
    ZERO_SCORE = "zero_score"
    EXCLUDED = "excluded"
    OUTSIDE_AREAS = "outside_areas"
    OVER_BUDGET = "over_budget"


def pair_ineligibility(problem: RoundProblem, option: PairOption) -> Ineligibility | None:
    """The first rule that keeps ``option`` out of every solution, or ``None`` if eligible.

    A pair scoring 0 (or less) adds nothing to the total, so it is never chosen unless locked;
    a pair costing more than the whole budget can never fit.
    """
    if not option.scored:
        return Ineligibility.UNSCORED
    if option.pair in problem.excluded:
        return Ineligibility.EXCLUDED
    if problem.areas is not None and not (option.areas & problem.areas):
        return Ineligibility.OUTSIDE_AREAS
    if problem.budget_usd is not None and problem.cost_of(option) > problem.budget_usd:
        return Ineligibility.OVER_BUDGET
    if option.score <= 0:  # type: ignore[operator]  # scored: not None
        return Ineligibility.ZERO_SCORE
    return None


def canonical_order(option: PairOption) -> tuple:
    """Best score first, then donor id, then recipient id: the order all ties follow."""
    return (-float(option.score or 0.0), pair_key(option.pair))


@dataclass
class PreparedRound:
    """The round's pairs sorted out: candidates to choose from and the locked pairs."""

    problem: RoundProblem
    candidates: list[PairOption]
    locked_options: list[PairOption]
    option_by_pair: dict[Pair, PairOption]
    ineligible: dict[Pair, Ineligibility]
    locked_per_donor: Counter = field(default_factory=Counter)
    locked_per_recipient: Counter = field(default_factory=Counter)
    locked_cost_usd: int = 0

    def free_capacity(self, donor_id: CityId) -> int:
        return self.problem.capacity_of(donor_id) - self.locked_per_donor[donor_id]

    def free_places(self, recipient_id: CityId) -> int:
        return self.problem.max_of(recipient_id) - self.locked_per_recipient[recipient_id]

    def budget_left_after_locks(self) -> int | None:
        if self.problem.budget_usd is None:
            return None
        return self.problem.budget_usd - self.locked_cost_usd


def prepare(problem: RoundProblem) -> PreparedRound:
    """Split the round's pairs into candidates (canonical order), locked pairs and the rest."""
    option_by_pair = {option.pair: option for option in problem.pairs}
    candidates: list[PairOption] = []
    locked_options: list[PairOption] = []
    ineligible: dict[Pair, Ineligibility] = {}
    for option in problem.pairs:
        if option.pair in problem.locked:
            locked_options.append(option)
            continue
        reason = pair_ineligibility(problem, option)
        if reason is None:
            candidates.append(option)
        else:
            ineligible[option.pair] = reason
    keys = {city: id_key(city) for city in (*problem.donors, *problem.recipients)}

    def order(option: PairOption) -> tuple:  # canonical_order, with each id's key made once
        return (-float(option.score or 0.0), keys[option.donor_id], keys[option.recipient_id])

    candidates.sort(key=order)
    locked_options.sort(key=order)
    prepared = PreparedRound(
        problem=problem,
        candidates=candidates,
        locked_options=locked_options,
        option_by_pair=option_by_pair,
        ineligible=ineligible,
    )
    for option in locked_options:
        prepared.locked_per_donor[option.donor_id] += 1
        prepared.locked_per_recipient[option.recipient_id] += 1
        prepared.locked_cost_usd += problem.cost_of(option)
    return prepared


def _names(problem: RoundProblem, pairs: list[Pair]) -> str:
    labels = [problem.pair_label(pair) for pair in pairs]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _per_pair_conflicts(prepared: PreparedRound) -> list[InfeasibleReason]:
    problem = prepared.problem
    reasons: list[InfeasibleReason] = []
    donors, recipients = set(problem.donors), set(problem.recipients)
    for pair in sorted(problem.locked, key=pair_key):
        label = problem.pair_label(pair)
        option = prepared.option_by_pair.get(pair)
        if pair[0] not in donors or pair[1] not in recipients:
            reasons.append(
                InfeasibleReason(
                    constraint=Constraint.NOT_IN_ROUND,
                    pairs=(pair,),
                    message=f"{label} is locked, but that donor or recipient is not in the round.",
                )
            )
        elif option is None or not option.scored:
            reasons.append(
                InfeasibleReason(
                    constraint=Constraint.UNSCORED,
                    pairs=(pair,),
                    message=f"{label} is locked, but the pair has no match score.",
                )
            )
        if pair in problem.excluded:
            reasons.append(
                InfeasibleReason(
                    constraint=Constraint.EXCLUDED,
                    pairs=(pair,),
                    message=f"{label} is both locked and ruled out.",
                )
            )
        if option is not None and problem.areas is not None and not (option.areas & problem.areas):
            funded = ", ".join(sorted(problem.areas)) or "none"
            served = ", ".join(sorted(option.areas)) or "none"
            reasons.append(
                InfeasibleReason(
                    constraint=Constraint.AREAS,
                    pairs=(pair,),
                    message=(
                        f"{label} is locked, but it serves {served} and the round funds "
                        f"only {funded}."
                    ),
                )
            )
    return reasons


def lock_conflicts(prepared: PreparedRound) -> list[InfeasibleReason]:
    """Every rule the locked pairs break on their own, each naming the parties; empty if none."""
    problem = prepared.problem
    reasons = _per_pair_conflicts(prepared)
    by_donor: dict[CityId, list[Pair]] = defaultdict(list)
    by_recipient: dict[CityId, list[Pair]] = defaultdict(list)
    for pair in sorted(problem.locked, key=pair_key):
        by_donor[pair[0]].append(pair)
        by_recipient[pair[1]].append(pair)
    for donor_id in sorted(by_donor, key=id_key):
        pairs, capacity = by_donor[donor_id], problem.capacity_of(donor_id)
        if len(pairs) > capacity:
            reasons.append(
                InfeasibleReason(
                    constraint=Constraint.DONOR_CAPACITY,
                    pairs=tuple(pairs),
                    city_id=donor_id,
                    limit=capacity,
                    required=len(pairs),
                    message=(
                        f"{problem.name_of(donor_id)} can take {capacity} new partnership(s), "
                        f"but {len(pairs)} are locked: {_names(problem, pairs)}."
                    ),
                )
            )
    for recipient_id in sorted(by_recipient, key=id_key):
        pairs, most = by_recipient[recipient_id], problem.max_of(recipient_id)
        if len(pairs) > most:
            reasons.append(
                InfeasibleReason(
                    constraint=Constraint.RECIPIENT_MAX,
                    pairs=tuple(pairs),
                    city_id=recipient_id,
                    limit=most,
                    required=len(pairs),
                    message=(
                        f"{problem.name_of(recipient_id)} may have {most} partner(s), "
                        f"but {len(pairs)} are locked: {_names(problem, pairs)}."
                    ),
                )
            )
    budget = problem.budget_usd
    if budget is not None and prepared.locked_cost_usd > budget:
        pairs = [
            option.pair
            for option in sorted(prepared.locked_options, key=lambda o: pair_key(o.pair))
        ]
        reasons.append(
            InfeasibleReason(
                constraint=Constraint.BUDGET,
                pairs=tuple(pairs),
                limit=budget,
                required=prepared.locked_cost_usd,
                message=(
                    f"The locked pairs cost USD {prepared.locked_cost_usd:,} together, more than "
                    f"the round's budget of USD {budget:,}: {_names(problem, pairs)}."
                ),
            )
        )
    return reasons
