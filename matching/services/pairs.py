"""A match addressed by its two cities, as its pages and the API name it.

Row ids change whenever a profile is rescored or a new run lands; the two cities' slugs do not.
So pages, links and the API name a match by its donor and recipient: the pair's row in the
active run when there is one, else the pair scored now (``score_pair``), never "not found".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cities.models import City

from ..models import Match
from .rescoring import score_pair


@dataclass(frozen=True)
class Pair:
    donor: City
    recipient: City
    # The stored row of the active run, or the pair scored now; None when they do not fit.
    match: Match | None
    stored: bool


class UnknownCity(LookupError):
    """No city has that slug (or id)."""


def find_pair(
    *,
    donor: str | int,
    recipient: str | int,
    matches: QuerySet[Match] | None = None,
) -> Pair:
    """The match of the two cities (slugs, or ids) in the active run, else scored now.

    ``matches`` is the queryset the stored row is read from (``Match.objects.for_detail()``
    by default; pages add their annotations). Raises ``UnknownCity`` naming a missing city.
    """
    queryset = matches if matches is not None else Match.objects.for_detail()
    # One query when the run stores the pair (the common case): its row brings both cities.
    stored = queryset.filter(
        _side("donor", donor), _side("recipient", recipient), run__is_active=True
    )
    found = stored.first()
    if found is not None:
        return Pair(found.donor, found.recipient, found, True)
    pair = {side: _city(side, key) for side, key in (("donor", donor), ("recipient", recipient))}
    if pair["donor"].pk == pair["recipient"].pk:
        return Pair(pair["donor"], pair["recipient"], None, False)
    scored = score_pair(donor=pair["donor"], recipient=pair["recipient"])
    return Pair(pair["donor"], pair["recipient"], scored, False)


def _side(side: str, key: str | int) -> Q:
    if isinstance(key, int):
        return Q(**{f"{side}_id": key})
    by_slug = Q(**{f"{side}__slug": key})
    return by_slug | Q(**{f"{side}_id": int(key)}) if key.isdigit() else by_slug


def _city(side: str, key: str | int) -> City:
    """By slug; a number that is no city's slug is read as the city's id."""
    cities = City.objects.defer("sources")
    found = None if isinstance(key, int) else cities.filter(slug=key).first()
    if found is None and str(key).isdigit():
        found = cities.filter(pk=int(key)).first()
    if found is None:
        raise UnknownCity(_("No city %(key)r (%(side)s).") % {"key": key, "side": side})
    return found
