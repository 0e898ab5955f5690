"""Programme-round solvers: prints figures, never a test.

For each size (recipients × donors) a synthetic round is built from a fixed seed: every pair
scored (0.1-point steps, as the scoring run stores them), a cost from the donor's practices
(USD 20,000–80,000), two of eight policy areas per pair with five funded, reciprocity 0–1,
capacities 1–3, one partner per recipient, a budget that funds about 60 % of what capacity
allows, a few locks and exclusions. It then times, median of ``--runs`` runs each:

- optimal: ``solve_optimal``; stable: ``solve_stable``;
- re-solve: ``solve_optimal`` after the agency locks a pair, rules one out and raises a
  capacity (``RoundProblem.revised``);
- explain: ``explain`` of the optimal and of the stable assignment, with remedies.

Three kinds of budget (``--costs``): ``expected`` (every pair costs the round's expected cost,
so the budget caps the number of pairs and the LP is still integral), ``per-pair`` (costs
from the donors' practices, independent of the scores: a knapsack on top of the matching, the
hard case for an exact solver) and ``none``.

    .venv/bin/python bench/rounds.py
    .venv/bin/python bench/rounds.py --sizes 200x50 --runs 7 --costs per-pair

Targets: a 200 × 50 round solves in ≤ 1 s and explains in a couple of seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from partnerships.rounds import (
    PairOption,
    RoundProblem,
    explain,
    solve_optimal,
    solve_stable,
)

AREAS = ("air", "energy", "housing", "mobility", "waste", "water", "health", "disaster")


def synthetic_round(recipients: int, donors: int, *, seed: int, costs: str) -> RoundProblem:
    """``costs``: "per-pair" (from the donor's practices), "expected" (one expected cost per
    partnership, the budget then caps the number of pairs) or "none" (no budget)."""
    rng = random.Random(seed)
    donor_ids = list(range(1, donors + 1))
    recipient_ids = list(range(100_001, 100_001 + recipients))
    donor_cost = {d: rng.randrange(20, 81) * 1_000 for d in donor_ids}
    pairs = [
        PairOption(
            donor_id=d,
            recipient_id=r,
            score=round(rng.betavariate(4, 3) * 100, 1),
            cost_usd=donor_cost[d] + rng.choice((0, 0, 5_000, -5_000))
            if costs == "per-pair"
            else None,
            areas=frozenset(rng.sample(AREAS, 2)),
            reciprocity=round(rng.random(), 2),
            breakdown_id=(d, r),
        )
        for d in donor_ids
        for r in recipient_ids
    ]
    capacity = {d: rng.randint(1, 3) for d in donor_ids}
    places = min(recipients, sum(capacity.values()))
    funded = frozenset(rng.sample(AREAS, 5))
    eligible = [option for option in pairs if option.areas & funded]
    locked: set = set()
    used_donors, used_recipients = set(), set()
    for option in rng.sample(eligible, min(len(eligible), 40)):
        if len(locked) == max(1, recipients // 100):
            break
        if option.donor_id not in used_donors and option.recipient_id not in used_recipients:
            locked.add(option.pair)
            used_donors.add(option.donor_id)
            used_recipients.add(option.recipient_id)
    excluded = {option.pair for option in rng.sample(pairs, recipients // 20)} - locked
    return RoundProblem(
        recipients=recipient_ids,
        donors=donor_ids,
        pairs=pairs,
        capacity=capacity,
        recipient_max=1,
        budget_usd=int(0.6 * places * 50_000) if costs != "none" else None,
        expected_cost_usd=50_000,
        areas=funded,
        locked=locked,
        excluded=excluded,
        names={city: f"City {city}" for city in donor_ids + recipient_ids},
    )


def median_seconds(work: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def edited(problem: RoundProblem, assignment) -> RoundProblem:
    """The agency's usual edits: lock a left-out recipient's best pair, rule out a chosen pair,
    give the busiest donor one more place."""
    included = assignment.recipients_included()
    candidates = [
        option
        for option in problem.pairs
        if option.recipient_id not in included
        and problem.areas
        and option.areas & problem.areas
        and option.pair not in problem.excluded
    ]
    best = max(candidates, key=lambda option: option.score) if candidates else None
    chosen = [c.pair for c in assignment.pairs if not c.locked]
    donor = best.donor_id if best else assignment.pairs[0].donor_id
    return problem.revised(
        lock={best.pair} if best else (),
        exclude=chosen[:1],
        capacity={donor: problem.capacity_of(donor) + 1},
    )


def bench(recipients: int, donors: int, *, runs: int, costs: str, explain_runs: int) -> None:
    problem = synthetic_round(recipients, donors, seed=recipients * 1000 + donors, costs=costs)
    optimal_s, optimal = median_seconds(lambda: solve_optimal(problem), runs)
    stable_s, stable = median_seconds(lambda: solve_stable(problem), runs)
    revised = edited(problem, optimal)
    resolve_s, resolved = median_seconds(lambda: solve_optimal(revised), runs)
    explain_s, explanations = median_seconds(lambda: explain(problem, optimal), explain_runs)
    explain_stable_s, stable_explanations = median_seconds(
        lambda: explain(problem, stable), explain_runs
    )
    remedied = sum(1 for item in explanations.left_out if item.remedies)
    print(
        f"{recipients:>5} x {donors:<4} {costs:>8} "
        f"{len(problem.pairs):>7} pairs | optimal {optimal_s:6.3f} s  stable {stable_s:6.3f} s  "
        f"re-solve {resolve_s:6.3f} s | explain optimal {explain_s:6.3f} s "
        f"({explanations.solves} solves, {remedied}/{len(explanations.left_out)} out with a "
        f"remedy)  stable {explain_stable_s:6.3f} s ({stable_explanations.solves} solves)"
    )
    print(
        f"{'':>20}   totals: optimal {optimal.total_score:,.1f} ({len(optimal.pairs)} pairs, "
        f"USD {optimal.total_cost_usd:,}), stable {stable.total_score:,.1f} "
        f"({len(stable.pairs)} pairs), re-solved {resolved.status} {resolved.total_score:,.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50x10,200x50,1000x200")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    parser.add_argument(
        "--big-runs", type=int, default=3, help="runs per figure from 100,000 pairs up"
    )
    parser.add_argument(
        "--costs",
        default="expected,per-pair,none",
        help="budget kinds: expected (one cost per pair), per-pair, none (no budget)",
    )
    parser.add_argument("--explain-runs", type=int, default=3, help="runs of explain (median)")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for size in args.sizes.split(","):
        recipients, donors = (int(part) for part in size.lower().split("x"))
        big = recipients * donors >= 100_000
        runs = args.big_runs if big else args.runs
        for costs in args.costs.split(","):
            bench(
                recipients,
                donors,
                runs=runs,
                costs=costs,
                explain_runs=1 if big else args.explain_runs,
            )
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
