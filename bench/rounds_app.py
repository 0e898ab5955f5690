"""A programme round solved through the service, on real database rows: prints figures, never
a test.

It loads the demo cities (``--cities``, curated and synthetic GeoNames ones) and scores them
once (kept for the next bench unless ``--reload``), then opens a round of R recipients × D
donors among them (the recipients and donors with the most policy areas, all programme
members, capacities from their profiles, one partner per recipient, a budget of 60 % of what
capacity allows) and times, median of ``--runs``:

- first build: the round's rows, the active run's matches of its pairs (read) and the pairs
  the run does not store scored in one batch (score now); then the same from the process's
  cache of scored pairs (cached build), as every later solve of the round reads it;
- service solve: ``services.rounds.solve`` as the page's button runs it (build, optimal,
  stable, left-out reasons and the remedies found in ``REMEDY_SECONDS``, writing the result),
  first, then again after the agency locks a pair, rules one out and raises a capacity;
- thorough: the same with every remedy searched.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_bench_rounds \\
        .venv/bin/python bench/rounds_app.py --sizes 200x50

Target: a 200 × 50 round re-solves in under a second.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import api as api_bench  # noqa: E402  (bench/api.py: the database set-up shared by benches)

T = TypeVar("T")


def median(work: Callable[[], T], runs: int) -> tuple[float, T]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def open_round(recipients: int, donors: int):
    """A programme with the cities of the round as members, and the round, fresh each time."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from cities.models import City, Organization
    from partnerships.models import Programme, ProgrammeMembership, RoundApplication
    from partnerships.services import rounds

    def busiest(roles: tuple[str, ...], count: int) -> list[City]:
        return list(
            City.objects.filter(role__in=roles)
            .annotate(areas=Count("area_levels"))
            .order_by("-areas", "pk")[:count]
        )

    donor_cities = busiest((City.Role.DONOR,), donors)
    taken = {c.pk for c in donor_cities}
    recipient_cities = [
        c for c in busiest((City.Role.RECIPIENT,), recipients + donors) if c.pk not in taken
    ][:recipients]
    user, _ = get_user_model().objects.get_or_create(username="bench-agency", is_staff=True)
    organization, _ = Organization.objects.get_or_create(
        slug="bench-agency", defaults={"name": "Bench agency", "kind": "national_agency"}
    )
    Programme.objects.filter(slug="bench-round").delete()
    programme = Programme.objects.create(
        name="Bench round", slug="bench-round", organization=organization
    )
    ProgrammeMembership.objects.bulk_create(
        ProgrammeMembership(programme=programme, city=city, status="member")
        for city in [*donor_cities, *recipient_cities]
    )
    round_ = rounds.open_round(
        user=user,
        programme=programme,
        title=f"{recipients} x {donors}",
        opens_on=datetime.date(2027, 1, 1),
        closes_on=datetime.date(2027, 3, 31),
        expected_cost_usd=50_000,
    )
    capacity = sum(round_.capacities.values_list("capacity", flat=True))
    round_.budget_usd = int(min(capacity, recipients) * 0.6) * 50_000
    round_.save()
    RoundApplication.objects.bulk_create(
        RoundApplication(round=round_, recipient=city) for city in recipient_cities
    )
    return user, round_


def bench(recipients: int, donors: int, runs: int) -> None:
    from partnerships.services import rounds

    user, round_ = open_round(recipients, donors)

    def build_fresh():
        rounds.solving._pair_cache.clear()
        return rounds.build_inputs(round_)

    fresh_s, inputs = median(build_fresh, runs)
    timings = inputs.timings
    cached_s, inputs = median(lambda: rounds.build_inputs(round_), runs)
    first_s, solved = median(lambda: rounds.solve(user=user, round_=round_), 1)
    optimal = solved.optimal
    chosen = [c for c in optimal.pairs if not c.locked]
    left = [item.recipient_id for item in solved.explanations.left_out]
    cities = inputs.cities
    problem = inputs.problem
    if chosen:
        rounds.decide(
            user=user,
            round_=round_,
            donor=cities[chosen[0].donor_id],
            recipient=cities[chosen[0].recipient_id],
            decision="rule_out",
        )
    options = [o for o in problem.pairs if left and o.recipient_id == left[0]]
    if options:
        best = max(options, key=lambda o: o.score or 0)
        donor, recipient = cities[best.donor_id], cities[best.recipient_id]
        rounds.decide(user=user, round_=round_, donor=donor, recipient=recipient, decision="lock")
        capacity = round_.capacities.get(donor=donor).capacity
        rounds.set_capacity(user=user, round_=round_, donor=donor, capacity=capacity + 1)
    resolve_s, resolved = median(lambda: rounds.solve(user=user, round_=round_), runs)
    steps = resolved.timings
    thorough_s, thorough = median(lambda: rounds.solve(user=user, round_=round_, thorough=True), 1)
    print(
        f"{recipients:>5} x {donors:<4} {len(problem.pairs):>6} pairs "
        f"({inputs.scored_now} scored now) | first build {fresh_s:.3f} s "
        f"(read {timings['read']:.3f} s, score now {timings['score_now']:.3f} s), "
        f"cached build {cached_s:.3f} s"
    )
    print(
        f"{'':>20} service solve: first {first_s:.3f} s; re-solve after a lock, a rule-out "
        f"and a capacity {resolve_s:.3f} s (optimal {steps['optimal']:.3f} s, stable "
        f"{steps['stable']:.3f} s, explain {steps['explain']:.3f} s, write pairs "
        f"{steps['write']:.3f} s); thorough remedies "
        f"{thorough_s:.3f} s"
    )
    print(
        f"{'':>20} optimal {optimal.total_score:,.1f} ({len(optimal.pairs)} pairs, USD "
        f"{optimal.total_cost_usd:,}), stable {solved.stable.total_score:,.1f}, "
        f"{len(left)} left out; re-solved {resolved.optimal.status} "
        f"{resolved.optimal.total_score:,.1f}, remedies for "
        f"{sum(1 for i in resolved.explanations.left_out if i.remedies)} left out "
        f"(thorough: {sum(1 for i in thorough.explanations.left_out if i.remedies)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50x10,200x50")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--cities", type=int, default=2000, help="demo cities to load")
    parser.add_argument("--reload", action="store_true", help="load and score the cities again")
    parser.add_argument(
        "--database",
        default=os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cm_bench_rounds"
        ),
    )
    args = parser.parse_args()
    api_bench.setup(args.database)
    api_bench.load(args.cities, reload=args.reload)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for size in args.sizes.split(","):
        recipients, donors = (int(part) for part in size.lower().split("x"))
        bench(recipients, donors, args.runs)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
