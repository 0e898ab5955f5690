"""The stable alternative: deferred acceptance, recipients proposing, donors holding.

Preferences
-----------
A recipient ranks its eligible donors by match score (ties: smaller donor id first). A donor
ranks the recipients proposing to it by reciprocity, what the partnership gives back to it
(ties: higher score, then smaller recipient id). Both sides have quotas: a donor holds at
most its capacity, a recipient at most its maximum. Locked pairs are made before anything
else and use a place on both sides for good; excluded, unscored and out-of-area pairs are not
on anyone's list. The result is pairwise stable: no donor and recipient that are not paired
would both rather be paired with each other, each dropping its worst partner that is not
locked or using a free place (``blocking_pairs`` checks it).

The budget
----------
Stability and a shared budget do not mix well: money freed when a donor swaps a partner for a
cheaper one can make an earlier refusal stale. So the budget acts on which pairs enter the
algorithm, not inside it. Pairs are admitted one at a time in order of score (then donor id,
then recipient id), and deferred acceptance continues after each admission (its outcome does
not depend on the order of proposals). If the matching it reaches then costs more than the
budget, that admission is undone and the pair is *refused by the budget*; the next pair is
tried. The result is the recipient-proposing stable matching of the admitted pairs, within
budget; ``Assignment.budget_refused`` lists the refused pairs and ``budget_bound`` says whether
the budget kept any pair out. ``blocking_pairs`` leaves refused pairs aside: they were tried,
and the money was not there.
"""

from __future__ import annotations

from collections import defaultdict

from .eligibility import Ineligibility, PreparedRound, lock_conflicts, prepare
from .model import (
    Assignment,
    CityId,
    Method,
    Pair,
    PairOption,
    RoundProblem,
    build_assignment,
    id_key,
    infeasible_assignment,
    pair_key,
)


def recipient_rank(option: PairOption) -> tuple:
    """How a recipient ranks a donor: smaller is better."""
    return (-float(option.score or 0.0), id_key(option.donor_id))


def donor_rank(option: PairOption) -> tuple:
    """How a donor ranks a recipient: smaller is better."""
    return (-option.reciprocity, -float(option.score or 0.0), id_key(option.recipient_id))


class _DeferredAcceptance:
    """Recipient-proposing deferred acceptance that grows one admitted pair at a time."""

    def __init__(self, prepared: PreparedRound) -> None:
        self.prepared = prepared
        self.problem = prepared.problem
        self.held: dict[CityId, list[PairOption]] = defaultdict(list)
        self.partners: dict[CityId, int] = defaultdict(int)
        self.preferences: dict[CityId, list[PairOption]] = defaultdict(list)
        self.next_choice: dict[CityId, int] = defaultdict(int)
        self.spent = prepared.locked_cost_usd
        self.refused: list[Pair] = []
        # What an admission changed, to undo it when the budget refuses it.
        self._saved_held: dict[CityId, list[PairOption]] = {}
        self._saved_partners: dict[CityId, int] = {}
        self._saved_next: dict[CityId, int] = {}

    def admit(self, option: PairOption) -> None:
        recipient = option.recipient_id
        # Pairs come best score first, so the new donor goes last on the recipient's list.
        self.preferences[recipient].append(option)
        spent_before = self.spent
        self._saved_held.clear()
        self._saved_partners.clear()
        self._saved_next.clear()
        self._propose(recipient)
        budget = self.problem.budget_usd
        if budget is not None and self.spent > budget:
            self.held.update(self._saved_held)
            self.partners.update(self._saved_partners)
            self.next_choice.update(self._saved_next)
            self.spent = spent_before
            self.preferences[recipient].pop()
            self.refused.append(option.pair)

    def _propose(self, first: CityId) -> None:
        waiting = [first]
        while waiting:
            recipient = waiting.pop()
            places = self.prepared.free_places(recipient)
            choices = self.preferences[recipient]
            while self.partners[recipient] < places and self.next_choice[recipient] < len(choices):
                self._saved_next.setdefault(recipient, self.next_choice[recipient])
                option = choices[self.next_choice[recipient]]
                self.next_choice[recipient] += 1
                displaced = self._offer(option)
                if displaced is not None:
                    waiting.append(displaced)

    def _offer(self, option: PairOption) -> CityId | None:
        """The donor takes the offer if it has room or prefers it; returns whom it drops."""
        donor, recipient = option.donor_id, option.recipient_id
        held = self.held[donor]
        room = self.prepared.free_capacity(donor)
        if room <= 0:
            return None
        displaced: PairOption | None = None
        if len(held) >= room:
            worst = max(held, key=donor_rank)
            if donor_rank(option) >= donor_rank(worst):
                return None
            displaced = worst
        self._saved_held.setdefault(donor, list(held))
        self._saved_partners.setdefault(recipient, self.partners[recipient])
        held.append(option)
        self.partners[recipient] += 1
        self.spent += self.problem.cost_of(option)
        if displaced is None:
            return None
        self._saved_partners.setdefault(
            displaced.recipient_id, self.partners[displaced.recipient_id]
        )
        held.remove(displaced)
        self.partners[displaced.recipient_id] -= 1
        self.spent -= self.problem.cost_of(displaced)
        return displaced.recipient_id

    def matched(self) -> list[PairOption]:
        return [option for held in self.held.values() for option in held]


