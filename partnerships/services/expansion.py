"""Where an active partnership could grow next.

Practitioners: collaboration can expand from the environment to other areas such as education
and broader research. A policy area is a candidate when one city needs it (need ≥ 2) and the
other offers it (expertise ≥ 2), in either direction, and neither the partnership's areas nor
its projects cover it yet. Every area of the taxonomy is considered, education and research
included.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, pgettext_lazy

from cities.models import CityAreaLevel, PolicyArea

from ..models import Partnership

MIN_LEVEL = 2

# The levels as a sentence names them, in the reader's language (the same words as a match's
# explanation).
NEED_LABELS = {
    0: pgettext_lazy("need level", "none"),
    1: pgettext_lazy("need level", "low"),
    2: pgettext_lazy("need level", "medium"),
    3: pgettext_lazy("need level", "high"),
}
EXPERTISE_LABELS = {
    0: pgettext_lazy("expertise level", "none"),
    1: pgettext_lazy("expertise level", "some"),
    2: pgettext_lazy("expertise level", "proven"),
    3: pgettext_lazy("expertise level", "leading"),
}


@dataclass(frozen=True)
class Flow:
    """One city needs the area, the other offers it."""

    needs: str  # city name
    need: int
    offers: str
    expertise: int

    @property
    def strength(self) -> int:
        return self.need * self.expertise

    def __str__(self) -> str:
        return gettext("%(needs)s needs it (%(need)s), %(offers)s offers it (%(expertise)s)") % {
            "needs": self.needs,
            "need": NEED_LABELS[self.need],
            "offers": self.offers,
            "expertise": EXPERTISE_LABELS[self.expertise],
        }


@dataclass(frozen=True)
class Suggestion:
    area: PolicyArea
    flows: tuple[Flow, ...]

    @property
    def strength(self) -> int:
        return max(flow.strength for flow in self.flows)

    @property
    def both_ways(self) -> bool:
        """Each city can teach the other here: the most reciprocal kind of next step."""
        return len(self.flows) == 2


def suggest_areas(
    partnership: Partnership, *, areas: list[PolicyArea] | None = None
) -> list[Suggestion]:
    """Next policy areas for the partnership, strongest first (both-way areas before one-way).

    Four queries at most: the two cities' levels, the partnership's areas (unless prefetched),
    its projects' areas, the taxonomy (unless given as ``areas``).
    """
    if not partnership.is_active:
        return []
    donor, recipient = partnership.donor, partnership.recipient
    levels: dict[int, dict[int, CityAreaLevel]] = {donor.pk: {}, recipient.pk: {}}
    for row in CityAreaLevel.objects.filter(city__in=[donor.pk, recipient.pk]):
        levels[row.city_id][row.policy_area_id] = row
    # Reads prefetched areas when the page loaded them (``Partnership.objects.for_list``).
    covered = {area.pk for area in partnership.policy_areas.all()} | set(
        partnership.projects.values_list("policy_area_id", flat=True)
    )
    suggestions = []
    for area in areas if areas is not None else PolicyArea.objects.all():
        if area.pk in covered:
            continue
        flows = []
        for needs, offers in ((recipient, donor), (donor, recipient)):
            need_row = levels[needs.pk].get(area.pk)
            offer_row = levels[offers.pk].get(area.pk)
            if (
                need_row
                and offer_row
                and need_row.need >= MIN_LEVEL
                and offer_row.expertise >= MIN_LEVEL
            ):
                flows.append(Flow(needs.name, need_row.need, offers.name, offer_row.expertise))
        if flows:
            suggestions.append(Suggestion(area=area, flows=tuple(flows)))
    suggestions.sort(key=lambda s: (-s.both_ways, -s.strength, s.area.position, s.area.code))
    return suggestions
