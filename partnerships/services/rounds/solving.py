"""Solving a round from the database, keeping its solution, and proposing its partnerships."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bestpractices.models import BestPractice
from cities.models import City, PolicyArea
from matching.models import Match, MatchRun
from matching.services import score_pair_batch
from matching.vocabulary import COMPONENTS
from notifications.languages import Text

from ... import rounds as solver
from ...models import (
    Partnership,
    Round,
    RoundApplication,
    RoundCapacity,
    RoundDecision,
    RoundPair,
)
from ...rounds.solver import solve_optimal_detail
from .. import pipeline
from ..notices import Kind, tell_city
from .managing import add_member_donors, require_manager, require_not_closed

MATCH_FIELDS = (
    "id",
    "donor_id",
    "recipient_id",
    "score",
    "top_area_codes",
    "practices",
    *COMPONENTS,
)

# --- From the database to the solver ---------------------------------------------------------


@dataclass
class RoundInputs:
    """The round as the solver sees it, and the match behind each pair."""

    problem: solver.RoundProblem
    matches: dict[tuple[int, int], Match]
    stored: set[tuple[int, int]]
    cities: dict[int, City]
    scored_now: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _area_codes(match: Match) -> frozenset[str]:
    return frozenset((match.top_area_codes or "").split())


def _practice_costs(matches: Iterable[Match]) -> dict[int, int]:
    """Practice id → its cost (amount, else the middle of its range), in one query."""
    ids = {int(item[0]) for match in matches for item in (match.practices or []) if item}
    if not ids:
        return {}
    costs = {}
    for practice in BestPractice.objects.filter(pk__in=ids).only(
        "id", "cost_usd", "cost_min_usd", "cost_max_usd"
    ):
        cost = practice.cost
        if cost is not None:
            costs[practice.pk] = round(cost)
    return costs


# The round's scored pairs, per process, by round, active run, members and their last profile
# edit: re-solving after the agency's edits (locks, capacities) reads no match again.
PAIR_CACHE_SIZE = 4


@dataclass
class _ScoredPairs:
    matches: dict[tuple[int, int], Match]
    stored: set[tuple[int, int]]
    # The pairs as the solver takes them when every pair costs the expected cost (practices'
    # costs are read again at each solve: a curator may change them).
    options: tuple[solver.PairOption, ...] | None = None


_pair_cache: dict[tuple, _ScoredPairs] = {}


def build_inputs(round_: Round) -> RoundInputs:
    """The round's ``RoundProblem``: donors and their capacities, applicants, decisions, the
    pairs' scores from the active run (the others scored now, in one batch), costs and areas."""
    started = time.perf_counter()
    capacities = {row.donor_id: row.capacity for row in RoundCapacity.objects.filter(round=round_)}
    recipients = list(
        RoundApplication.objects.filter(round=round_).values_list("recipient_id", flat=True)
    )
    cities = {
        city.pk: city
        for city in City.objects.filter(pk__in=[*capacities, *recipients]).only(
            "id", "name", "slug", "country", "role", "updated_at"
        )
    }
    donors = sorted(capacities)
    recipients = sorted(recipients)
    decisions = list(
        RoundDecision.objects.filter(round=round_).values_list("donor_id", "recipient_id", "kind")
    )
    areas = [area.code for area in round_.policy_areas.all()]
    run = MatchRun.objects.active()
    key = (
        round_.pk,
        run.pk if run else None,
        tuple(donors),
        tuple(recipients),
        max((city.updated_at for city in cities.values()), default=None),
    )
    cached = _pair_cache.get(key)
    if cached is not None:
        matches, stored = cached.matches, cached.stored
        read = scored = time.perf_counter()
    else:
        matches = {}
        if donors and recipients:
            for match in (
                Match.objects.filter(run=run, donor_id__in=donors, recipient_id__in=recipients)
                .only(*MATCH_FIELDS)
                .order_by()
            ):
                matches[(match.donor_id, match.recipient_id)] = match
        stored = set(matches)
        read = time.perf_counter()
        missing = [(d, r) for d in donors for r in recipients if d != r and (d, r) not in matches]
        matches.update(score_pair_batch(missing))
        scored = time.perf_counter()
        if len(_pair_cache) >= PAIR_CACHE_SIZE:
            _pair_cache.pop(next(iter(_pair_cache)))
        cached = _pair_cache[key] = _ScoredPairs(matches, stored)
    costs = _practice_costs(matches.values()) if round_.costing == Round.Costing.PRACTICES else {}

    def cost_of(match: Match) -> int | None:
        if round_.costing != Round.Costing.PRACTICES:
            return None
        known = [
            costs[int(item[0])]
            for item in (match.practices or [])
            if item and int(item[0]) in costs
        ]
        return min(known) if known else None

    practices = round_.costing == Round.Costing.PRACTICES
    pairs = None if practices else cached.options
    if pairs is None:
        pairs = tuple(
            solver.PairOption(
                donor_id=d,
                recipient_id=r,
                score=float(match.score),
                cost_usd=cost_of(match),
                areas=_area_codes(match),
                reciprocity=float(match.reciprocity),
                breakdown_id=(d, r),
            )
            for (d, r), match in sorted(matches.items())
        )
        if not practices:
            cached.options = pairs
    problem = solver.RoundProblem(
        recipients=tuple(recipients),
        donors=tuple(donors),
        pairs=pairs,
        capacity=dict(capacities.items()),
        recipient_max=round_.max_partners,
        budget_usd=round_.budget_usd,
        expected_cost_usd=round_.expected_cost_usd,
        areas=frozenset(areas) if areas else None,
        locked=frozenset((d, r) for d, r, kind in decisions if kind == RoundDecision.Kind.LOCK),
        excluded=frozenset(
            (d, r) for d, r, kind in decisions if kind == RoundDecision.Kind.RULE_OUT
        ),
        names={pk: city.name for pk, city in cities.items()},
    )
    return RoundInputs(
        problem=problem,
        matches=matches,
        stored=stored,
        cities=cities,
        scored_now=len(matches) - len(stored),
        timings={"read": read - started, "score_now": scored - read},
    )


