"""What the pages show about cooperation, each in a fixed number of queries.

The views of My city, the city page and the match page add these to their context; the
templates only read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext

from cities.models import City, CityAreaLevel, PolicyArea
from cities.taxonomy import term
from matching.models import Match
from matching.views.explain import EXPERTISE_WORDS, NEED_WORDS

from ..models import ExpressionOfInterest, Partnership
from ..permissions import can_act_for
from ..querysets import mentor_ids
from ..services.support import Support, SupportCatalogue, needs_support

# --- The city page and My city ----------------------------------------------------------------


@dataclass
class CityCooperation:
    city: City
    partnerships: list[Partnership]
    programmes: list  # programmes.Eligibility
    support: Support | None
    open_interest: int | None
    can_act: bool

    @property
    def reviews_due(self) -> list[Partnership]:
        return [p for p in self.partnerships if p.review_is_due]


def for_city(city: City, user, *, can_act: bool | None = None) -> CityCooperation:
    """The city page: its partnerships (with review reminders), the programmes it is eligible
    for (and why not the others), support if it has no international department, and, for its
    editors, the number of unanswered messages. At most eleven queries; ``can_act`` saves one
    when the page already knows whether the user edits the city."""
    from ..services.programmes import programmes_for_city

    if can_act is None:
        can_act = can_act_for(user, city.pk)
    open_interest = None
    if can_act:
        open_interest = ExpressionOfInterest.objects.filter(
            to_city=city, status=ExpressionOfInterest.Status.OPEN
        ).count()
    return CityCooperation(
        city=city,
        partnerships=Partnership.objects.of_cities([city.pk]),
        programmes=programmes_for_city(city),
        support=SupportCatalogue.load().for_city(city) if needs_support(city) else None,
        open_interest=open_interest,
        can_act=can_act,
    )


@dataclass
class UserCooperation:
    cities: list[City]
    partnerships: list[Partnership]
    open_interest: int
    support: dict[int, Support]

    @property
    def reviews_due(self) -> list[Partnership]:
        return [p for p in self.partnerships if p.review_is_due]


def for_user(user, cities: list[City]) -> UserCooperation:
    """My city: the partnerships of all the user's cities, reviews due, unanswered messages,
    and support for those without an international department. At most seven queries, whatever
    the number of cities (their levels must be prefetched)."""
    ids = [city.pk for city in cities]
    open_interest = (
        ExpressionOfInterest.objects.filter(
            to_city__in=ids, status=ExpressionOfInterest.Status.OPEN
        ).count()
        if ids
        else 0
    )
    lacking = [city for city in cities if needs_support(city)]
    catalogue = SupportCatalogue.load() if lacking else None
    return UserCooperation(
        cities=cities,
        partnerships=Partnership.objects.of_cities(ids),
        open_interest=open_interest,
        support={city.pk: catalogue.for_city(city) for city in lacking} if catalogue else {},
    )


# --- The match page ---------------------------------------------------------------------------


@dataclass
class MatchCooperation:
    match: Match
    acting_cities: list[City]  # of the pair, those the user may speak for
    interests: list[ExpressionOfInterest]
    partnership: Partnership | None
    experienced_mentor: bool
    mutual_interest: bool
    support: list[Support]
    areas: list[PolicyArea]

    @property
    def top_codes(self) -> list[str]:
        return [item["area"] for item in self.match.top_areas or []]

    def interest_from(self, city: City) -> ExpressionOfInterest | None:
        return next(
            (i for i in self.interests if i.from_city_id == city.pk and i.status == "open"), None
        )

    @property
    def can_send_from(self) -> list[City]:
        """The user's cities of the pair that have no unanswered message out to the other."""
        return [city for city in self.acting_cities if self.interest_from(city) is None]


def for_match(match: Match, user) -> MatchCooperation:
    """The match page: who the user speaks for, messages between the two, their partnership,
    whether the donor has mentored before, support for a partner without an international
    department. A fixed number of queries (at most nine)."""
    from ..services.pipeline import open_partnership_between

    pair = (match.donor, match.recipient)
    acting = [city for city in pair if can_act_for(user, city.pk)]
    between = Q(from_city=match.donor, to_city=match.recipient) | Q(
        from_city=match.recipient, to_city=match.donor
    )
    interests = list(
        ExpressionOfInterest.objects.filter(between)
        .select_related("from_city", "to_city")
        .order_by("-created_at", "-id")[:10]
    )
    standing = {i.from_city_id for i in interests if i.status in ExpressionOfInterest.STANDING}
    lacking = [city for city in pair if needs_support(city)]
    support: list[Support] = []
    if lacking:
        catalogue = SupportCatalogue.load()
        levels_by_city = _levels_with_areas([city.pk for city in lacking])
        support = [catalogue.for_city(city, levels_by_city.get(city.pk, [])) for city in lacking]
    return MatchCooperation(
        match=match,
        acting_cities=acting,
        interests=interests,
        partnership=open_partnership_between(match.donor_id, match.recipient_id),
        experienced_mentor=_has_mentored(match),
        mutual_interest=standing == {match.donor_id, match.recipient_id},
        # The match page lists organizations itself: programmes are what it adds.
        support=[item for item in support if item.programmes],
        areas=list(PolicyArea.objects.all()) if acting else [],
    )


def _has_mentored(match: Match) -> bool:
    # Matches read through ``with_cooperation()`` carry the answer already.
    known = getattr(match, "experienced_mentor", None)
    return bool(known) if known is not None else bool(mentor_ids([match.donor_id]))


def _levels_with_areas(city_ids: list[int]) -> dict[int, list[CityAreaLevel]]:
    grouped: dict[int, list[CityAreaLevel]] = {}
    for row in CityAreaLevel.objects.filter(city__in=city_ids).select_related("policy_area"):
        grouped.setdefault(row.city_id, []).append(row)
    return grouped


def reasons_from_match(match: Match) -> str:
    """A first draft of "why this partner", from the match's explanation (one query), in the
    writer's language: it is kept with the partnership as they leave it."""
    names = {code: term(name) for code, name in PolicyArea.objects.values_list("code", "name")}
    donor, recipient = match.donor.name, match.recipient.name
    score = formats.number_format(match.score, decimal_pos=1)
    lines = [
        gettext("CityMatch scored %(donor)s and %(recipient)s %(score)s out of 100.")
        % {"donor": donor, "recipient": recipient, "score": score}
    ]
    for item in match.top_areas or []:
        lines.append(
            gettext(
                "%(area)s: %(recipient)s's need is %(need)s, %(donor)s's expertise is %(expertise)s."
            )
            % {
                "area": names.get(item["area"], item["area"]),
                "recipient": recipient,
                "need": NEED_WORDS.get(item["need"], item["need"]),
                "donor": donor,
                "expertise": EXPERTISE_WORDS.get(item["expertise"], item["expertise"]),
            }
        )
    if match.gives_back:
        back = gettext(", ").join(names.get(code, code) for code in match.gives_back)
        lines.append(
            gettext("%(recipient)s can give back in: %(areas)s.")
            % {"recipient": recipient, "areas": back}
        )
    return "\n".join(lines)
