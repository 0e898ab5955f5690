"""Why a match scores what it scores, in numbers and in plain sentences.

Everything here works on objects the view already loaded (no query), so the match page and the
citizen brief cost the same few queries whatever the match.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cities.models import City, CityAreaLevel
from cities.profile import EXPERTISE_LABELS, NEED_LABELS

from ..models import COMPONENTS, DEFAULT_WEIGHTS, Match
from .common import language_name

DEFAULT_COST_USD = 250_000
# Practitioners advise to start small, with one or two projects: the action list draws on at
# most this many practices.
PRACTICES_IN_ACTION_LIST = 2
STEPS_IN_BRIEF = 3

COMPONENT_TEXT: dict[str, tuple[str, str]] = {
    "need_fit": (
        "Need fit",
        "How much of what the recipient needs the donor can offer, weighted by the "
        "recipient's priorities.",
    ),
    "evidence": (
        "Evidence",
        "Share of the recipient's needs for which the donor has a published best practice.",
    ),
    "reciprocity": (
        "Reciprocity",
        "What the donor learns back from the recipient, plus the business case for the "
        "donor's firms.",
    ),
    "size": ("Similar size", "1 when both cities have the same population; lower as they differ."),
    "industry": ("Similar economy", "How alike the two economies are, sector by sector."),
    "capacity": (
        "Capacity",
        "Can the donor lend experienced staff, and can the recipient absorb the help?",
    ),
    "budget": (
        "Budget",
        "The donor's budget plus the recipient's co-funding, against the cost of a typical "
        "practice.",
    ),
    "language": ("Shared language", "1 when the two cities share a working language."),
}


def usd(amount: float | int | None) -> str:
    if amount is None:
        return "unknown"
    return f"USD {amount:,.0f}"


@dataclass(frozen=True)
class ComponentBar:
    name: str
    label: str
    help: str
    value: float
    weight: float
    points: float

    @property
    def percent(self) -> float:
        return round(max(0.0, min(1.0, self.value)) * 100, 1)

    @property
    def weight_percent(self) -> int:
        return round(self.weight * 100)


def run_weights(match: Match) -> dict[str, float]:
    """The weights the match's run used (the run keeps a copy), normalised to sum to 1."""
    snapshot: Any = match.run.weights if match.run_id else {}
    weights = snapshot.get("weights", snapshot) if isinstance(snapshot, dict) else {}
    used = {name: float(weights.get(name, DEFAULT_WEIGHTS[name])) for name in COMPONENTS}
    total = sum(used.values()) or 1.0
    return {name: value / total for name, value in used.items()}


def component_bars(match: Match) -> list[ComponentBar]:
    weights = run_weights(match)
    return [
        ComponentBar(
            name=name,
            label=COMPONENT_TEXT[name][0],
            help=COMPONENT_TEXT[name][1],
            value=getattr(match, name),
            weight=weights[name],
            points=round(100 * weights[name] * getattr(match, name), 1),
        )
        for name in COMPONENTS
    ]


Levels = dict[tuple[int, str], CityAreaLevel]


def levels_by_city(rows: Iterable[CityAreaLevel]) -> Levels:
    return {(row.city_id, row.policy_area.code): row for row in rows}


def _level(levels: Levels, city: City, code: str) -> tuple[int, int]:
    row = levels.get((city.pk, code))
    return (row.expertise, row.need) if row else (0, 0)


@dataclass(frozen=True)
class AreaRow:
    code: str
    name: str
    donor_expertise: int
    donor_need: int
    recipient_expertise: int
    recipient_need: int

    @property
    def donor_expertise_label(self) -> str:
        return EXPERTISE_LABELS.get(self.donor_expertise, "")

    @property
    def recipient_need_label(self) -> str:
        return NEED_LABELS.get(self.recipient_need, "")

    @property
    def recipient_expertise_label(self) -> str:
        return EXPERTISE_LABELS.get(self.recipient_expertise, "")

    @property
    def donor_need_label(self) -> str:
        return NEED_LABELS.get(self.donor_need, "")


def area_rows(match: Match, codes: Sequence[str], names: dict[str, str], levels: Levels):
    rows = []
    for code in codes:
        donor_expertise, donor_need = _level(levels, match.donor, code)
        recipient_expertise, recipient_need = _level(levels, match.recipient, code)
        rows.append(
            AreaRow(
                code=code,
                name=names.get(code, code),
                donor_expertise=donor_expertise,
                donor_need=donor_need,
                recipient_expertise=recipient_expertise,
                recipient_need=recipient_need,
            )
        )
    return rows


def top_area_codes(match: Match) -> list[str]:
    return [item["area"] for item in match.top_areas or [] if item.get("area")]


