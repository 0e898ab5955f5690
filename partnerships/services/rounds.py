"""Programme rounds: an agency pairs many cities at once, within capacities and the budget.

A programme's agency (the members of its leading organization, and admins) opens a round;
member donors state how many new partnerships they can take (``default_capacity`` from their
profile until they do), member recipients apply. ``solve`` builds a ``RoundProblem`` from the
database (scores of the active run, pairs it does not store scored now in one batch), solves it
optimally and stably with the ``partnerships.rounds`` package, explains every left-out
recipient with remedies, and keeps the result (``RoundPair`` rows and ``Round.solution``) so
pages and the API read it without solving again. ``propose`` turns the chosen pairs into
proposed partnerships (each city then agrees through the two-sided steps) and tells both
cities' editors; proposing twice creates nothing new.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from bestpractices.models import BestPractice
from cities.models import City, PolicyArea
from matching.models import Match, MatchRun
from matching.services import score_pair_batch
from matching.vocabulary import COMPONENTS
from notifications.languages import Text

from .. import rounds as solver
from ..models import (
    Partnership,
    Programme,
    ProgrammeMembership,
    Round,
    RoundApplication,
    RoundCapacity,
    RoundDecision,
    RoundPair,
)
from ..permissions import can_act_for, edited_city_ids, organization_ids, require
from ..rounds.solver import solve_optimal_detail
from . import pipeline
from .notices import Kind, tell_city

MAX_CAPACITY = 50
# Default capacity: one partnership per five international staff (at least one), one more
# for 20 years of cooperation or more, at most five (RoundCapacity.capacity's help text).
STAFF_PER_PARTNERSHIP = 5
EXPERIENCED_YEARS = 20
DEFAULT_CAPACITY_MAX = 5
MATCH_FIELDS = (
    "id",
    "donor_id",
    "recipient_id",
    "score",
    "top_area_codes",
    "practices",
    *COMPONENTS,
)


# --- Who may do what --------------------------------------------------------------------------


def can_manage(user, programme: Programme) -> bool:
    """The programme's agency: members of its leading organization, and admins."""
    if not user.is_authenticated:
        return False
    return user.is_staff or programme.organization_id in organization_ids(user)


def require_manager(user, programme: Programme) -> None:
    require(
        can_manage(user, programme),
        _("Only the programme's agency (its organization's members) and admins manage rounds."),
    )


def member_ids(programme: Programme, *, donors: bool) -> list[int]:
    roles = (City.Role.DONOR, City.Role.BOTH) if donors else (City.Role.RECIPIENT, City.Role.BOTH)
    return list(
        ProgrammeMembership.objects.filter(
            programme=programme,
            status=ProgrammeMembership.Status.MEMBER,
            city__role__in=roles,
        )
        .order_by("city__name")
        .values_list("city_id", flat=True)
    )


