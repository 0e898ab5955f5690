"""The data of a programme round and of its solutions: plain frozen dataclasses, no Django.

The Django layer builds a ``RoundProblem`` from a programme's round (its budget, areas and
expected cost), its member donors' capacities, its applicants and the scored matches between
them, and stores or shows what the solvers return. Ids are whatever identifies a city there
(normally ``City.pk``); ids of one round should be all ints or all strings. Every ordering the
solvers use to break ties puts ints before strings, then sorts by value, so mixed ids still
give the same answer for the same input.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum

CityId = int | str
Pair = tuple[CityId, CityId]
"""A donor→recipient pair as ``(donor_id, recipient_id)``."""


def id_key(city_id: CityId) -> tuple[bool, CityId]:
    """Sort key for ids: ints first, then strings, each by value (mixed ids never compare)."""
    return (isinstance(city_id, str), city_id)


def pair_key(pair: Pair) -> tuple:
    return (id_key(pair[0]), id_key(pair[1]))


@dataclass(frozen=True, slots=True)
class PairOption:
    """One donor→recipient pair the round may fund.

    ``score`` is the match score (0–100) of the scoring run; ``None`` (or NaN) means the pair
    was not scored and can never be chosen. ``cost_usd`` is what funding the pair costs; ``None``
    falls back to the round's ``expected_cost_usd``. ``areas`` are the policy areas the pair
    would serve (its top areas). ``reciprocity`` (0–1) is what the donor gains; only the stable
    variant reads it. ``breakdown_id`` is passed through untouched to the explanations (e.g. the
    id of the ``Match`` row whose components explain the score).
    """

    donor_id: CityId
    recipient_id: CityId
    score: float | None
    cost_usd: int | None = None
    areas: frozenset[str] = frozenset()
    reciprocity: float = 0.0
    breakdown_id: object = None

    @property
    def pair(self) -> Pair:
        return (self.donor_id, self.recipient_id)

    @property
    def scored(self) -> bool:
        return self.score is not None and not math.isnan(self.score)


class Unchanged(Enum):
    """``RoundProblem.revised``'s default: the budget stays as it is (``None`` removes it)."""

    BUDGET = "unchanged"


