"""Template filters of the catalogue pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import formats

from bestpractices.revisions import readable_comment, readable_summary

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
    # Grouped and with the decimal mark of the reader's language (1,610,000 · 1.610.000).
    if number.is_integer():
        return formats.number_format(int(number), force_grouping=True)
    decimals = f"{number:.2f}".rstrip("0").rstrip(".").partition(".")[2]
    return formats.number_format(number, decimal_pos=len(decimals), force_grouping=True)


@register.filter
def revision_summary(summary: str) -> str:
    """What a revision changed, in the reader's language."""
    return readable_summary(summary)


@register.filter
def curation_comment(comment: str) -> str:
    """A curator's comment, the words the workflow adds to it in the reader's language."""
    return readable_comment(comment)