def default_capacity(city: City) -> int:
    """What a donor can take when it has not said: its staff and experience."""
    base = max(1, city.international_staff // STAFF_PER_PARTNERSHIP)
    if city.years_of_cooperation >= EXPERIENCED_YEARS:
        base += 1
    return min(DEFAULT_CAPACITY_MAX, base)


# --- Opening and filling a round --------------------------------------------------------------


ROUND_FIELDS = (
    "title",
    "opens_on",
    "closes_on",
    "budget_usd",
    "expected_cost_usd",
    "costing",
    "max_partners",
)


def _check_round(round_: Round) -> None:
    round_.full_clean(exclude=["programme", "created_by", "solution"])
    if round_.budget_usd is not None and round_.expected_cost_usd is None:
        raise ValidationError(
            {
                "expected_cost_usd": _(
                    "A round with a budget needs the expected cost per partnership."
                )
            }
        )


@transaction.atomic
def open_round(
    *, user, programme: Programme, policy_areas: Iterable[PolicyArea] = (), **fields
) -> Round:
    """A new open round; every member donor gets its default capacity."""
    require_manager(user, programme)
    round_ = Round(programme=programme, created_by=user, **fields)
    _check_round(round_)
    round_.save()
    round_.policy_areas.set(list(policy_areas))
    add_member_donors(round_)
    return round_


@transaction.atomic
def update_round(
    *, user, round_: Round, policy_areas: Iterable[PolicyArea] | None = None, **fields
):
    require_manager(user, round_.programme)
    for name, value in fields.items():
        if name not in ROUND_FIELDS and name != "state":
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(round_, name, value)
    _check_round(round_)
    round_.save()
    if policy_areas is not None:
        round_.policy_areas.set(list(policy_areas))
    return round_


def add_member_donors(round_: Round) -> int:
    """Capacity rows for member donors that have none yet (joined since the round opened); a
    city that applied to the round as a recipient does not give in it."""
    have = set(round_.capacities.values_list("donor_id", flat=True))
    have |= set(round_.applications.values_list("recipient_id", flat=True))
    wanted = [pk for pk in member_ids(round_.programme, donors=True) if pk not in have]
    if not wanted:
        return 0
    rows = [
        RoundCapacity(round=round_, donor=city, capacity=default_capacity(city))
        for city in City.objects.filter(pk__in=wanted).only(
            "id", "international_staff", "years_of_cooperation"
        )
    ]
    RoundCapacity.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _require_not_closed(round_: Round) -> None:
    if round_.state == Round.State.CLOSED:
        raise ValidationError({"round": _("The round is closed.")})


@transaction.atomic
def set_capacity(*, user, round_: Round, donor: City, capacity: int) -> RoundCapacity:
    """The agency, or an editor of the donor, states the donor's capacity in the round."""
    require(
        can_manage(user, round_.programme) or can_act_for(user, donor.pk),
        _("Only the programme's agency and the donor's editors may change its capacity."),
    )
    _require_not_closed(round_)
    if donor.pk not in member_ids(round_.programme, donors=True):
        raise ValidationError(
            {"donor": _("%(city)s is not a member donor of the programme.") % {"city": donor.name}}
        )
    if (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 0 <= capacity <= MAX_CAPACITY
    ):
        raise ValidationError(
            {"capacity": _("Give a whole number from 0 to %(most)s.") % {"most": MAX_CAPACITY}}
        )
    row, _created = RoundCapacity.objects.update_or_create(
        round=round_, donor=donor, defaults={"capacity": capacity}
    )
    return row


@transaction.atomic
def apply_to_round(*, user, round_: Round, recipient: City) -> tuple[RoundApplication, bool]:
    """A member recipient applies (an editor of it, or the agency); applying again changes
    nothing. Returns the application and whether it is new."""
    require(
        can_manage(user, round_.programme) or can_act_for(user, recipient.pk),
        _("Only editors of %(city)s and the programme's agency may apply for it.")
        % {"city": recipient.name},
    )
    if round_.state != Round.State.OPEN:
        raise ValidationError({"round": _("The round no longer takes applications.")})
    if recipient.pk not in member_ids(round_.programme, donors=False):
        raise ValidationError(
            {
                "recipient": _("%(city)s is not a member recipient of %(programme)s.")
                % {"city": recipient.name, "programme": round_.programme.name}
            }
        )
    # A city both giving and receiving help applies as a recipient: it gives nothing here.
    RoundCapacity.objects.filter(round=round_, donor=recipient).delete()
    return RoundApplication.objects.get_or_create(
        round=round_, recipient=recipient, defaults={"applied_by": user}
    )


DECISIONS = ("lock", "rule_out", "clear")


@transaction.atomic
def decide(*, user, round_: Round, donor: City, recipient: City, decision: str) -> None:
    """Lock a pair in, rule it out, or clear the agency's decision on it."""
    require_manager(user, round_.programme)
    _require_not_closed(round_)
    if decision not in DECISIONS:
        raise ValidationError(
            {"decision": _("Choose lock, rule_out or clear, not %(value)r.") % {"value": decision}}
        )
    if not round_.capacities.filter(donor=donor).exists():
        raise ValidationError(
            {"donor": _("%(city)s is not a donor of this round.") % {"city": donor.name}}
        )
    if not round_.applications.filter(recipient=recipient).exists():
        raise ValidationError(
            {"recipient": _("%(city)s has not applied to this round.") % {"city": recipient.name}}
        )
    if decision == "clear":
        RoundDecision.objects.filter(round=round_, donor=donor, recipient=recipient).delete()
        return
    RoundDecision.objects.update_or_create(
        round=round_,
        donor=donor,
        recipient=recipient,
        defaults={"kind": decision, "decided_by": user},
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
    _require_not_closed(round_)
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
    _require_not_closed(round_)
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


# --- Reading a round --------------------------------------------------------------------------


def visible_city_ids(user, round_: Round) -> set[int] | None:
    """None: the agency sees every pair; else the cities whose pairs the user may see."""
    if can_manage(user, round_.programme):
        return None
    return edited_city_ids(user)


def pairs_for(user, round_: Round, method: str = RoundPair.Method.OPTIMAL):
    """The kept pairs of one method the user may see, with both cities and the partnership:
    one query."""
    rows = (
        RoundPair.objects.filter(round=round_, method=method)
        .select_related("donor", "recipient", "partnership")
        .order_by("-score", "donor__name", "recipient__name")
    )
    mine = visible_city_ids(user, round_)
    if mine is not None:
        rows = rows.filter(Q(donor_id__in=mine) | Q(recipient_id__in=mine))
    return rows


def left_out_for(user, round_: Round) -> list[dict]:
    entries = round_.solution.get("left_out", [])
    mine = visible_city_ids(user, round_)
    if mine is None:
        return list(entries)
    return [entry for entry in entries if entry["recipient"] in mine]


# --- Words --------------------------------------------------------------------------------------


def _listing(names: list[str]) -> str:
    return _(", ").join(names)


def left_out_sentence(entry: dict, names: dict[int, str], *, budget_left: int | None) -> str:
    """Why a recipient is out, in the reader's language."""
    city = names.get(entry["recipient"], str(entry["recipient"]))
    donors = _listing([names.get(d, str(d)) for d in entry.get("donors", [])])
    parts = []
    for reason in entry.get("reasons", []):
        if reason == solver.LeftOutReason.DONORS_FULL:
            parts.append(
                _(
                    "its better donors' capacity is used by pairs with higher total value (%(donors)s)"
                )
                % {"donors": donors}
            )
        elif reason == solver.LeftOutReason.NO_CAPACITY:
            parts.append(
                _("its donors can take no new partnerships (%(donors)s)") % {"donors": donors}
            )
        elif reason == solver.LeftOutReason.BUDGET_SPENT:
            parts.append(
                _(
                    "the budget is spent: USD %(left)s is left and its cheapest pair costs USD %(cost)s"
                )
                % {"left": f"{budget_left or 0:,}", "cost": f"{entry.get('cheapest_usd') or 0:,}"}
            )
        elif reason == solver.LeftOutReason.BUDGET_REFUSED:
            parts.append(_("the budget could not take its pairs"))
        elif reason == solver.LeftOutReason.RULED_OUT:
            parts.append(_("the agency ruled out its pairs"))
        elif reason == solver.LeftOutReason.OUTSIDE_AREAS:
            parts.append(_("none of its matches is in the round's areas"))
        elif reason == solver.LeftOutReason.TOO_EXPENSIVE:
            parts.append(_("each of its matches costs more than the whole budget"))
        elif reason == solver.LeftOutReason.ZERO_SCORE:
            parts.append(_("its matches score 0"))
        elif reason == solver.LeftOutReason.NO_SCORED_PAIR:
            parts.append(_("no donor of the round fits its needs"))
        elif reason == solver.LeftOutReason.NO_PLACES:
            parts.append(_("the round allows it no partner"))
        else:
            parts.append(_("the assignment chose none of its pairs"))
    return _("%(city)s is left out: %(reasons)s.") % {"city": city, "reasons": _("; ").join(parts)}


def remedy_sentence(remedy: dict, recipient: str, names: dict[int, str]) -> str:
    if remedy["kind"] == solver.RemedyKind.CAPACITY:
        return _("Raise %(donor)s's capacity to %(capacity)s to include %(recipient)s.") % {
            "donor": names.get(remedy["donor"], str(remedy["donor"])),
            "capacity": remedy["capacity"],
            "recipient": recipient,
        }
    return _("A budget of USD %(budget)s would include %(recipient)s.") % {
        "budget": f"{remedy['budget_usd']:,}",
        "recipient": recipient,
    }


def infeasible_sentence(reason: dict, names: dict[int, str]) -> str:
    pairs = _listing(
        [f"{names.get(d, str(d))} → {names.get(r, str(r))}" for d, r in reason.get("pairs", [])]
    )
    city = names.get(reason.get("city") or 0, "")
    constraint = reason["constraint"]
    if constraint == solver.Constraint.DONOR_CAPACITY:
        return ngettext(
            "%(city)s can take %(limit)s new partnership, but %(required)s are locked: %(pairs)s.",
            "%(city)s can take %(limit)s new partnerships, but %(required)s are locked: %(pairs)s.",
            reason["limit"],
        ) % {"city": city, "limit": reason["limit"], "required": reason["required"], "pairs": pairs}
    if constraint == solver.Constraint.RECIPIENT_MAX:
        return ngettext(
            "%(city)s may have %(limit)s partner, but %(required)s are locked: %(pairs)s.",
            "%(city)s may have %(limit)s partners, but %(required)s are locked: %(pairs)s.",
            reason["limit"],
        ) % {"city": city, "limit": reason["limit"], "required": reason["required"], "pairs": pairs}
    if constraint == solver.Constraint.BUDGET:
        return _(
            "The locked pairs cost USD %(required)s together, more than the budget of "
            "USD %(limit)s: %(pairs)s."
        ) % {"required": f"{reason['required']:,}", "limit": f"{reason['limit']:,}", "pairs": pairs}
    if constraint == solver.Constraint.AREAS:
        return _("%(pairs)s is locked, but it serves none of the round's areas.") % {"pairs": pairs}
    if constraint == solver.Constraint.EXCLUDED:
        return _("%(pairs)s is both locked and ruled out.") % {"pairs": pairs}
    return _("%(pairs)s is locked, but the pair has no match score.") % {"pairs": pairs}


def city_names(round_: Round) -> dict[int, str]:
    """Names of every city the round's solution mentions: one query."""
    solution = round_.solution or {}
    ids: set[int] = set()
    for entry in solution.get("left_out", []):
        ids.add(entry["recipient"])
        ids.update(entry.get("donors", []))
        ids.update(r["donor"] for r in entry.get("remedies", []) if r.get("donor"))
    for reason in solution.get("infeasible", []):
        ids.update(city for pair in reason.get("pairs", []) for city in pair)
        if reason.get("city"):
            ids.add(reason["city"])
    for key in ("only_optimal", "only_stable"):
        ids.update(city for pair in solution.get(key, []) for city in pair)
    if not ids:
        return {}
    return dict(City.objects.filter(pk__in=ids).values_list("id", "name"))


def explained_left_out(user, round_: Round, names: dict[int, str]) -> list[dict]:
    """The left-out recipients the user may see, each with its sentence and remedies."""
    budget_left = (round_.solution or {}).get("budget_left_usd")
    result = []
    for entry in left_out_for(user, round_):
        name = names.get(entry["recipient"], str(entry["recipient"]))
        result.append(
            {
                **entry,
                "name": name,
                "message": left_out_sentence(entry, names, budget_left=budget_left),
                "remedy_messages": [remedy_sentence(r, name, names) for r in entry["remedies"]],
            }
        )
    return result


def infeasible_messages(round_: Round, names: dict[int, str]) -> list[str]:
    return [
        infeasible_sentence(reason, names)
        for reason in (round_.solution or {}).get("infeasible", [])
    ]


# --- Export -------------------------------------------------------------------------------------

CSV_HEADER = [
    "status",
    "method",
    "donor",
    "donor_country",
    "recipient",
    "recipient_country",
    "score",
    "cost_usd",
    "locked",
    "areas",
    "partnership",
    "reason",
    "remedies",
]


def csv_rows(user, round_: Round) -> list[dict]:
    """The round as rows: every chosen pair of both methods, then every left-out recipient."""
    rows: list[dict] = []
    for method in RoundPair.Method.values:
        for pair in pairs_for(user, round_, method):
            rows.append(
                {
                    "status": "chosen",
                    "method": method,
                    "donor": pair.donor.name,
                    "donor_country": pair.donor.country,
                    "recipient": pair.recipient.name,
                    "recipient_country": pair.recipient.country,
                    "score": pair.score,
                    "cost_usd": pair.cost_usd,
                    "locked": "yes" if pair.locked else "no",
                    "areas": " ".join(pair.areas),
                    "partnership": pair.partnership.status if pair.partnership else "",
                }
            )
    names = city_names(round_)
    for entry in explained_left_out(user, round_, names):
        rows.append(
            {
                "status": "left_out",
                "method": RoundPair.Method.OPTIMAL,
                "recipient": entry["name"],
                "reason": entry["message"],
                "remedies": " ".join(entry["remedy_messages"]),
            }
        )
    return rows
