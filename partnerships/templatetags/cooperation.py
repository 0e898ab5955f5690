"""Template tags that bring cooperation into the pages of the web views (city, My city, match)
at a fixed number of queries, so those views need no change."""

from __future__ import annotations

from django import template

from cities.countries import COUNTRY_NAMES

from ..cooperation import reading
from ..models import Partnership

register = template.Library()

STATUS_BADGES = {
    Partnership.Status.PROPOSED: "badge-warn",
    Partnership.Status.AGREED: "badge-good",
    Partnership.Status.PILOT: "badge-good",
    Partnership.Status.SCALING: "badge-good",
    Partnership.Status.EXPANDED: "badge-good",
    Partnership.Status.CONCLUDED: "badge-info",
    Partnership.Status.PAUSED: "badge-warn",
    Partnership.Status.ENDED: "badge-bad",
}


@register.simple_tag(takes_context=True)
def match_cooperation(context, match) -> reading.MatchCooperation:
    return reading.for_match(match, context["request"].user)


@register.simple_tag(takes_context=True)
def city_cooperation(context, city) -> reading.CityCooperation:
    # The city page knows whether the user may edit the city ("can_edit"): no second query.
    return reading.for_city(city, context["request"].user, can_act=context.get("can_edit"))


@register.simple_tag(takes_context=True)
def my_cooperation(context, cards) -> reading.UserCooperation:
    """For My city: ``cards`` are its city cards (``{"city": …}``). The page shows it in two
    places (alerts on top, partnerships below), so it is read once per request."""
    request = context["request"]
    cached = getattr(request, "_citymatch_cooperation", None)
    if cached is None:
        cached = reading.for_user(request.user, [card["city"] for card in cards])
        request._citymatch_cooperation = cached
    return cached


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "")


@register.filter
def partner_of(partnership: Partnership, city):
    """The other city of the partnership, seen from ``city``."""
    return partnership.recipient if partnership.donor_id == city.pk else partnership.donor


@register.filter
def role_of(partnership: Partnership, city) -> str:
    if partnership.kind == Partnership.Kind.PEERS:
        return "peer"
    return "donor" if partnership.donor_id == city.pk else "recipient"


@register.filter
def country_names(codes: list[str]) -> str:
    """["VN", "JP"] → "Vietnam, Japan"."""
    return ", ".join(COUNTRY_NAMES.get(code, code) for code in codes or [])


@register.filter
def lookup(mapping: dict, key):
    return mapping.get(key) if mapping else None
