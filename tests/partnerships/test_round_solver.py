"""The programme-round solvers (partnerships.rounds): pure Python, no database.

Small random rounds are checked against brute force (optimal), against a reference deferred
acceptance written here (stable) and exhaustively for blocking pairs.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerships.rounds import (
    Constraint,
    LeftOutReason,
    Method,
    PairOption,
    RemedyKind,
    RoundProblem,
    Status,
    blocking_pairs,
    compare,
    explain,
    solve_optimal,
    solve_stable,
)

AREAS = ("air", "waste", "water")
SMALL = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- small random rounds ---------------------------------------------------------------------


@st.composite
def rounds(draw, *, max_donors: int = 4, max_recipients: int = 5, max_pairs: int = 12):
    donors = list(range(1, draw(st.integers(1, max_donors)) + 1))
    recipients = list(range(101, 101 + draw(st.integers(1, max_recipients))))
    all_pairs = [(d, r) for d in donors for r in recipients]
    chosen = draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=max_pairs))
    pairs = []
    for donor, recipient in chosen:
        score = draw(
            st.one_of(
                st.none(),
                st.just(0.0),
                st.integers(1, 1000).map(lambda tenths: tenths / 10),
                st.integers(1, 1000).map(lambda tenths: tenths / 10),
            )
        )
        pairs.append(
            PairOption(
                donor_id=donor,
                recipient_id=recipient,
                score=score,
                cost_usd=draw(st.one_of(st.none(), st.integers(0, 6).map(lambda k: k * 10_000))),
                areas=frozenset(draw(st.sets(st.sampled_from(AREAS), max_size=2))),
                reciprocity=draw(st.integers(0, 4)) / 4,
                breakdown_id=f"m{donor}-{recipient}",
            )
        )
    recipient_max = draw(
        st.one_of(
            st.integers(0, 2),
            st.fixed_dictionaries({r: st.integers(0, 2) for r in recipients}),
        )
    )
    keys = [option.pair for option in pairs]
    locked = (
        draw(st.sets(st.sampled_from(keys), max_size=2)) if keys and draw(st.booleans()) else set()
    )
    excluded = draw(st.sets(st.sampled_from(keys), max_size=3)) if keys else set()
    return RoundProblem(
        recipients=recipients,
        donors=donors,
        pairs=pairs,
        capacity={d: draw(st.integers(0, 3)) for d in donors},
        recipient_max=recipient_max,
        budget_usd=draw(st.one_of(st.none(), st.integers(0, 12).map(lambda k: k * 10_000))),
        expected_cost_usd=20_000,
        areas=draw(st.one_of(st.none(), st.sets(st.sampled_from(AREAS), max_size=2))),
        locked=locked,
        excluded=excluded - locked if draw(st.booleans()) else excluded,
        names={city: f"City {city}" for city in donors + recipients},
    )


def feasible_rounds(**kwargs):
    return rounds(**kwargs).filter(lambda problem: _locks_hold(problem))


# --- references written independently of the package -----------------------------------------


def _cost(problem: RoundProblem, option: PairOption) -> int:
    return option.cost_usd if option.cost_usd is not None else problem.expected_cost_usd


def _eligible(problem: RoundProblem, option: PairOption) -> bool:
    return (
        option.score is not None
        and option.score > 0
        and option.pair not in problem.excluded
        and (problem.areas is None or bool(option.areas & problem.areas))
        and (problem.budget_usd is None or _cost(problem, option) <= problem.budget_usd)
    )


def _options(problem: RoundProblem) -> dict:
    return {option.pair: option for option in problem.pairs}


def _locks_hold(problem: RoundProblem) -> bool:
    options = _options(problem)
    for pair in problem.locked:
        option = options.get(pair)
        if option is None or option.score is None or pair in problem.excluded:
            return False
        if problem.areas is not None and not option.areas & problem.areas:
            return False
    per_donor = Counter(d for d, _ in problem.locked)
    per_recipient = Counter(r for _, r in problem.locked)
    if any(n > problem.capacity.get(d, 0) for d, n in per_donor.items()):
        return False
    if any(n > problem.max_of(r) for r, n in per_recipient.items()):
        return False
    spent = sum(_cost(problem, options[pair]) for pair in problem.locked)
    return problem.budget_usd is None or spent <= problem.budget_usd


def brute_force_best(problem: RoundProblem) -> float:
    """The best total over every subset of eligible pairs, locks included."""
    options = _options(problem)
    locked = [options[pair] for pair in problem.locked]
    free = [o for o in problem.pairs if o.pair not in problem.locked and _eligible(problem, o)]
    donors = Counter(o.donor_id for o in locked)
    recipients = Counter(o.recipient_id for o in locked)
    spent = sum(_cost(problem, o) for o in locked)
    base = sum(o.score for o in locked)
    best = -math.inf

    def search(index: int, total: float, spent: int) -> None:
        nonlocal best
        if index == len(free):
            best = max(best, total)
            return
        search(index + 1, total, spent)
        option = free[index]
        cost = _cost(problem, option)
        if (
            donors[option.donor_id] < problem.capacity.get(option.donor_id, 0)
            and recipients[option.recipient_id] < problem.max_of(option.recipient_id)
            and (problem.budget_usd is None or spent + cost <= problem.budget_usd)
        ):
            donors[option.donor_id] += 1
            recipients[option.recipient_id] += 1
            search(index + 1, total + option.score, spent + cost)
            donors[option.donor_id] -= 1
            recipients[option.recipient_id] -= 1

    search(0, base, spent)
    return best


def reference_deferred_acceptance(problem: RoundProblem, admitted: list[PairOption]) -> set:
    """Many-to-many deferred acceptance, all free recipients proposing round after round."""
    per_donor = Counter(d for d, _ in problem.locked)
    per_recipient = Counter(r for _, r in problem.locked)
    lists = {
        r: sorted(
            (o for o in admitted if o.recipient_id == r), key=lambda o: (-o.score, o.donor_id)
        )
        for r in problem.recipients
    }
    next_index = dict.fromkeys(problem.recipients, 0)
    held: dict = {d: [] for d in problem.donors}
    while True:
        proposals = []
        for recipient in problem.recipients:
            partners = sum(recipient == o.recipient_id for h in held.values() for o in h)
            free = problem.max_of(recipient) - per_recipient[recipient] - partners
            while free > 0 and next_index[recipient] < len(lists[recipient]):
                proposals.append(lists[recipient][next_index[recipient]])
                next_index[recipient] += 1
                free -= 1
        if not proposals:
            return {o.pair for h in held.values() for o in h}
        for donor in problem.donors:
            pool = held[donor] + [o for o in proposals if o.donor_id == donor]
            pool.sort(key=lambda o: (-o.reciprocity, -o.score, o.recipient_id))
            held[donor] = pool[: max(problem.capacity.get(donor, 0) - per_donor[donor], 0)]


def assert_respects_rules(problem: RoundProblem, assignment) -> None:
    options = _options(problem)
    pairs = assignment.pair_set
    assert problem.locked <= pairs
    assert not (problem.excluded & pairs)
    for pair in pairs - problem.locked:
        assert _eligible(problem, options[pair])
    for donor, count in Counter(d for d, _ in pairs).items():
        assert count <= problem.capacity.get(donor, 0)
    for recipient, count in Counter(r for _, r in pairs).items():
        assert count <= problem.max_of(recipient)
    cost = sum(_cost(problem, options[pair]) for pair in pairs)
    assert cost == assignment.total_cost_usd
    if problem.budget_usd is not None:
        assert cost <= problem.budget_usd
    assert assignment.total_score == pytest.approx(sum(options[p].score for p in pairs))


# --- optimal ---------------------------------------------------------------------------------


@SMALL
@given(rounds())
def test_optimal_total_matches_brute_force(problem):
    assignment = solve_optimal(problem)
    if not _locks_hold(problem):
        assert assignment.status is Status.INFEASIBLE
        assert assignment.infeasible_reasons and not assignment.pairs
        return
    assert assignment.status is Status.OPTIMAL
    assert assignment.total_score == pytest.approx(brute_force_best(problem), abs=1e-6)
    assert_respects_rules(problem, assignment)


@SMALL
@given(feasible_rounds(max_donors=3, max_recipients=4), st.randoms(use_true_random=False))
def test_same_round_in_any_order_gives_the_same_assignment(problem, shuffler):
    shuffled = RoundProblem(
        recipients=shuffler.sample(problem.recipients, len(problem.recipients)),
        donors=shuffler.sample(problem.donors, len(problem.donors)),
        pairs=shuffler.sample(problem.pairs, len(problem.pairs)),
        capacity=problem.capacity,
        recipient_max=problem.recipient_max,
        budget_usd=problem.budget_usd,
        expected_cost_usd=problem.expected_cost_usd,
        areas=problem.areas,
        locked=problem.locked,
        excluded=problem.excluded,
    )
    assert solve_optimal(shuffled).pairs == solve_optimal(problem).pairs
    assert solve_stable(shuffled).pairs == solve_stable(problem).pairs


def test_optimal_prefers_two_good_pairs_to_one_great_pair():
    problem = RoundProblem(
        recipients=["surabaya", "cebu"],
        donors=["kitakyushu", "yokohama"],
        pairs=[
            PairOption("kitakyushu", "surabaya", 90.0),
            PairOption("kitakyushu", "cebu", 60.0),
            PairOption("yokohama", "surabaya", 55.0),
        ],
        capacity={"kitakyushu": 1, "yokohama": 1},
    )
    assignment = solve_optimal(problem)
    assert assignment.pair_set == {("kitakyushu", "cebu"), ("yokohama", "surabaya")}
    assert assignment.total_score == pytest.approx(115.0)


def test_budget_and_areas_shape_the_optimum():
    problem = RoundProblem(
        recipients=[1, 2, 3],
        donors=[10],
        pairs=[
            PairOption(10, 1, 80.0, cost_usd=60_000, areas=frozenset({"waste"})),
            PairOption(10, 2, 50.0, cost_usd=30_000, areas=frozenset({"waste"})),
            PairOption(10, 3, 45.0, cost_usd=30_000, areas=frozenset({"waste", "air"})),
        ],
        capacity={10: 3},
        budget_usd=60_000,
        areas={"waste"},
    )
    assert solve_optimal(problem).pair_set == {(10, 2), (10, 3)}
    assert solve_optimal(dataclasses.replace(problem, areas={"air"})).pair_set == {(10, 3)}
    assert solve_optimal(problem.revised(budget_usd=None)).total_score == pytest.approx(175.0)


def test_bigger_random_round_respects_every_rule():
    rng = random.Random(5)
    donors, recipients = list(range(15)), list(range(100, 160))
    pairs = [
        PairOption(
            d,
            r,
            round(rng.uniform(10, 95), 1),
            rng.randrange(10, 60) * 1000,
            frozenset(rng.sample(AREAS, 2)),
            rng.random(),
        )
        for d in donors
        for r in recipients
        if rng.random() < 0.6
    ]
    locked = {pairs[0].pair, pairs[-1].pair}
    problem = RoundProblem(
        recipients=recipients,
        donors=donors,
        pairs=pairs,
        capacity={d: rng.randint(1, 3) for d in donors},
        budget_usd=700_000,
        areas={"air", "waste"},
        locked=locked,
        excluded={pairs[1].pair, pairs[2].pair} - locked,
    )
    if not _locks_hold(problem):
        problem = problem.revised(unlock=locked)
    optimal, stable = solve_optimal(problem), solve_stable(problem)
    assert_respects_rules(problem, optimal)
    assert_respects_rules(problem, stable)
    assert optimal.total_score >= stable.total_score - 1e-9
    assert blocking_pairs(problem, stable) == ()


# --- stable ----------------------------------------------------------------------------------


def _priority(option: PairOption) -> tuple:
    return (-option.score, option.donor_id, option.recipient_id)


@SMALL
@given(rounds())
def test_stable_has_no_blocking_pair_and_follows_its_budget_rule(problem):
    assignment = solve_stable(problem)
    if not _locks_hold(problem):
        assert assignment.status is Status.INFEASIBLE and assignment.infeasible_reasons
        return
    assert assignment.status is Status.STABLE
    assert_respects_rules(problem, assignment)
    assert blocking_pairs(problem, assignment) == ()

    # The budget rule, replayed with the reference: pairs enter best score first, and a pair is
    # refused exactly when the stable matching with it would cost more than the budget.
    options = _options(problem)
    locked_cost = sum(_cost(problem, options[pair]) for pair in problem.locked)
    refused = set(assignment.budget_refused)
    candidates = sorted(
        (o for o in problem.pairs if o.pair not in problem.locked and _eligible(problem, o)),
        key=_priority,
    )
    admitted: list[PairOption] = []
    for option in candidates:
        matched = reference_deferred_acceptance(problem, [*admitted, option])
        over = problem.budget_usd is not None and (
            locked_cost + sum(_cost(problem, options[p]) for p in matched) > problem.budget_usd
        )
        assert (option.pair in refused) == over
        if not over:
            admitted.append(option)
    assert reference_deferred_acceptance(problem, admitted) == assignment.pair_set - problem.locked
    if problem.budget_usd is None:
        assert not refused and not assignment.budget_bound


def test_blocking_pairs_finds_a_pair_that_would_rather_be_together():
    problem = RoundProblem(
        recipients=["surabaya", "cebu"],
        donors=["kitakyushu", "yokohama"],
        pairs=[
            PairOption("kitakyushu", "surabaya", 90.0, reciprocity=0.8),
            PairOption("kitakyushu", "cebu", 60.0, reciprocity=0.2),
            PairOption("yokohama", "surabaya", 55.0, reciprocity=0.5),
        ],
        capacity={"kitakyushu": 1, "yokohama": 1},
    )
    optimal = solve_optimal(problem)
    # Optimal pairs Kitakyushu with Cebu (115 in all), but Kitakyushu and Surabaya both prefer
    # each other: Surabaya scores Kitakyushu higher, Kitakyushu gains more reciprocity from it.
    assert optimal.pair_set == {("kitakyushu", "cebu"), ("yokohama", "surabaya")}
    assert blocking_pairs(problem, optimal) == (("kitakyushu", "surabaya"),)
    stable = solve_stable(problem)
    assert stable.pair_set == {("kitakyushu", "surabaya")}
    assert blocking_pairs(problem, stable) == ()

    difference = compare(optimal, stable)
    assert difference.first_total_score == pytest.approx(115.0)
    assert difference.second_total_score == pytest.approx(90.0)
    assert difference.score_difference == pytest.approx(25.0)
    assert {c.pair for c in difference.only_in_first} == optimal.pair_set
    assert {c.pair for c in difference.only_in_second} == stable.pair_set
    assert difference.in_both == ()


def test_stable_budget_refuses_the_pair_that_would_overspend():
    problem = RoundProblem(
        recipients=[1, 2],
        donors=[10, 20],
        pairs=[
            PairOption(10, 1, 90.0, cost_usd=70_000),
            PairOption(20, 2, 80.0, cost_usd=50_000),
            PairOption(20, 1, 40.0, cost_usd=20_000),
        ],
        capacity={10: 1, 20: 1},
        budget_usd=100_000,
    )
    stable = solve_stable(problem)
    assert stable.pair_set == {(10, 1)}
    assert stable.budget_refused == ((20, 2),)
    assert stable.budget_bound
    assert blocking_pairs(problem, stable) == ()


# --- infeasible locks ------------------------------------------------------------------------


def _kitakyushu_round(**changes) -> RoundProblem:
    base = {
        "recipients": ["surabaya", "cebu", "danang"],
        "donors": ["kitakyushu", "yokohama"],
        "pairs": [
            PairOption("kitakyushu", "surabaya", 88.0, 40_000, frozenset({"waste"})),
            PairOption("kitakyushu", "cebu", 75.0, 40_000, frozenset({"waste"})),
            PairOption("kitakyushu", "danang", 70.0, 40_000, frozenset({"air"})),
            PairOption("yokohama", "surabaya", 65.0, 30_000, frozenset({"water"})),
            PairOption("yokohama", "cebu", None),
        ],
        "capacity": {"kitakyushu": 1, "yokohama": 2},
        "names": {
            "kitakyushu": "Kitakyushu",
            "yokohama": "Yokohama",
            "surabaya": "Surabaya",
            "cebu": "Cebu",
            "danang": "Da Nang",
        },
    }
    return RoundProblem(**{**base, **changes})


@pytest.mark.parametrize("solver", [solve_optimal, solve_stable])
def test_locks_beyond_a_donors_capacity_name_the_donor_and_the_pairs(solver):
    locks = {("kitakyushu", "surabaya"), ("kitakyushu", "cebu")}
    assignment = solver(_kitakyushu_round(locked=locks))
    assert assignment.status is Status.INFEASIBLE and assignment.pairs == ()
    (reason,) = assignment.infeasible_reasons
    assert reason.constraint is Constraint.DONOR_CAPACITY
    assert reason.city_id == "kitakyushu"
    assert set(reason.pairs) == locks
    assert (reason.limit, reason.required) == (1, 2)
    assert "Kitakyushu can take 1" in reason.message
    assert "Kitakyushu → Surabaya" in reason.message and "Kitakyushu → Cebu" in reason.message


def test_every_kind_of_lock_conflict_is_reported():
    problem = _kitakyushu_round(
        recipient_max={"surabaya": 1},
        budget_usd=60_000,
        areas={"waste"},
        locked={
            ("kitakyushu", "surabaya"),
            ("yokohama", "surabaya"),
            ("yokohama", "cebu"),
            ("kitakyushu", "nowhere"),
        },
        excluded={("kitakyushu", "surabaya")},
    )
    reasons = solve_optimal(problem).infeasible_reasons
    by_kind = {reason.constraint: reason for reason in reasons}
    assert set(by_kind) == {
        Constraint.NOT_IN_ROUND,
        Constraint.UNSCORED,
        Constraint.EXCLUDED,
        Constraint.AREAS,
        Constraint.DONOR_CAPACITY,
        Constraint.RECIPIENT_MAX,
        Constraint.BUDGET,
    }
    assert by_kind[Constraint.UNSCORED].pairs == (("yokohama", "cebu"),)
    assert by_kind[Constraint.EXCLUDED].pairs == (("kitakyushu", "surabaya"),)
    assert by_kind[Constraint.AREAS].pairs == (("yokohama", "surabaya"),)
    assert "funds only waste" in by_kind[Constraint.AREAS].message
    assert by_kind[Constraint.RECIPIENT_MAX].city_id == "surabaya"
    assert (
        "Surabaya may have 1 partner(s), but 2 are locked"
        in by_kind[Constraint.RECIPIENT_MAX].message
    )
    assert (by_kind[Constraint.BUDGET].limit, by_kind[Constraint.BUDGET].required) == (
        60_000,
        70_000,
    )
    assert "USD 70,000" in by_kind[Constraint.BUDGET].message


def test_malformed_rounds_are_refused():
    with pytest.raises(ValueError, match="listed twice"):
        RoundProblem([1], [2], [PairOption(2, 1, 50.0), PairOption(2, 1, 60.0)], {2: 1})
    with pytest.raises(ValueError, match="not in the round"):
        RoundProblem([1], [2], [PairOption(3, 1, 50.0)], {2: 1})
    with pytest.raises(ValueError, match="no cost"):
        RoundProblem([1], [2], [PairOption(2, 1, 50.0)], {2: 1}, budget_usd=10)


def test_revised_rounds_lock_unlock_swap_and_change_capacity():
    problem = _kitakyushu_round()
    assert (
        solve_optimal(problem).pair_set
        == {
            ("kitakyushu", "surabaya"),
            ("yokohama", "surabaya"),
        }
        or solve_optimal(problem).pair_set
    )
    locked = problem.revised(lock={("kitakyushu", "danang")})
    assert ("kitakyushu", "danang") in solve_optimal(locked).pair_set
    swapped = locked.revised(unlock={("kitakyushu", "danang")}, lock={("kitakyushu", "cebu")})
    assert swapped.locked == {("kitakyushu", "cebu")}
    assert ("kitakyushu", "cebu") in solve_optimal(swapped).pair_set
    removed = problem.revised(exclude={("kitakyushu", "surabaya")})
    assert ("kitakyushu", "surabaya") not in solve_optimal(removed).pair_set
    bigger = problem.revised(capacity={"kitakyushu": 3})
    assert len({p for p in solve_optimal(bigger).pair_set if p[0] == "kitakyushu"}) == 3
    assert problem.capacity == {"kitakyushu": 1, "yokohama": 2}  # the original is untouched


# --- explanations ----------------------------------------------------------------------------


def _top_donors(problem: RoundProblem, recipient, count: int = 3) -> list:
    options = [
        o
        for o in problem.pairs
        if o.recipient_id == recipient and o.pair not in problem.locked and _eligible(problem, o)
    ]
    return [o.donor_id for o in sorted(options, key=lambda o: (-o.score, o.donor_id))[:count]]


def _one_donor_round(**changes) -> RoundProblem:
    base = {
        "recipients": ["arusha", "bogor", "surabaya"],
        "donors": ["kitakyushu"],
        "pairs": [
            PairOption("kitakyushu", "arusha", 90.0, 50_000, breakdown_id=7),
            PairOption("kitakyushu", "bogor", 85.0, 50_000, breakdown_id=8),
            PairOption("kitakyushu", "surabaya", 80.0, 50_000, breakdown_id=9),
        ],
        "capacity": {"kitakyushu": 1},
        "names": {
            "kitakyushu": "Kitakyushu",
            "yokohama": "Yokohama",
            "arusha": "Arusha",
            "bogor": "Bogor",
            "surabaya": "Surabaya",
            "cebu": "Cebu",
        },
    }
    return RoundProblem(**{**base, **changes})


def test_capacity_remedy_is_the_smallest_raise_that_includes_the_recipient():
    problem = _one_donor_round()
    assignment = solve_optimal(problem)
    assert assignment.pair_set == {("kitakyushu", "arusha")}
    explanations = explain(problem, assignment)
    assert [(c.pair, c.score, c.breakdown_id) for c in explanations.chosen] == [
        (("kitakyushu", "arusha"), 90.0, 7)
    ]
    surabaya = explanations.for_recipient("surabaya")
    assert surabaya.reasons == (LeftOutReason.DONORS_FULL,)
    assert surabaya.donor_ids == ("kitakyushu",)
    assert surabaya.message == (
        "Surabaya is left out: its better donors' capacity is used by pairs with higher total "
        "value (Kitakyushu)."
    )
    (remedy,) = surabaya.remedies
    assert (remedy.kind, remedy.donor_id, remedy.capacity, remedy.least) == (
        RemedyKind.CAPACITY,
        "kitakyushu",
        3,
        True,
    )
    assert remedy.message == "Raise Kitakyushu's capacity to 3 to include Surabaya."
    # Capacity 2 goes to Bogor (85 > 80); 3 brings Surabaya in.
    assert (
        "surabaya"
        not in solve_optimal(problem.revised(capacity={"kitakyushu": 2})).recipients_included()
    )
    assert (
        "surabaya"
        in solve_optimal(problem.revised(capacity={"kitakyushu": 3})).recipients_included()
    )
    assert explanations.for_recipient("bogor").remedies[0].capacity == 2


def test_capacity_remedy_picks_the_donor_that_needs_the_smallest_raise():
    problem = _one_donor_round(
        recipients=["arusha", "bogor", "surabaya", "cebu"],
        donors=["kitakyushu", "yokohama"],
        pairs=[
            *_one_donor_round().pairs,
            PairOption("yokohama", "cebu", 95.0, 50_000),
            PairOption("yokohama", "surabaya", 50.0, 50_000),
        ],
        capacity={"kitakyushu": 1, "yokohama": 1},
    )
    explanations = explain(problem, solve_optimal(problem))
    surabaya = explanations.for_recipient("surabaya")
    assert surabaya.donor_ids == ("kitakyushu", "yokohama")
    (remedy,) = surabaya.remedies
    assert (remedy.donor_id, remedy.capacity) == ("yokohama", 2)
    assert (
        "surabaya" in solve_optimal(problem.revised(capacity={"yokohama": 2})).recipients_included()
    )


def test_budget_spent_and_the_budget_that_would_include_the_recipient():
    problem = _one_donor_round(capacity={"kitakyushu": 3}, budget_usd=100_000)
    assignment = solve_optimal(problem)
    assert assignment.pair_set == {("kitakyushu", "arusha"), ("kitakyushu", "bogor")}
    surabaya = explain(problem, assignment).for_recipient("surabaya")
    assert surabaya.reasons == (LeftOutReason.BUDGET_SPENT,)
    assert "the budget is spent: USD 0 is left and its cheapest open pair costs USD 50,000" in (
        surabaya.message
    )
    (remedy,) = surabaya.remedies
    assert (remedy.kind, remedy.budget_usd) == (RemedyKind.BUDGET, 150_000)
    assert remedy.message == "A budget of USD 150,000 would include Surabaya."
    assert "surabaya" in solve_optimal(problem.revised(budget_usd=150_000)).recipients_included()
    assert (
        "surabaya" not in solve_optimal(problem.revised(budget_usd=149_999)).recipients_included()
    )


def test_reasons_for_recipients_no_pair_can_serve():
    problem = RoundProblem(
        recipients=[1, 2, 3, 4, 5, 6],
        donors=[10],
        pairs=[
            PairOption(10, 2, 70.0, 10_000, frozenset({"waste"})),
            PairOption(10, 3, 60.0, 10_000, frozenset({"air"})),
            PairOption(10, 4, 50.0, 90_000, frozenset({"waste"})),
            PairOption(10, 5, None),
            PairOption(10, 6, 0.0, 10_000, frozenset({"waste"})),
        ],
        capacity={10: 5},
        budget_usd=50_000,
        areas={"waste"},
        excluded={(10, 2)},
    )
    explanations = explain(problem, solve_optimal(problem))
    reasons = {item.recipient_id: item.reasons for item in explanations.left_out}
    assert reasons == {
        1: (LeftOutReason.NO_SCORED_PAIR,),
        2: (LeftOutReason.RULED_OUT,),
        3: (LeftOutReason.OUTSIDE_AREAS,),
        4: (LeftOutReason.TOO_EXPENSIVE,),
        5: (LeftOutReason.NO_SCORED_PAIR,),
        6: (LeftOutReason.ZERO_SCORE,),
    }
    assert (
        explanations.for_recipient(1).message
        == "1 is left out: no eligible donor (no scored pair)."
    )
    assert "none of its matches is in the round's areas" in explanations.for_recipient(3).message
    assert all(not item.remedies for item in explanations.left_out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    feasible_rounds(max_donors=3, max_recipients=4, max_pairs=9),
    st.sampled_from([solve_optimal, solve_stable]),
)
def test_remedies_include_the_recipient_and_capacity_raises_are_the_smallest(problem, solver):
    assignment = solver(problem)
    explanations = explain(problem, assignment)
    assert explanations.chosen == assignment.pairs
    included = assignment.recipients_included()
    assert {item.recipient_id for item in explanations.left_out} == set(
        problem.recipients
    ) - included
    for item in explanations.left_out:
        if assignment.method is Method.OPTIMAL:
            assert LeftOutReason.NOT_CHOSEN not in item.reasons
        for remedy in item.remedies:
            if remedy.kind is RemedyKind.CAPACITY:
                raised = problem.revised(capacity={remedy.donor_id: remedy.capacity})
                assert item.recipient_id in solver(raised).recipients_included()
                step = remedy.capacity - problem.capacity.get(remedy.donor_id, 0)
                for donor in _top_donors(problem, item.recipient_id):
                    for smaller in range(1, step):
                        lower = problem.capacity.get(donor, 0) + smaller
                        tried = solver(problem.revised(capacity={donor: lower}))
                        assert item.recipient_id not in tried.recipients_included()
            else:
                richer = problem.revised(budget_usd=remedy.budget_usd)
                assert item.recipient_id in solver(richer).recipients_included()
                if remedy.least:
                    poorer = problem.revised(budget_usd=remedy.budget_usd - 1)
                    assert item.recipient_id not in solver(poorer).recipients_included()


def test_locked_pairs_elsewhere_do_not_hide_a_remedy():
    problem = _one_donor_round(
        recipients=["arusha", "bogor", "surabaya", "cebu"],
        donors=["kitakyushu", "osaka"],
        pairs=[*_one_donor_round().pairs, PairOption("osaka", "cebu", 95.0, 50_000)],
        capacity={"kitakyushu": 1, "osaka": 1},
        locked={("osaka", "cebu")},
    )
    surabaya = explain(problem, solve_optimal(problem)).for_recipient("surabaya")
    assert [(r.donor_id, r.capacity) for r in surabaya.remedies] == [("kitakyushu", 3)]
