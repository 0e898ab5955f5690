"""Filters of the city list: one FilterSet for the web page and the API (same query string).

The reusable filter classes below (bounded integers, language codes, true/false flags and the
policy-area and sector lookups) serve the match filters of ``partnerships`` too.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django_filters.widgets import BooleanWidget

from .countries import COUNTRIES, REGIONS
from .models import City, CitySector, Organization, PolicyArea, Sector

# The largest value a 64-bit integer column holds: bigger numbers are refused as bad input
# rather than reaching the database.
MAX_BIGINT = 2**63 - 1

# A sector "counts" for a city when it makes up at least this share of the city's economy.
SECTOR_MIN_SHARE = 0.1

language_code = RegexValidator(
    r"^[a-z]{2}$", "Use a two-letter ISO 639-1 code in lower case, such as 'en'."
)


class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter bounded to what the database stores (no 500 on huge numbers)."""

    field_class = forms.IntegerField

    def __init__(self, *args, min_value: int = 0, max_value: int = MAX_BIGINT, **kwargs):
        kwargs.setdefault("min_value", min_value)
        kwargs.setdefault("max_value", max_value)
        super().__init__(*args, **kwargs)


class FlagFilter(django_filters.BooleanFilter):
    """``true``/``false`` in the query string, in the API and on the web page alike."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", BooleanWidget)
        super().__init__(*args, **kwargs)


class LanguageFilter(django_filters.CharFilter):
    """An ISO 639-1 code; the value is checked before it is used in a LIKE pattern."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [language_code])
        kwargs.setdefault("max_length", 2)
        super().__init__(*args, **kwargs)


def policy_area_filter(**kwargs) -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        queryset=PolicyArea.objects.only("id", "code", "name"), to_field_name="code", **kwargs
    )


def sector_filter(**kwargs) -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        queryset=Sector.objects.only("id", "code", "name"), to_field_name="code", **kwargs
    )


def speaks(language: str, prefix: str = "") -> dict[str, str]:
    """Lookup for "the city's languages list contains this code".

    ``languages`` is a JSON list of two-letter codes; matching the quoted code in its text works
    the same on SQLite and PostgreSQL (JSON ``contains`` is not available on SQLite).
    """
    return {f"{prefix}languages__icontains": f'"{language}"'}


def cities_with_sector(sector: Sector) -> QuerySet:
    """Ids of the cities in which ``sector`` makes up at least SECTOR_MIN_SHARE of the economy.

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
        CitySector.objects.filter(sector=sector, share__gt=0)
        .annotate(city_total=Coalesce(Subquery(city_total), 0.0))
        .filter(share__gte=F("city_total") * SECTOR_MIN_SHARE)
        .values("city_id")
    )


class CityFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name",
        help_text="Part of the city's name (case-insensitive).",
    )
    country = django_filters.ChoiceFilter(
        choices=COUNTRIES, help_text="ISO 3166-1 alpha-2 country code, such as JP."
    )
    region = django_filters.ChoiceFilter(
        choices=REGIONS, help_text="Continent code: AF, AN, AS, EU, NA, OC or SA."
    )
    role = django_filters.ChoiceFilter(
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

    def filter_offers(self, queryset: QuerySet, name: str, value: PolicyArea) -> QuerySet:
        # One filter() call, so area and level are tested on the same row; a city has at most
        # one row per area, so the join never repeats a city.
        return queryset.filter(area_levels__policy_area=value, area_levels__expertise__gte=2)

    def filter_needs(self, queryset: QuerySet, name: str, value: PolicyArea) -> QuerySet:
        return queryset.filter(area_levels__policy_area=value, area_levels__need__gte=2)

    def filter_sector(self, queryset: QuerySet, name: str, value: Sector) -> QuerySet:
        return queryset.filter(id__in=cities_with_sector(value))

    def filter_language(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**speaks(value))


class PolicyAreaFilterSet(django_filters.FilterSet):
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


class SectorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name",
        help_text="Part of the sector's name (case-insensitive).",
    )

    class Meta:
        model = Sector
        fields: list[str] = []


class OrganizationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name",
        help_text="Part of the organization's name (case-insensitive).",
    )
    kind = django_filters.ChoiceFilter(
        choices=Organization.Kind.choices, help_text="Kind of organization."
    )
    country = django_filters.ChoiceFilter(
        choices=COUNTRIES,
        method="filter_country",
        help_text="ISO 3166-1 alpha-2 code: organizations that support this country (or "
        "work worldwide).",
    )
    policy_area = policy_area_filter(
        field_name="policy_areas",
        label="Policy area",
        help_text="Policy area code the organization works in.",
    )

    class Meta:
        model = Organization
        fields: list[str] = []

    def filter_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # countries is a JSON list of codes; an empty list means the whole world.
        return queryset.filter(Q(countries__icontains=f'"{value}"') | Q(countries=[]))