@dataclass(frozen=True)
class RoundProblem:
    """A round: who takes part, what each pair is worth and costs, and the agency's rules.

    - ``capacity``: new partnerships each donor can take; a donor missing from it takes none.
    - ``recipient_max``: most partners per recipient, one number for all or per recipient (a
      recipient missing from the mapping gets 1).
    - ``budget_usd``: the round's money, ``None`` for no budget constraint.
    - ``expected_cost_usd``: the cost of a pair whose ``cost_usd`` is ``None``.
    - ``areas``: the policy areas the round funds, ``None`` for all; a pair is eligible only if
      one of its areas is funded.
    - ``locked``: pairs the agency decided on (always chosen); ``excluded``: pairs it ruled out.
    - ``names``: display names for the sentences of reasons and explanations.

    Sequences and sets may be given as any iterables; they are stored as tuples and frozensets.
    A pair listed twice, naming a city that is not in the round, or (with a budget) scored but
    with no cost and no expected cost, raises ``ValueError``.
    Use ``revised`` to change locks, exclusions, capacities or the budget and solve again.
    """

    recipients: tuple[CityId, ...]
    donors: tuple[CityId, ...]
    pairs: tuple[PairOption, ...]
    capacity: Mapping[CityId, int]
    recipient_max: int | Mapping[CityId, int] = 1
    budget_usd: int | None = None
    expected_cost_usd: int | None = None
    areas: frozenset[str] | None = None
    locked: frozenset[Pair] = frozenset()
    excluded: frozenset[Pair] = frozenset()
    names: Mapping[CityId, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_field = object.__setattr__  # frozen: normalise the inputs once, here
        set_field(self, "recipients", tuple(self.recipients))
        set_field(self, "donors", tuple(self.donors))
        set_field(self, "pairs", tuple(self.pairs))
        set_field(self, "locked", frozenset(tuple(pair) for pair in self.locked))
        set_field(self, "excluded", frozenset(tuple(pair) for pair in self.excluded))
        if self.areas is not None:
            set_field(self, "areas", frozenset(self.areas))
        self._validate()

    def _validate(self) -> None:
        recipient_set, donor_set = set(self.recipients), set(self.donors)
        if len(recipient_set) != len(self.recipients) or len(donor_set) != len(self.donors):
            raise ValueError("a city is listed twice among the recipients or the donors")
        seen: set[Pair] = set()
        for option in self.pairs:
            if option.donor_id not in donor_set or option.recipient_id not in recipient_set:
                raise ValueError(f"pair {option.pair} names a city that is not in the round")
            if option.pair in seen:
                raise ValueError(f"pair {option.pair} is listed twice")
            seen.add(option.pair)
            # Only a pair that can be chosen needs a cost; an unscored one never is.
            no_cost = option.cost_usd is None and self.expected_cost_usd is None
            if self.budget_usd is not None and no_cost and option.scored:
                raise ValueError(f"pair {option.pair} has no cost and the round no expected cost")
        if any(value < 0 for value in self.capacity.values()):
            raise ValueError("a capacity is negative")
        maxima = (
            [self.recipient_max]
            if isinstance(self.recipient_max, int)
            else self.recipient_max.values()
        )
        if any(value < 0 for value in maxima):
            raise ValueError("a recipient maximum is negative")
        if self.budget_usd is not None and self.budget_usd < 0:
            raise ValueError("the budget is negative")

    def name_of(self, city_id: CityId) -> str:
        return self.names.get(city_id, str(city_id))

    def capacity_of(self, donor_id: CityId) -> int:
        return self.capacity.get(donor_id, 0)

    def max_of(self, recipient_id: CityId) -> int:
        if isinstance(self.recipient_max, int):
            return self.recipient_max
        return self.recipient_max.get(recipient_id, 1)

    def cost_of(self, option: PairOption) -> int:
        if option.cost_usd is not None:
            return option.cost_usd
        return self.expected_cost_usd or 0

    def pair_label(self, pair: Pair) -> str:
        return f"{self.name_of(pair[0])} → {self.name_of(pair[1])}"

    def revised(
        self,
        *,
        lock: Iterable[Pair] = (),
        unlock: Iterable[Pair] = (),
        exclude: Iterable[Pair] = (),
        readmit: Iterable[Pair] = (),
        capacity: Mapping[CityId, int] | None = None,
        budget_usd: int | None | Unchanged = Unchanged.BUDGET,
    ) -> RoundProblem:
        """The same round after the agency's edits, ready to solve again.

        ``lock``/``unlock`` add and remove locks, ``exclude``/``readmit`` rule pairs out and
        back in (a swap is an unlock plus a lock), ``capacity`` overrides some donors'
        capacities, and ``budget_usd`` (``None`` included) replaces the budget when given.
        """
        return dataclasses.replace(
            self,
            locked=(self.locked - frozenset(unlock)) | frozenset(lock),
            excluded=(self.excluded - frozenset(readmit)) | frozenset(exclude),
            capacity={**self.capacity, **capacity} if capacity else self.capacity,
            budget_usd=self.budget_usd if isinstance(budget_usd, Unchanged) else budget_usd,
        )


class Method(StrEnum):
    OPTIMAL = "optimal"
    STABLE = "stable"


class Status(StrEnum):
    OPTIMAL = "optimal"
    STABLE = "stable"
    INFEASIBLE = "infeasible"


class Constraint(StrEnum):
    """What a set of locks breaks."""

    DONOR_CAPACITY = "donor_capacity"
    RECIPIENT_MAX = "recipient_max"
    BUDGET = "budget"
    AREAS = "areas"
    EXCLUDED = "excluded"
    UNSCORED = "unscored"
    NOT_IN_ROUND = "not_in_round"


@dataclass(frozen=True)
class InfeasibleReason:
    """Why the locked pairs alone cannot all be funded.

    ``pairs`` are the locks involved, ``city_id`` the donor or recipient whose limit they
    exceed (capacity, maximum), ``limit`` the limit (capacity, maximum or budget in USD) and
    ``required`` what the locks need; ``message`` says it in a sentence with the names.
    """

    constraint: Constraint
    pairs: tuple[Pair, ...]
    message: str
    city_id: CityId | None = None
    limit: int | None = None
    required: int | None = None


@dataclass(frozen=True)
class ChosenPair:
    donor_id: CityId
    recipient_id: CityId
    score: float
    cost_usd: int
    locked: bool
    breakdown_id: object = None

    @property
    def pair(self) -> Pair:
        return (self.donor_id, self.recipient_id)


@dataclass(frozen=True)
class Assignment:
    """A solution of a round: the chosen pairs, best score first, and what they add up to.

    ``status`` is ``infeasible`` (no pairs, see ``infeasible_reasons``) when the locks alone
    break a rule. ``budget_refused`` (stable variant only) lists the pairs the budget kept out
    of deferred acceptance; ``budget_bound`` says whether the budget changed the outcome.
    """

    method: Method
    status: Status
    pairs: tuple[ChosenPair, ...]
    total_score: float
    total_cost_usd: int
    infeasible_reasons: tuple[InfeasibleReason, ...] = ()
    budget_bound: bool = False
    budget_refused: tuple[Pair, ...] = ()

    @property
    def feasible(self) -> bool:
        return self.status is not Status.INFEASIBLE

    @property
    def pair_set(self) -> frozenset[Pair]:
        return frozenset(chosen.pair for chosen in self.pairs)

    def recipients_included(self) -> frozenset[CityId]:
        return frozenset(chosen.recipient_id for chosen in self.pairs)


def build_assignment(
    *,
    problem: RoundProblem,
    method: Method,
    options: Iterable[PairOption],
    budget_bound: bool = False,
    budget_refused: Iterable[Pair] = (),
) -> Assignment:
    chosen = sorted(
        (
            ChosenPair(
                donor_id=option.donor_id,
                recipient_id=option.recipient_id,
                score=float(option.score or 0.0),
                cost_usd=problem.cost_of(option),
                locked=option.pair in problem.locked,
                breakdown_id=option.breakdown_id,
            )
            for option in options
        ),
        key=lambda item: (-item.score, pair_key(item.pair)),
    )
    return Assignment(
        method=method,
        status=Status.OPTIMAL if method is Method.OPTIMAL else Status.STABLE,
        pairs=tuple(chosen),
        # Summed best score first, so equal sets give bit-identical totals.
        total_score=math.fsum(item.score for item in chosen),
        total_cost_usd=sum(item.cost_usd for item in chosen),
        budget_bound=budget_bound,
        budget_refused=tuple(sorted(budget_refused, key=pair_key)),
    )


def infeasible_assignment(*, method: Method, reasons: Iterable[InfeasibleReason]) -> Assignment:
    return Assignment(
        method=method,
        status=Status.INFEASIBLE,
        pairs=(),
        total_score=0.0,
        total_cost_usd=0,
        infeasible_reasons=tuple(reasons),
    )
