"""Filters of the city list: one FilterSet for the web page and the API (same query string).

The policy-area and sector lookups and the language and sector rules below serve the filters
of the apps above ``cities`` too.
"""

from __future__ import annotations

import django_filters
from django.core.cache import cache
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from toolkit.filters import (
    CodeChoiceFilter,
    FlagFilter,
    IntegerFilter,
    LanguageFilter,
    LightFilterSet,
    TaxonomyCodeFilter,
)

from .countries import COUNTRIES, REGIONS
from .models import City, CitySector, Organization, PolicyArea, Sector
from .taxonomy import term

# A sector "counts" for a city when it makes up at least this share of the city's economy.
SECTOR_MIN_SHARE = 0.1

# Policy areas and sectors change only when an admin edits the taxonomy: their codes are kept
# in the cache (and dropped as soon as one is saved), so validating ``policy_area=waste`` costs
# no query on every request (bench/api.py).
TAXONOMY_CACHE_S = 300
# The stored (English) names; each request shows them in its language.
TAXONOMY_CACHE_KEYS = ("filters:choices:policy_area_names", "filters:choices:sector_names")


def _cached_choices(key: str, load) -> list[tuple[str, str]]:
    choices = cache.get(key)
    if choices is None:
        choices = list(load())
        cache.set(key, choices, TAXONOMY_CACHE_S)
    return choices


def policy_area_choices() -> list[tuple[str, str]]:
    stored = _cached_choices(
        TAXONOMY_CACHE_KEYS[0],
        lambda: PolicyArea.objects.values_list("code", "name").order_by("position"),
    )
    return [(code, term(name)) for code, name in stored]


def sector_choices() -> list[tuple[str, str]]:
    stored = _cached_choices(
        TAXONOMY_CACHE_KEYS[1], lambda: Sector.objects.values_list("code", "name")
    )
    return [(code, f"{code}: {term(name)}") for code, name in stored]


@receiver([post_save, post_delete], sender=PolicyArea)
@receiver([post_save, post_delete], sender=Sector)
def _forget_taxonomy_choices(**kwargs) -> None:
    cache.delete_many(TAXONOMY_CACHE_KEYS)


def policy_area_filter(**kwargs) -> TaxonomyCodeFilter:
    """A policy area by its code; the filter's value is the code."""
    return TaxonomyCodeFilter(choices=policy_area_choices, **kwargs)


def sector_filter(**kwargs) -> TaxonomyCodeFilter:
    """An ISIC section by its letter; the filter's value is the letter."""
    return TaxonomyCodeFilter(choices=sector_choices, **kwargs)


def speaks(language: str, prefix: str = "") -> dict[str, str]:
    """Lookup for "the city's languages list contains this code".

    ``languages`` is a JSON list of two-letter codes; matching the quoted code in its text works
    the same on SQLite and PostgreSQL (JSON ``contains`` is not available on SQLite).
    """
    return {f"{prefix}languages__icontains": f'"{language}"'}


def cities_with_sector(sector: str) -> QuerySet:
    """Ids of the cities in which the sector (ISIC letter) makes up at least SECTOR_MIN_SHARE of the economy.

    Shares are compared with the city's total, so the rule holds whether or not the stored
    shares were normalised to sum to 1.
    """
    city_total = (
        CitySector.objects.filter(city_id=OuterRef("city_id"))
        .order_by()
        .values("city_id")
        .annotate(total=Sum("share"))
        .values("total")
    )
    return (
        CitySector.objects.filter(sector__code=sector, share__gt=0)
        .annotate(city_total=Coalesce(Subquery(city_total), 0.0))
        .filter(share__gte=F("city_total") * SECTOR_MIN_SHARE)
        .values("city_id")
    )


class CityFilterSet(LightFilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name",
        help_text="Part of the city's name (case-insensitive).",
    )
    country = CodeChoiceFilter(
        choices=COUNTRIES, help_text="ISO 3166-1 alpha-2 country code, such as JP."
    )
    region = CodeChoiceFilter(
        choices=REGIONS, help_text="Continent code: AF, AN, AS, EU, NA, OC or SA."
    )
    role = CodeChoiceFilter(
        choices=City.Role.choices,
        method="filter_role",
        help_text=(
            "donor: cities that can give (role donor or both); recipient: cities that can "
            "receive (role recipient or both); both: only cities with role both."
        ),
    )
    population_min = IntegerFilter(
        field_name="population",
        lookup_expr="gte",
        label="Population at least",
        help_text="Smallest population to include.",
    )
    population_max = IntegerFilter(
        field_name="population",
        lookup_expr="lte",
        label="Population at most",
        help_text="Largest population to include.",
    )
    offers = policy_area_filter(
        method="filter_offers",
        label="Offers expertise in",
        help_text="Policy area code in which the city has expertise level 2 or more.",
    )
    needs = policy_area_filter(
        method="filter_needs",
        label="Needs help in",
        help_text="Policy area code in which the city states a need of level 2 or more.",
    )
    sector = sector_filter(
        method="filter_sector",
        label="Economic sector",
        help_text=(
            "ISIC section letter (A–U) that makes up at least 10% of the city's economy "
            "(its share compared with the sum of the city's sector shares)."
        ),
    )
    has_international_department = FlagFilter(
        help_text="true: only cities with an international-cooperation department; false: only "
        "cities without one."
    )
    language = LanguageFilter(
        method="filter_language",
        help_text="ISO 639-1 code of a working language of the city, such as en.",
    )

    class Meta:
        model = City
        fields: list[str] = []

    def filter_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == City.Role.BOTH:
            return queryset.filter(role=City.Role.BOTH)
        return queryset.filter(role__in=[value, City.Role.BOTH])

    def filter_offers(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # One filter() call, so area and level are tested on the same row; a city has at most
        # one row per area, so the join never repeats a city.
        return queryset.filter(area_levels__policy_area__code=value, area_levels__expertise__gte=2)

    def filter_needs(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(area_levels__policy_area__code=value, area_levels__need__gte=2)

    def filter_sector(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(id__in=cities_with_sector(value))

    def filter_language(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**speaks(value))


class PolicyAreaFilterSet(LightFilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="Code or name",
        help_text="Part of the policy area's code or name (case-insensitive).",
    )

    class Meta:
        model = PolicyArea
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class SectorFilterSet(LightFilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name",
        help_text="Part of the sector's name (case-insensitive).",
    )

    class Meta:
        model = Sector
        fields: list[str] = []


class OrganizationFilterSet(LightFilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name",
        help_text="Part of the organization's name (case-insensitive).",
    )
    kind = CodeChoiceFilter(choices=Organization.Kind.choices, help_text="Kind of organization.")
    country = CodeChoiceFilter(
        choices=COUNTRIES,
        method="filter_country",
        help_text="ISO 3166-1 alpha-2 code: organizations that support this country (or "
        "work worldwide).",
    )
    policy_area = policy_area_filter(
        field_name="policy_areas__code",
        label="Policy area",
        help_text="Policy area code the organization works in.",
    )

    class Meta:
        model = Organization
        fields: list[str] = []

    def filter_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # countries is a JSON list of codes; an empty list means the whole world.
        return queryset.filter(Q(countries__icontains=f'"{value}"') | Q(countries=[]))