def solve_stable(problem: RoundProblem) -> Assignment:
    """The recipient-proposing stable assignment of the round (see the module's docstring).

    Locks, exclusions, areas, unscored pairs, capacities and recipient maxima are honoured as
    in ``solve_optimal``; the budget admits pairs best score first while the matching fits.
    Infeasible locks give an ``infeasible`` result with reasons, as for the optimal solver.
    """
    prepared = prepare(problem)
    conflicts = lock_conflicts(prepared)
    if conflicts:
        return infeasible_assignment(method=Method.STABLE, reasons=conflicts)
    algorithm = _DeferredAcceptance(prepared)
    for option in prepared.candidates:
        algorithm.admit(option)
    over_budget = Ineligibility.OVER_BUDGET in prepared.ineligible.values()
    return build_assignment(
        problem=problem,
        method=Method.STABLE,
        options=prepared.locked_options + algorithm.matched(),
        budget_bound=bool(algorithm.refused) or over_budget,
        budget_refused=algorithm.refused,
    )


def blocking_pairs(problem: RoundProblem, assignment: Assignment) -> tuple[Pair, ...]:
    """Pairs that would both rather be together than keep the assignment as it is.

    A donor and a recipient that are not paired block when the pair is eligible (scored, in
    the round's areas, not ruled out, affordable on its own, not refused by the budget in
    ``assignment``) and each side has a free place or ranks the other above its worst partner
    that is not locked (the preferences of the module's docstring). Works on any assignment of
    the round, optimal or stable; an empty tuple means stable.
    """
    prepared = prepare(problem)
    chosen = assignment.pair_set
    refused = set(assignment.budget_refused)
    loose_by_donor: dict[CityId, list[PairOption]] = defaultdict(list)
    loose_by_recipient: dict[CityId, list[PairOption]] = defaultdict(list)
    count_by_donor: dict[CityId, int] = defaultdict(int)
    count_by_recipient: dict[CityId, int] = defaultdict(int)
    for donor_id, recipient_id in chosen:
        count_by_donor[donor_id] += 1
        count_by_recipient[recipient_id] += 1
        option = prepared.option_by_pair.get((donor_id, recipient_id))
        if option is not None and option.pair not in problem.locked:
            loose_by_donor[donor_id].append(option)
            loose_by_recipient[recipient_id].append(option)

    def recipient_wants(option: PairOption) -> bool:
        recipient = option.recipient_id
        if count_by_recipient[recipient] < problem.max_of(recipient):
            return True
        partners = loose_by_recipient[recipient]
        return bool(partners) and recipient_rank(option) < max(map(recipient_rank, partners))

    def donor_wants(option: PairOption) -> bool:
        donor = option.donor_id
        if count_by_donor[donor] < problem.capacity_of(donor):
            return True
        partners = loose_by_donor[donor]
        return bool(partners) and donor_rank(option) < max(map(donor_rank, partners))

    found = [
        option.pair
        for option in prepared.candidates
        if option.pair not in chosen
        and option.pair not in refused
        and recipient_wants(option)
        and donor_wants(option)
    ]
    return tuple(sorted(found, key=pair_key))