# --- Solving ----------------------------------------------------------------------------------


@dataclass
class Solved:
    inputs: RoundInputs
    optimal: solver.Assignment
    stable: solver.Assignment
    explanations: solver.Explanations
    comparison: solver.Comparison
    timings: dict[str, float]
    remedies_complete: bool = True


# Remedies solve the round again once per change tried: they get what is left of this many
# seconds once the round itself is solved (a big round solved again after the agency's edits
# stays about as quick as its first solve); ``explain_fully`` tries every change.
REMEDY_SECONDS = 0.4
CAPACITY_SOLVES = 16
BUDGET_SOLVES = 3


def solve_inputs(inputs: RoundInputs, *, remedy_seconds: float | None = REMEDY_SECONDS) -> Solved:
    """Both methods, the comparison and the explanations of the optimal assignment, with
    remedies found within ``remedy_seconds`` (None: every change ``explain`` tries)."""
    started = time.perf_counter()
    detail = solve_optimal_detail(inputs.problem)
    optimal = detail.assignment
    solved = time.perf_counter()
    stable = solver.solve_stable(inputs.problem)
    stabled = time.perf_counter()
    capacity_solves, budget_solves = CAPACITY_SOLVES, BUDGET_SOLVES
    if remedy_seconds is not None:
        affordable = int(remedy_seconds / max(solved - started, 1e-3))
        budget_solves = min(BUDGET_SOLVES, affordable // 4)
        # Budget remedies also solve once without the budget.
        spare = affordable - budget_solves - (1 if budget_solves else 0)
        capacity_solves = max(0, min(CAPACITY_SOLVES, spare))
    explanations = solver.explain(
        inputs.problem,
        optimal,
        detail=detail,
        max_capacity_solves=capacity_solves,
        max_budget_solves=budget_solves,
    )
    explained = time.perf_counter()
    return Solved(
        inputs=inputs,
        optimal=optimal,
        stable=stable,
        explanations=explanations,
        comparison=solver.compare(optimal, stable),
        timings={
            **inputs.timings,
            "optimal": solved - started,
            "stable": stabled - solved,
            "explain": explained - stabled,
        },
        remedies_complete=(capacity_solves, budget_solves) == (CAPACITY_SOLVES, BUDGET_SOLVES),
    )


def _pair_list(pairs: Iterable) -> list[list[int]]:
    return [[int(d), int(r)] for d, r in pairs]


def _solution(solved: Solved) -> dict:
    problem, optimal, stable = solved.inputs.problem, solved.optimal, solved.stable
    spent = optimal.total_cost_usd
    cheapest: dict[solver.CityId, int] = {}
    for option in problem.pairs:
        if option.scored:
            cost = problem.cost_of(option)
            cheapest[option.recipient_id] = min(cost, cheapest.get(option.recipient_id, cost))
    left_out = []
    for item in solved.explanations.left_out:
        left_out.append(
            {
                "recipient": int(item.recipient_id),
                "reasons": [str(reason) for reason in item.reasons],
                "donors": [int(d) for d in item.donor_ids],
                "cheapest_usd": cheapest.get(item.recipient_id),
                "remedies": [
                    {
                        "kind": str(remedy.kind),
                        "donor": int(remedy.donor_id) if remedy.donor_id is not None else None,
                        "capacity": remedy.capacity,
                        "budget_usd": remedy.budget_usd,
                        "least": remedy.least,
                    }
                    for remedy in item.remedies
                ],
            }
        )
    return {
        "status": str(optimal.status),
        "optimal": {
            "total_score": round(optimal.total_score, 1),
            "total_cost_usd": optimal.total_cost_usd,
            "pairs": len(optimal.pairs),
        },
        "stable": {
            "status": str(stable.status),
            "total_score": round(stable.total_score, 1),
            "total_cost_usd": stable.total_cost_usd,
            "pairs": len(stable.pairs),
            "budget_bound": stable.budget_bound,
        },
        "only_optimal": _pair_list(c.pair for c in solved.comparison.only_in_first),
        "only_stable": _pair_list(c.pair for c in solved.comparison.only_in_second),
        "budget_left_usd": (problem.budget_usd - spent) if problem.budget_usd is not None else None,
        "infeasible": [
            {
                "constraint": str(reason.constraint),
                "pairs": _pair_list(reason.pairs),
                "city": int(reason.city_id) if reason.city_id is not None else None,
                "limit": reason.limit,
                "required": reason.required,
            }
            for reason in optimal.infeasible_reasons
        ],
        "left_out": left_out,
        "remedies_complete": solved.remedies_complete,
        "counts": {
            "donors": len(problem.donors),
            "recipients": len(problem.recipients),
            "pairs": len(problem.pairs),
            "scored_now": solved.inputs.scored_now,
        },
        "seconds": {name: round(value, 4) for name, value in solved.timings.items()},
    }


def _pair_rows(
    round_: Round, solved: Solved, keep: dict[tuple[int, int], int | None]
) -> list[RoundPair]:
    rows = []
    for method, assignment in (
        (RoundPair.Method.OPTIMAL, solved.optimal),
        (RoundPair.Method.STABLE, solved.stable),
    ):
        for chosen in assignment.pairs:
            pair = (int(chosen.donor_id), int(chosen.recipient_id))
            match = solved.inputs.matches[pair]
            rows.append(
                RoundPair(
                    round=round_,
                    method=method,
                    donor_id=pair[0],
                    recipient_id=pair[1],
                    score=chosen.score,
                    cost_usd=chosen.cost_usd,
                    locked=chosen.locked,
                    components={name: float(getattr(match, name)) for name in COMPONENTS},
                    areas=sorted(_area_codes(match)),
                    stored=pair in solved.inputs.stored,
                    partnership_id=keep.get(pair),
                )
            )
    return rows


@transaction.atomic
def solve(*, user, round_: Round, thorough: bool = False) -> Solved:
    """Solve the round again from the database and keep the result; ``thorough`` searches
    every remedy however long it takes (``REMEDY_SECONDS`` otherwise)."""
    require_manager(user, round_.programme)
    given, round_ = round_, Round.objects.select_for_update().get(pk=round_.pk)
    require_not_closed(round_)
    add_member_donors(round_)
    solved = solve_inputs(build_inputs(round_), remedy_seconds=None if thorough else REMEDY_SECONDS)
    keep = {
        (row.donor_id, row.recipient_id): row.partnership_id
        for row in round_.pairs.filter(partnership__isnull=False)
    }
    written = time.perf_counter()
    round_.pairs.all().delete()
    RoundPair.objects.bulk_create(_pair_rows(round_, solved, keep))
    solved.timings["write"] = time.perf_counter() - written
    round_.solution = _solution(solved)
    round_.solved_at = timezone.now()
    round_.save(update_fields=["solution", "solved_at", "updated_at"])
    given.solution, given.solved_at = round_.solution, round_.solved_at
    return solved


# --- Proposing the partnerships ---------------------------------------------------------------


@dataclass
class Proposed:
    created: list[Partnership]
    existing: int


@transaction.atomic
def propose(*, user, round_: Round, method: str = RoundPair.Method.OPTIMAL) -> Proposed:
    """Proposed partnerships for the pairs the method chose; both cities' editors are told.

    Each partnership starts "proposed": one city proposes agreeing, the other confirms
    (``services.steps``). A pair already proposed, or already in an open partnership, gets
    nothing new, so proposing twice creates nothing.
    """
    require_manager(user, round_.programme)
    round_ = Round.objects.select_for_update().select_related("programme").get(pk=round_.pk)
    require_not_closed(round_)
    if method not in RoundPair.Method.values:
        raise ValidationError({"method": _("Choose optimal or stable.")})
    if not round_.solved_at:
        raise ValidationError({"round": _("Solve the round before proposing its partnerships.")})
    if round_.solution.get("status") == solver.Status.INFEASIBLE:
        raise ValidationError(
            {"round": _("The round is infeasible: change the locked pairs and solve it again.")}
        )
    rows = list(
        round_.pairs.filter(method=method).select_related("donor", "recipient").order_by("-score")
    )
    codes = {code for row in rows for code in row.areas}
    areas = {area.code: area for area in PolicyArea.objects.filter(code__in=codes)}
    funded = set(round_.policy_areas.values_list("code", flat=True))
    created: list[Partnership] = []
    existing = 0
    for row in rows:
        if row.partnership_id is not None:
            existing += 1
            continue
        found = pipeline.open_partnership_between(row.donor_id, row.recipient_id)
        if found is None:
            chosen = [areas[c] for c in row.areas if c in areas and (not funded or c in funded)]
            found = pipeline.create_proposed(
                user=user,
                donor=row.donor,
                recipient=row.recipient,
                policy_areas=chosen or [areas[c] for c in row.areas if c in areas],
                reasons=_("Proposed by %(programme)s in its round “%(round)s” (score %(score)s).")
                % {
                    "programme": round_.programme.name,
                    "round": round_.title,
                    "score": number_format(row.score, 1),
                },
                programme=round_.programme,
            )
            created.append(found)
            _tell_both(round_, found, user)
        else:
            existing += 1
        row.partnership = found
        row.save(update_fields=["partnership"])
    if round_.state == Round.State.OPEN:
        round_.state = Round.State.PROPOSED
        round_.save(update_fields=["state", "updated_at"])
    return Proposed(created=created, existing=existing)


def _tell_both(round_: Round, partnership: Partnership, user) -> None:
    title = Text(
        gettext_lazy(
            "%(programme)s proposes a partnership of %(donor)s and %(recipient)s: "
            "agree to it with the other city"
        ),
        programme=round_.programme.name,
        donor=partnership.donor.name,
        recipient=partnership.recipient.name,
    )
    body = Text(
        gettext_lazy(
            "Round “%(round)s”. One city proposes agreeing, an editor of the other confirms."
        ),
        round=round_.title,
    )
    for city_id in partnership.city_ids:
        tell_city(
            city_id,
            kind=Kind.STEP_WAITING,
            target=partnership,
            title=title,
            body=body,
            url=partnership.get_absolute_url(),
            key=f"round-{round_.pk}-partnership-{partnership.pk}-city-{city_id}",
            exclude=user,
        )
