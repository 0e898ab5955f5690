"""Programme rounds: which donor→recipient pairs a round funds (no Django in this package).

Build a ``RoundProblem``, then:

- ``solve_optimal(problem)``: most total match score within every rule, exact (HiGHS);
- ``solve_stable(problem)``: deferred acceptance, recipients proposing by score, donors
  holding by reciprocity; ``blocking_pairs(problem, assignment)`` checks stability;
- ``compare(first, second)``: totals and the pairs where two assignments differ;
- ``explain(problem, assignment)``: why each recipient is out and what would bring it in.

Locks that cannot all hold give an ``infeasible`` assignment whose ``infeasible_reasons``
name the rule and the cities. To re-solve after the agency's edits, solve
``problem.revised(...)``.
"""

from .eligibility import Ineligibility
from .explain import Explanations, LeftOutRecipient, Remedy, RemedyKind, explain
from .model import (
    Assignment,
    ChosenPair,
    CityId,
    Constraint,
    InfeasibleReason,
    Method,
    Pair,
    PairOption,
    RoundProblem,
    Status,
)
from .reasons import LeftOutReason
from .solver import Comparison, compare, solve_optimal
from .stable import blocking_pairs, solve_stable

__all__ = [
    "Assignment",
    "ChosenPair",
    "CityId",
    "Comparison",
    "Constraint",
    "Explanations",
    "InfeasibleReason",
    "Ineligibility",
    "LeftOutReason",
    "LeftOutRecipient",
    "Method",
    "Pair",
    "PairOption",
    "Remedy",
    "RemedyKind",
    "RoundProblem",
    "Status",
    "blocking_pairs",
    "compare",
    "explain",
    "solve_optimal",
    "solve_stable",
]
