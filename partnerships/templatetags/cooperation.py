"""Template tags that bring cooperation into the pages of the web views (city, My city, match)
at a fixed number of queries, so those views need no change."""

from __future__ import annotations

from django import template

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
    """For My city: ``cards`` are its city cards (``{"city": …}``)."""
    return reading.for_user(context["request"].user, [card["city"] for card in cards])


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
def lookup(mapping: dict, key):
    return mapping.get(key) if mapping else None
