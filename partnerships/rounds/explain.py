"""Why each recipient is in or out of an assignment, and what would bring it in.

Reasons are read off the assignment: a left-out recipient's candidate pairs are each stopped
by a full donor or by the money left (for the optimal solver nothing else can stop them: a
pair with room on both sides and in the budget would raise the total). Remedies are checked by
solving the round again with one change, with the solver that made the assignment:

- capacity: raise one of the recipient's ``top_donors`` best donors by 1, 2, … up to
  ``max_capacity_raise``. One solve per (donor, raise) answers for every left-out recipient at
  once, raises go up only when every donor was tried at the lower one, so the raise reported
  is the smallest that includes the recipient, among those donors.
- budget: solved once without a budget to see who money alone can bring in, then on a ladder
  of budgets, each solve again answering for all.

The optimal solver's LP prices bound what a change can do (``LpCertificate``): a recipient
whose best reduced cost exceeds what the change adds to the LP bound cannot enter, so most
solves are skipped, and the lowest budget that bound allows is tried first: a recipient that
enters there is reported with the least budget that includes it (``least=True``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from .eligibility import Ineligibility, PreparedRound, prepare
from .model import (
    Assignment,
    ChosenPair,
    CityId,
    Method,
    PairOption,
    RoundProblem,
    id_key,
)
from .reasons import LeftOutReason, describe_left_out
from .solver import LpCertificate, OptimalDetail, solve_optimal_detail
from .stable import recipient_rank, solve_stable


class RemedyKind(StrEnum):
    CAPACITY = "capacity"
    BUDGET = "budget"


@dataclass(frozen=True)
class Remedy:
    """One change that, solved again, includes the recipient.

    ``capacity`` is the donor's new capacity (kind ``capacity``), ``budget_usd`` the new budget
    (kind ``budget``). ``least`` says no smaller change of that kind includes it (for capacity:
    among the donors tried; for budget: proven by the LP bound).
    """

    kind: RemedyKind
    message: str
    least: bool
    donor_id: CityId | None = None
    capacity: int | None = None
    budget_usd: int | None = None


@dataclass(frozen=True)
class LeftOutRecipient:
    """A recipient with no partner: why, in data and in a sentence, and what would change it.

    ``donor_ids`` are the donors the reasons name (full donors, best first).
    """

    recipient_id: CityId
    reasons: tuple[LeftOutReason, ...]
    donor_ids: tuple[CityId, ...]
    message: str
    remedies: tuple[Remedy, ...]


@dataclass(frozen=True)
class Explanations:
    """Chosen pairs (score, cost and breakdown id of each) and the left-out recipients."""

    chosen: tuple[ChosenPair, ...]
    left_out: tuple[LeftOutRecipient, ...]
    solves: int

    def for_recipient(self, recipient_id: CityId) -> LeftOutRecipient | None:
        return next((item for item in self.left_out if item.recipient_id == recipient_id), None)


Screen = Callable[[CityId, float], bool]


@dataclass
class _Context:
    problem: RoundProblem
    assignment: Assignment
    prepared: PreparedRound
    resolve: Callable[[RoundProblem], Assignment]
    certificate: LpCertificate | None
    candidates_of: dict[CityId, list[PairOption]]
    best_reduced_cost: dict[CityId, float]
    optimum_after_locks: float = 0.0
    solves: int = 0

    def included_after(self, problem: RoundProblem) -> frozenset[CityId]:
        self.solves += 1
        return self.resolve(problem).recipients_included()

    def could_enter(self, recipient_id: CityId, extra_bound: float) -> bool:
        """False when the LP bound proves the recipient cannot be in the new optimum."""
        if self.certificate is None:
            return True
        room = self.certificate.bound + extra_bound - self.optimum_after_locks
        slack = 1e-6 * max(1.0, abs(self.certificate.bound))
        return self.best_reduced_cost[recipient_id] <= room + slack


def _context(
    problem: RoundProblem, assignment: Assignment, detail: OptimalDetail | None = None
) -> _Context:
    optimum_after_locks = 0.0
    if assignment.method is Method.OPTIMAL:
        detail = detail if detail is not None else solve_optimal_detail(problem)
        prepared, certificate = detail.prepared, detail.certificate
        resolve: Callable[[RoundProblem], Assignment] = _optimal_assignment
        # The LP covers the pairs left after the locks, so the bounds compare with the
        # optimum of those pairs: any change of capacity or budget can only raise it.
        optimum = detail.assignment
        optimum_after_locks = math.fsum(c.score for c in optimum.pairs if not c.locked)
    else:
        prepared, certificate, resolve = prepare(problem), None, solve_stable
    candidates_of: dict[CityId, list[PairOption]] = defaultdict(list)
    best_reduced_cost: dict[CityId, float] = {}
    for index, option in enumerate(prepared.candidates):
        candidates_of[option.recipient_id].append(option)
        if certificate is not None:
            cost = float(certificate.reduced_cost[index])
            best_reduced_cost[option.recipient_id] = min(
                cost, best_reduced_cost.get(option.recipient_id, math.inf)
            )
    for options in candidates_of.values():
        options.sort(key=recipient_rank)
    return _Context(
        problem=problem,
        assignment=assignment,
        prepared=prepared,
        resolve=resolve,
        certificate=certificate,
        candidates_of=candidates_of,
        best_reduced_cost=best_reduced_cost,
        optimum_after_locks=optimum_after_locks,
    )


def _optimal_assignment(problem: RoundProblem) -> Assignment:
    return solve_optimal_detail(problem).assignment


def _capacity_remedies(
    context: _Context, pending: list[CityId], *, top_donors: int, max_raise: int, max_solves: int
) -> dict[CityId, Remedy]:
    """The smallest raise of one of each recipient's top donors that includes it.

    Raises go up level by level. Within a level, donors that may serve the most recipients
    are solved first until ``max_solves`` is spent; a recipient goes on to the next level only
    if every one of its top donors was tried at this one, so what is reported is the smallest.
    """
    problem, certificate = context.problem, context.certificate
    top = {r: [o.donor_id for o in context.candidates_of[r][:top_donors]] for r in pending}
    found: dict[CityId, Remedy] = {}
    searching = set(pending)
    solves_left = max_solves
    for raise_by in range(1, max_raise + 1):
        wanted: dict[CityId, list[CityId]] = defaultdict(list)
        for recipient in sorted(searching, key=id_key):
            for donor in top[recipient]:
                price = certificate.capacity_price.get(donor, 0.0) if certificate else 0.0
                if context.could_enter(recipient, raise_by * price):
                    wanted[donor].append(recipient)
        tried: set[CityId] = set()
        entered: dict[CityId, list[CityId]] = defaultdict(list)
        for donor in sorted(wanted, key=lambda d: (-len(wanted[d]), id_key(d))):
            if solves_left <= 0:
                break
            solves_left -= 1
            tried.add(donor)
            new_capacity = problem.capacity_of(donor) + raise_by
            included = context.included_after(problem.revised(capacity={donor: new_capacity}))
            for recipient in wanted[donor]:
                if recipient in included:
                    entered[recipient].append(donor)
        for recipient, donors in entered.items():
            donor = min(donors, key=top[recipient].index)  # its favourite among those that work
            new_capacity = problem.capacity_of(donor) + raise_by
            found[recipient] = Remedy(
                kind=RemedyKind.CAPACITY,
                donor_id=donor,
                capacity=new_capacity,
                least=True,
                message=(
                    f"Raise {problem.name_of(donor)}'s capacity to {new_capacity} to include "
                    f"{problem.name_of(recipient)}."
                ),
            )
        searching = {
            r
            for r in searching
            if r not in found and all(d in tried or r not in wanted[d] for d in top[r])
        }
        if not searching or solves_left <= 0:
            break
    return found


def _budget_remedies(
    context: _Context, pending: list[CityId], *, max_solves: int
) -> dict[CityId, Remedy]:
    problem, certificate = context.problem, context.certificate
    budget = problem.budget_usd
    if budget is None or not pending or max_solves <= 0:
        return {}
    unlimited = context.resolve(problem.revised(budget_usd=None))
    context.solves += 1
    reachable = [r for r in pending if r in unlimited.recipients_included()]
    costs = sorted(problem.cost_of(o) for r in reachable for o in context.candidates_of[r])
    step = max(1, costs[len(costs) // 2]) if costs else 1
    left = budget - context.assignment.total_cost_usd
    # Where one of its pairs first fits in the money left: the rung to try after the LP bound.
    affordable = {
        r: budget + max(1, min(problem.cost_of(o) for o in context.candidates_of[r]) - left)
        for r in reachable
    }
    lowest: dict[CityId, int] = {}
    exact: dict[CityId, bool] = {}
    for recipient in reachable:
        lowest[recipient], exact[recipient] = budget + 1, False
        if certificate is not None and certificate.budget_price > 0:
            gap = certificate.bound - context.optimum_after_locks
            needed = (context.best_reduced_cost[recipient] - gap) / certificate.budget_price
            lowest[recipient] = budget + max(1, math.ceil(needed - 1e-9))
            exact[recipient] = True
    found: dict[CityId, Remedy] = {}
    waiting = set(reachable)

    def record(recipient: CityId, new_budget: int, least: bool) -> None:
        found[recipient] = Remedy(
            kind=RemedyKind.BUDGET,
            budget_usd=new_budget,
            least=least,
            message=f"A budget of USD {new_budget:,} would include {problem.name_of(recipient)}.",
        )
        waiting.discard(recipient)

    for _ in range(max_solves):
        if not waiting:
            break
        rung = min(lowest[r] for r in waiting)
        if rung >= unlimited.total_cost_usd:
            break
        included = context.included_after(problem.revised(budget_usd=rung))
        for recipient in sorted(waiting, key=id_key):
            if recipient in included:
                record(recipient, rung, exact[recipient] and lowest[recipient] == rung)
            elif lowest[recipient] <= rung:
                after = affordable[recipient] if affordable[recipient] > rung else rung + step
                lowest[recipient], exact[recipient] = after, False
    if waiting:
        # The unlimited optimum fits this budget, so its value is reached there.
        rung = max(unlimited.total_cost_usd, budget)
        included = context.included_after(problem.revised(budget_usd=rung))
        for recipient in sorted(waiting, key=id_key):
            if recipient in included:
                record(recipient, rung, False)
    return found


def explain(
    problem: RoundProblem,
    assignment: Assignment,
    *,
    top_donors: int = 3,
    max_capacity_raise: int = 3,
    max_capacity_solves: int = 16,
    max_budget_solves: int = 3,
    detail: OptimalDetail | None = None,
) -> Explanations:
    """Explain ``assignment`` (from ``solve_optimal`` or ``solve_stable`` on ``problem``).

    Every chosen pair comes back with its score, cost and ``breakdown_id``. Every recipient
    with no partner gets its reasons (``LeftOutReason``, the donors they name, a sentence) and
    remedies found by solving again: the smallest capacity raise of one of its ``top_donors``
    best donors (up to ``max_capacity_raise``) and a budget that would include it. The numbers
    of solves are capped (``max_capacity_solves``, ``max_budget_solves``) so that explaining a
    big round stays quick; a recipient may then get fewer remedies. An infeasible assignment
    has nothing to explain beyond its ``infeasible_reasons``. ``detail``, the
    ``solve_optimal_detail`` that made an optimal ``assignment``, saves solving it again.
    """
    if not assignment.feasible:
        return Explanations(chosen=(), left_out=(), solves=0)
    context = _context(problem, assignment, detail)
    included = assignment.recipients_included()
    out = [r for r in sorted(problem.recipients, key=id_key) if r not in included]
    ineligible: dict[CityId, set[Ineligibility]] = defaultdict(set)
    for (_, recipient), why in context.prepared.ineligible.items():
        ineligible[recipient].add(why)
    used = Counter(chosen.donor_id for chosen in assignment.pairs)
    descriptions = {
        r: describe_left_out(
            problem=problem,
            assignment=assignment,
            prepared=context.prepared,
            recipient_id=r,
            candidates=context.candidates_of.get(r, []),
            ineligible=ineligible[r],
            used=used,
        )
        for r in out
    }
    fixable = [r for r in out if context.candidates_of.get(r) and problem.max_of(r) > 0]
    by_capacity = _capacity_remedies(
        context,
        fixable,
        top_donors=top_donors,
        max_raise=max_capacity_raise,
        max_solves=max_capacity_solves,
    )
    by_budget = _budget_remedies(context, fixable, max_solves=max_budget_solves)
    left_out = []
    for recipient in out:
        reasons, donors, message = descriptions[recipient]
        remedies = tuple(
            remedy
            for remedy in (by_capacity.get(recipient), by_budget.get(recipient))
            if remedy is not None
        )
        left_out.append(
            LeftOutRecipient(
                recipient_id=recipient,
                reasons=reasons,
                donor_ids=donors,
                message=message,
                remedies=remedies,
            )
        )
    return Explanations(chosen=assignment.pairs, left_out=tuple(left_out), solves=context.solves)
