"""Why a match scores what it scores, in numbers and in plain sentences.

Everything here works on objects the view already loaded (no query), so the match page and the
citizen brief cost the same few queries whatever the match.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import formats
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from cities.models import City, CityAreaLevel

from ..models import COMPONENTS, DEFAULT_WEIGHTS, Match
from .common import language_name

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEFAULT_COST_USD = 250_000
# Practitioners advise to start small, with one or two projects: the action list draws on at
# most this many practices.
PRACTICES_IN_ACTION_LIST = 2
STEPS_IN_BRIEF = 3

COMPONENT_TEXT: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "need_fit": (
        _("Need fit"),
        _(
            "How much of what the recipient needs the donor can offer, weighted by the "
            "recipient's priorities."
        ),
    ),
    "evidence": (
        _("Evidence"),
        _("Share of the recipient's needs for which the donor has a published best practice."),
    ),
    "reciprocity": (
        _("Reciprocity"),
        _(
            "What the donor learns back from the recipient, plus the business case for the "
            "donor's firms."
        ),
    ),
    "size": (
        _("Similar size"),
        _("1 when both cities have the same population; lower as they differ."),
    ),
    "industry": (_("Similar economy"), _("How alike the two economies are, sector by sector.")),
    "capacity": (
        _("Capacity"),
        _("Can the donor lend experienced staff, and can the recipient absorb the help?"),
    ),
    "budget": (
        _("Budget"),
        _(
            "The donor's budget plus the recipient's co-funding, against the cost of a typical "
            "practice."
        ),
    ),
    "language": (_("Shared language"), _("1 when the two cities share a working language.")),
}
# The level scale in words, as pages show it (the API and exports keep cities.profile's words).
EXPERTISE_WORDS = {
    0: pgettext_lazy("expertise level", "none"),
    1: pgettext_lazy("expertise level", "some"),
    2: pgettext_lazy("expertise level", "proven"),
    3: pgettext_lazy("expertise level", "leading"),
}
NEED_WORDS = {
    0: pgettext_lazy("need level", "none"),
    1: pgettext_lazy("need level", "low"),
    2: pgettext_lazy("need level", "medium"),
    3: pgettext_lazy("need level", "high"),
}


def whole(number: float | int) -> str:
    """A whole number grouped the active language's way (12,345 in English, 12.345 in Vietnamese)."""
    return formats.number_format(round(number), decimal_pos=0, force_grouping=True)


def usd(amount: float | int | None) -> str:
    if amount is None:
        return gettext("unknown")
    return gettext("USD %(amount)s") % {"amount": whole(amount)}


@dataclass(frozen=True)
class ComponentBar:
    name: str
    label: StrOrPromise
    help: StrOrPromise
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
        return str(EXPERTISE_WORDS.get(self.donor_expertise, ""))

    @property
    def recipient_need_label(self) -> str:
        return str(NEED_WORDS.get(self.recipient_need, ""))

    @property
    def recipient_expertise_label(self) -> str:
        return str(EXPERTISE_WORDS.get(self.recipient_expertise, ""))

    @property
    def donor_need_label(self) -> str:
        return str(NEED_WORDS.get(self.donor_need, ""))


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
    return gettext("%(items)s and %(last)s") % {
        "items": gettext(", ").join(words[:-1]),
        "last": words[-1],
    }


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
            return gettext("more than the whole of")
        if percent == 100:
            return gettext("the whole of")
        return gettext("about %(percent)s%% of") % {"percent": percent}


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
        gettext(
            "%(donor)s has %(expertise)s expertise in %(area)s, where %(recipient)s's need "
            "is %(need)s."
        )
        % {
            "donor": donor,
            "expertise": row.donor_expertise_label,
            "area": row.name.lower(),
            "recipient": recipient,
            "need": row.recipient_need_label,
        }
        for row in top
        if row.donor_expertise and row.recipient_need
    ]
    count = len(evidence.relevant)
    if count:
        said.append(
            ngettext(
                "%(donor)s has documented how it did this: %(count)d published best practice "
                "in these areas, with steps to follow.",
                "%(donor)s has documented how it did this: %(count)d published best practices "
                "in these areas, with steps to follow.",
                count,
            )
            % {"donor": donor, "count": count}
        )
    else:
        said.append(
            gettext(
                "%(donor)s has no published best practice in these areas yet, so the match rests "
                "on its stated expertise: ask for documents before committing."
            )
            % {"donor": donor}
        )
    if back:
        said.append(
            gettext(
                "In return, %(recipient)s can share its own expertise in %(areas)s, where "
                "%(donor)s has needs: both sides gain."
            )
            % {
                "recipient": recipient,
                "areas": _join([row.name.lower() for row in back]),
                "donor": donor,
            }
        )
    else:
        said.append(
            gettext(
                "%(recipient)s states no expertise where %(donor)s has needs; %(donor)s's gain is "
                "mainly experience and business for its firms."
            )
            % {"recipient": recipient, "donor": donor}
        )
    said.append(_size_sentence(match.donor, match.recipient, match.size_ratio))
    languages = shared_languages(match)
    said.append(
        gettext("Both cities work in %(languages)s.") % {"languages": _join(languages)}
        if languages
        else gettext("The two cities have no working language in common: plan for interpretation.")
    )
    said.append(_capacity_sentence(match.donor, match.recipient))
    said.append(
        gettext(
            "%(donor)s's cooperation budget (%(budget)s a year) and %(recipient)s's co-funding "
            "(%(cofunding)s) cover %(coverage)s a typical practice's cost (%(cost)s)."
        )
        % {
            "donor": donor,
            "budget": usd(cost.donor_budget),
            "recipient": recipient,
            "cofunding": usd(cost.recipient_cofunding),
            "coverage": cost.coverage_words,
            "cost": usd(cost.typical_cost),
        }
    )
    return said


def _size_sentence(donor: City, recipient: City, ratio: float) -> str:
    if ratio < 1.5:
        return gettext(
            "The cities are of similar size (%(donor_population)s and %(recipient_population)s "
            "inhabitants), so solutions transfer without rescaling."
        ) % {
            "donor_population": whole(donor.population),
            "recipient_population": whole(recipient.population),
        }
    bigger, smaller = (
        (donor, recipient) if donor.population >= recipient.population else (recipient, donor)
    )
    return gettext(
        "%(bigger)s is %(ratio)s times as large as %(smaller)s: solutions may need to be "
        "scaled up or down."
    ) % {
        "bigger": bigger.name,
        "ratio": formats.number_format(ratio, decimal_pos=1),
        "smaller": smaller.name,
    }


def _capacity_sentence(donor: City, recipient: City) -> str:
    if donor.has_international_department:
        giver = gettext(
            "%(city)s has an international department (%(staff)s staff, %(years)s years of "
            "cooperation)"
        ) % {
            "city": donor.name,
            "staff": donor.international_staff,
            "years": donor.years_of_cooperation,
        }
    else:
        giver = gettext("%(city)s has no international department") % {"city": donor.name}
    return gettext(
        "%(giver)s; %(recipient)s rates its capacity to absorb outside help %(capacity)s out of 5."
    ) % {"giver": giver, "recipient": recipient.name, "capacity": recipient.absorptive_capacity}
