"""Template filters of the catalogue pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def figure(value: Any) -> str:
    """A measured figure for people: 1,610,000 · 7.5 · 0.25 (at most two decimals, no
    trailing zeros); empty for a missing value."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")