def _join(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


@dataclass
class PracticeEvidence:
    """The donor's published practices that bear on this match, and what they teach."""

    relevant: list[Any] = field(default_factory=list)
    median_cost: float | None = None

    @property
    def action_list(self) -> list[Any]:
        """The practices whose ordered steps make the suggested action list."""
        return [p for p in self.relevant if list(p.steps.all())][:PRACTICES_IN_ACTION_LIST]

    @property
    def first_steps(self) -> list[tuple[Any, Any]]:
        steps = [(step, p) for p in self.action_list for step in p.steps.all()]
        return steps[:STEPS_IN_BRIEF]

    @property
    def lessons(self) -> list[tuple[Any, Any]]:
        return [(lesson, p) for p in self.relevant for lesson in p.lessons.all()]


def practice_evidence(practices: Iterable[Any], codes: Sequence[str]) -> PracticeEvidence:
    """Relevant practices first by the rank of their best top area; the median of all costs."""
    practices = list(practices)
    rank = {code: position for position, code in enumerate(codes)}

    def best_rank(practice: Any) -> int:
        return min(
            (rank[a.code] for a in practice.policy_areas.all() if a.code in rank), default=99
        )

    relevant = sorted((p for p in practices if best_rank(p) < 99), key=best_rank)
    costs = [p.cost for p in practices if p.cost is not None]
    return PracticeEvidence(
        relevant=relevant, median_cost=statistics.median(costs) if costs else None
    )


@dataclass(frozen=True)
class Costs:
    donor_budget: int
    recipient_cofunding: int
    median_practice_cost: float | None
    assumed_cost: float

    @property
    def typical_cost(self) -> float:
        return self.median_practice_cost or self.assumed_cost

    @property
    def coverage_percent(self) -> int:
        available = self.donor_budget + self.recipient_cofunding
        return round(100 * available / self.typical_cost) if self.typical_cost else 0

    @property
    def coverage_words(self) -> str:
        """How much of the cost the two can pay, as a person says it: "about 40% of", "the
        whole", "more than the whole" (never "about 1000% of")."""
        percent = self.coverage_percent
        if percent > 100:
            return "more than the whole"
        if percent == 100:
            return "the whole"
        return f"about {percent}% of"


def costs(match: Match, evidence: PracticeEvidence) -> Costs:
    snapshot = match.run.weights if match.run_id and isinstance(match.run.weights, dict) else {}
    return Costs(
        donor_budget=match.donor.cooperation_budget_usd,
        recipient_cofunding=match.recipient.cofunding_usd,
        median_practice_cost=evidence.median_cost,
        assumed_cost=float(snapshot.get("default_cost_usd") or DEFAULT_COST_USD),
    )


def shared_languages(match: Match) -> list[str]:
    shared = sorted(set(match.donor.languages or []) & set(match.recipient.languages or []))
    return [language_name(code) for code in shared]


def sentences(
    match: Match,
    top: Sequence[AreaRow],
    back: Sequence[AreaRow],
    evidence: PracticeEvidence,
    cost: Costs,
) -> list[str]:
    """The score in plain language: one sentence per reason, strongest first."""
    donor, recipient = match.donor.name, match.recipient.name
    said = [
        f"{donor} has {row.donor_expertise_label} expertise in {row.name.lower()}, where "
        f"{recipient}'s need is {row.recipient_need_label}."
        for row in top
        if row.donor_expertise and row.recipient_need
    ]
    count = len(evidence.relevant)
    if count:
        said.append(
            f"{donor} has documented how it did this: {count} published best "
            f"practice{'s' if count != 1 else ''} in these areas, with steps to follow."
        )
    else:
        said.append(
            f"{donor} has no published best practice in these areas yet, so the match rests on "
            "its stated expertise: ask for documents before committing."
        )
    if back:
        said.append(
            f"In return, {recipient} can share its own expertise in "
            f"{_join([row.name.lower() for row in back])}, where {donor} has needs: both sides gain."
        )
    else:
        said.append(
            f"{recipient} states no expertise where {donor} has needs; {donor}'s gain is mainly "
            "experience and business for its firms."
        )
    said.append(_size_sentence(match.donor, match.recipient, match.size_ratio))
    languages = shared_languages(match)
    said.append(
        f"Both cities work in {_join(languages)}."
        if languages
        else "The two cities have no working language in common: plan for interpretation."
    )
    said.append(_capacity_sentence(match.donor, match.recipient))
    said.append(
        f"{donor}'s cooperation budget ({usd(cost.donor_budget)} a year) and {recipient}'s "
        f"co-funding ({usd(cost.recipient_cofunding)}) cover {cost.coverage_words} "
        f"a typical practice's cost ({usd(cost.typical_cost)})."
    )
    return said


def _size_sentence(donor: City, recipient: City, ratio: float) -> str:
    if ratio < 1.5:
        return (
            f"The cities are of similar size ({donor.population:,} and "
            f"{recipient.population:,} inhabitants), so solutions transfer without rescaling."
        )
    bigger, smaller = (
        (donor, recipient) if donor.population >= recipient.population else (recipient, donor)
    )
    return (
        f"{bigger.name} is {ratio:.1f} times as large as {smaller.name}: solutions may need to "
        "be scaled up or down."
    )


def _capacity_sentence(donor: City, recipient: City) -> str:
    if donor.has_international_department:
        giver = (
            f"{donor.name} has an international department ({donor.international_staff} staff, "
            f"{donor.years_of_cooperation} years of cooperation)"
        )
    else:
        giver = f"{donor.name} has no international department"
    return (
        f"{giver}; {recipient.name} rates its capacity to absorb outside help "
        f"{recipient.absorptive_capacity} out of 5."
    )
