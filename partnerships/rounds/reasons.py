"""Why a recipient has no partner in an assignment: structured reasons and a sentence."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum

from .eligibility import Ineligibility, PreparedRound
from .model import Assignment, CityId, Method, PairOption, RoundProblem

NAMED_DONORS = 3


class LeftOutReason(StrEnum):
    """Why a recipient is left out. Several can hold at once."""

    NO_PLACES = "no_places"  # its maximum is 0
    NO_SCORED_PAIR = "no_scored_pair"  # no donor of the round has a scored pair with it
    RULED_OUT = "ruled_out"  # the agency excluded its pairs
    OUTSIDE_AREAS = "outside_areas"  # none of its pairs serves a funded area
    TOO_EXPENSIVE = "too_expensive"  # each of its pairs costs more than the whole budget
    ZERO_SCORE = "zero_score"  # its pairs score 0
    DONORS_FULL = "donors_full"  # its donors' places go to pairs worth more (or preferred)
    NO_CAPACITY = "no_capacity"  # its donors take no new partnerships at all
    BUDGET_SPENT = "budget_spent"  # the money left is less than any of its open pairs costs
    BUDGET_REFUSED = "budget_refused"  # stable variant: the budget refused its pairs
    NOT_CHOSEN = "not_chosen"  # none of the above (an assignment not made by the solvers)


_NO_CANDIDATE_REASONS = {
    Ineligibility.EXCLUDED: (LeftOutReason.RULED_OUT, "the agency ruled out its pairs"),
    Ineligibility.OUTSIDE_AREAS: (
        LeftOutReason.OUTSIDE_AREAS,
        "none of its matches is in the round's areas",
    ),
    Ineligibility.OVER_BUDGET: (
        LeftOutReason.TOO_EXPENSIVE,
        "each of its matches costs more than the whole budget",
    ),
    Ineligibility.ZERO_SCORE: (LeftOutReason.ZERO_SCORE, "its matches score 0"),
}


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe_left_out(
    *,
    problem: RoundProblem,
    assignment: Assignment,
    prepared: PreparedRound,
    recipient_id: CityId,
    candidates: list[PairOption],
    ineligible: set[Ineligibility],
    used: Counter,
) -> tuple[tuple[LeftOutReason, ...], tuple[CityId, ...], str]:
    """(reasons, donors named, sentence) for a recipient with no partner.

    ``candidates`` are its eligible pairs, best first; ``ineligible`` why its other pairs
    cannot be chosen; ``used`` the assignment's pairs per donor.
    """
    name = problem.name_of(recipient_id)
    if problem.max_of(recipient_id) == 0:
        return (
            (LeftOutReason.NO_PLACES,),
            (),
            f"{name} is left out: the round allows it no partner.",
        )
    if not candidates:
        found = [
            _NO_CANDIDATE_REASONS[item]
            for item in Ineligibility
            if item in _NO_CANDIDATE_REASONS and item in ineligible
        ]
        if not found:
            return (
                (LeftOutReason.NO_SCORED_PAIR,),
                (),
                f"{name} is left out: no eligible donor (no scored pair).",
            )
        found_reasons = tuple(reason for reason, _ in found)
        return (
            found_reasons,
            (),
            f"{name} is left out: " + "; ".join(text for _, text in found) + ".",
        )

    budget_left = (
        None if problem.budget_usd is None else problem.budget_usd - assignment.total_cost_usd
    )
    refused = set(assignment.budget_refused)
    full: list[CityId] = []
    no_capacity: list[CityId] = []
    refused_by: list[CityId] = []
    unaffordable: list[PairOption] = []
    for option in candidates:
        donor, capacity = option.donor_id, problem.capacity_of(option.donor_id)
        if capacity == 0:
            no_capacity.append(donor)
        elif used[donor] >= capacity:
            full.append(donor)
        elif option.pair in refused:
            refused_by.append(donor)
        elif budget_left is not None and problem.cost_of(option) > budget_left:
            unaffordable.append(option)

    reasons: list[LeftOutReason] = []
    parts: list[str] = []
    if full:
        names = _listing([problem.name_of(d) for d in full[:NAMED_DONORS]])
        reasons.append(LeftOutReason.DONORS_FULL)
        if assignment.method is Method.OPTIMAL:
            parts.append(
                f"its better donors' capacity is used by pairs with higher total value ({names})"
            )
        else:
            parts.append(
                f"its donors are full with recipients they rank higher on reciprocity ({names})"
            )
    if no_capacity:
        reasons.append(LeftOutReason.NO_CAPACITY)
        names = _listing([problem.name_of(d) for d in no_capacity[:NAMED_DONORS]])
        parts.append(f"{names} can take no new partnerships")
    if unaffordable:
        reasons.append(LeftOutReason.BUDGET_SPENT)
        cheapest = min(problem.cost_of(option) for option in unaffordable)
        parts.append(
            f"the budget is spent: USD {budget_left:,} is left and its cheapest open pair "
            f"costs USD {cheapest:,}"
        )
    if refused_by:
        reasons.append(LeftOutReason.BUDGET_REFUSED)
        names = _listing([problem.name_of(d) for d in refused_by[:NAMED_DONORS]])
        parts.append(f"the budget could not take its pairs with {names}")
    if not reasons:
        reasons.append(LeftOutReason.NOT_CHOSEN)
        parts.append("the assignment did not choose any of its pairs")
    named = tuple(
        dict.fromkeys(full[:NAMED_DONORS] + no_capacity[:NAMED_DONORS] + refused_by[:NAMED_DONORS])
    )
    return tuple(reasons), named, f"{name} is left out: " + "; ".join(parts) + "."
