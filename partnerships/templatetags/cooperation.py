"""Filters the cooperation templates use to show what their views gathered (no queries)."""

from __future__ import annotations

from django import template

from cities.countries import COUNTRY_NAMES

from ..models import Partnership, PartnershipEvent
from ..services.history import describe

register = template.Library()

STATUS_BADGES: dict[str, str] = {
    Partnership.Status.PROPOSED: "badge-warn",
    Partnership.Status.AGREED: "badge-good",
    Partnership.Status.PILOT: "badge-good",
    Partnership.Status.SCALING: "badge-good",
    Partnership.Status.EXPANDED: "badge-good",
    Partnership.Status.CONCLUDED: "badge-info",
    Partnership.Status.PAUSED: "badge-warn",
    Partnership.Status.ENDED: "badge-bad",
}


@register.filter
def event_text(event: PartnershipEvent) -> str:
    """What a history event says, in the reader's language (from its stored message)."""
    return describe(event)


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
