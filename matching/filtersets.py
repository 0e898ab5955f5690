"""Filters of the match list: one FilterSet for the web page and the API (same query string).

Without ``run`` the list shows the active run, so readers always see one complete run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django.utils.functional import cached_property

from cities.countries import COUNTRIES, REGIONS
from cities.filtersets import (
    SECTOR_MIN_SHARE,
    cities_with_sector,
    policy_area_filter,
    sector_filter,
    speaks,
)
from toolkit.filters import (
    CodeChoiceFilter,
    FlagFilter,
    IntegerFilter,
    LanguageFilter,
    LightFilterSet,
)

from .models import Match, MatchRun
from .querysets import NULLABLE_ORDERINGS, ordering_keys

# A stored ``Match`` or a match scored on the fly (``services.ScoredMatch``): ``filter_list``
# reads the attributes both have.
M = TypeVar("M", bound=Any)

MATCH_ORDERINGS = ("score", "donor_rank", "recipient_rank")


class ScoreFilter(django_filters.NumberFilter):
    """A score bound: scores run from 0 to 100."""

    field_class = forms.FloatField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 100)
        super().__init__(*args, **kwargs)


class MatchOrderingFilter(django_filters.OrderingFilter):
    """Orders by the given fields, then by score and the city ids.

    The tie-breakers make the order total, so pages never repeat or skip a match. Ranks are
    null on the side where the match is not in the top K: those rows come last either way.
    """

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in ordering_keys(value)]
        return qs.order_by(*ordering, "recipient_id", "donor_id")

    def get_ordering_value(self, param: str):
        descending = param.startswith("-")
        name = self.param_map[param.lstrip("-")]
        field = F(name)
        if name not in NULLABLE_ORDERINGS:
            # No NULLS LAST where there is no null: the indexes (run, score DESC, …) hold the
            # default null placement, and PostgreSQL only reads an order from an index whose
            # null placement is the same.
            return field.desc() if descending else field.asc()
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)


def active_run_version(request=None) -> tuple[int, int, datetime] | None:
    """(id, ``list_version``, creation) of the active run, read once per request: the cached
    pages of a list are keyed on it and its rows are then read from that run
    (``filter_queryset``). The creation time tells apart the runs of a database recreated
    under a cache that outlived it (their ids start again at 1)."""
    if request is not None and hasattr(request, "active_run_version"):
        return request.active_run_version
    found = (
        MatchRun.objects.filter(is_active=True)
        .values_list("id", "list_version", "created_at")
        .first()
    )
    if request is not None:
        request.active_run_version = found
    return found


def _attribute_equals(path: str, value: object) -> Callable[[Any], bool]:
    """A test of a match: is its attribute at ``path`` (``donor.country``…) ``value``?"""
    get = attrgetter(path)
    return lambda m: get(m) == value


class MatchFilterSet(LightFilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="City name",
        help_text="Part of the donor's or the recipient's name (case-insensitive).",
    )
    donor = IntegerFilter(
        field_name="donor_id", min_value=1, help_text="Id of the donor city.", label="Donor"
    )
    recipient = IntegerFilter(
        field_name="recipient_id",
        min_value=1,
        help_text="Id of the recipient city.",
        label="Recipient",
    )
    city = IntegerFilter(
        method="filter_city",
        min_value=1,
        label="City",
        help_text="Id of a city on either side (donor or recipient).",
    )
    donor_country = CodeChoiceFilter(
        field_name="donor__country",
        choices=COUNTRIES,
        help_text="ISO 3166-1 alpha-2 code of the donor's country.",
    )
    recipient_country = CodeChoiceFilter(
        field_name="recipient__country",
        choices=COUNTRIES,
        help_text="ISO 3166-1 alpha-2 code of the recipient's country.",
    )
    donor_region = CodeChoiceFilter(
        field_name="donor__region",
        choices=REGIONS,
        help_text="Continent code of the donor (AF, AN, AS, EU, NA, OC, SA).",
    )
    recipient_region = CodeChoiceFilter(
        field_name="recipient__region",
        choices=REGIONS,
        help_text="Continent code of the recipient (AF, AN, AS, EU, NA, OC, SA).",
    )
    policy_area = policy_area_filter(
        method="filter_policy_area",
        label="Policy area",
        help_text="Policy area code that is one of the (up to three) top areas of the match.",
    )
    sector = sector_filter(
        method="filter_sector",
        label="Economic sector",
        help_text=(
            "ISIC section letter (A–U) that makes up at least "
            f"{SECTOR_MIN_SHARE:.0%} of the donor's or of the recipient's economy."
        ),
    )
    min_score = ScoreFilter(
        field_name="score", lookup_expr="gte", help_text="Lowest score to include (0–100)."
    )
    max_score = ScoreFilter(
        field_name="score", lookup_expr="lte", help_text="Highest score to include (0–100)."
    )
    size_ratio_max = django_filters.NumberFilter(
        field_name="size_ratio",
        lookup_expr="lte",
        min_value=1,
        max_value=10**9,
        label="Size ratio at most",
        help_text="Largest population divided by the smaller one, at most this (1 = equal size).",
    )
    language = LanguageFilter(
        method="filter_language",
        help_text="ISO 639-1 code that both cities speak, such as en.",
    )
    exclude_existing = FlagFilter(
        method="filter_exclude_existing",
        label="Exclude existing partnerships",
        help_text="true: leave out pairs of cities that already have a partnership.",
    )
    real_only = FlagFilter(
        method="filter_real_only",
        label="Only real cities",
        help_text="true: leave out pairs with a synthetic demonstration city on either side.",
    )
    run = django_filters.ModelChoiceFilter(
        # Only a finished run: readers never see the partial results of one in progress.
        queryset=MatchRun.objects.filter(status=MatchRun.Status.SUCCEEDED).only(
            "id", "status", "is_active"
        ),
        method="filter_run",
        label="Run",
        help_text="Id of a succeeded match run; without it, the active run.",
    )
    ordering = MatchOrderingFilter(
        fields=MATCH_ORDERINGS,
        help_text="score, -score, donor_rank or recipient_rank (default -score).",
    )

    class Meta:
        model = Match
        fields: list[str] = []

    @cached_property
    def active_run_id(self) -> int | None:
        found = active_run_version(self.request)
        return found[0] if found else None

    @property
    def selected_run_id(self) -> int | None:
        """The run whose matches are listed: the ``run`` asked for, else the active run."""
        run = self.form.cleaned_data.get("run") if self.form.is_valid() else None
        return run.pk if run else self.active_run_id

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("run"):
            return queryset
        # The active run is read once, by a query of its own, and every query of the request
        # then names that run: the keys of a page, its count and its rows all come from one
        # run even when another activates meanwhile. A subquery (``run_id = (SELECT …)``)
        # would be evaluated by each statement with its own snapshot, and PostgreSQL may plan
        # it against the partitions known before a run's partition was attached, then find
        # the new run active at execution: an empty page (issue 17).
        run_id = self.active_run_id
        if run_id is None:
            return queryset.none()
        return queryset.filter(run_id=run_id)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(donor__name__icontains=value) | Q(recipient__name__icontains=value)
        )

    def filter_city(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.filter(Q(donor_id=value) | Q(recipient_id=value))

    def filter_policy_area(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # top_area_codes holds the codes as " waste air ": the spaces keep "air" from
        # matching inside another code.
        return queryset.filter(top_area_codes__contains=f" {value} ")

    def filter_sector(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        city_ids = cities_with_sector(value)
        return queryset.filter(Q(donor_id__in=city_ids) | Q(recipient_id__in=city_ids))

    def filter_language(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**speaks(value, "donor__"), **speaks(value, "recipient__"))

    def filter_exclude_existing(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(existing_partnership=False) if value else queryset

    def filter_real_only(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(donor__is_synthetic=False, recipient__is_synthetic=False)

    def filter_run(self, queryset: QuerySet, name: str, value: MatchRun) -> QuerySet:
        return queryset.filter(run=value)

    def narrows(self) -> bool:
        """Whether a filter (anything but ``ordering`` and ``run``) was given a value."""
        return any(
            value is not None and value is not False and value != "" and value != []
            for name, value in self.form.cleaned_data.items()
            if name not in ("ordering", "run")
        )

    def filter_list(self, matches: Iterable[M]) -> list[M]:
        """The same filters and ordering over matches scored on the fly.

        Those matches are not stored, so no queryset can filter them; the rules below mirror
        the filter methods above one for one. ``run`` has no meaning here and is ignored.
        """
        data = self.form.cleaned_data
        tests: list[Callable[[M], bool]] = []
        if q := data.get("q"):
            needle = q.casefold()
            tests.append(
                lambda m: needle in m.donor.name.casefold() or needle in m.recipient.name.casefold()
            )
        if (donor := data.get("donor")) is not None:
            tests.append(lambda m: m.donor_id == donor)
        if (recipient := data.get("recipient")) is not None:
            tests.append(lambda m: m.recipient_id == recipient)
        if (city := data.get("city")) is not None:
            tests.append(lambda m: city in (m.donor_id, m.recipient_id))
        for side in ("donor", "recipient"):
            for field in ("country", "region"):
                if value := data.get(f"{side}_{field}"):
                    tests.append(_attribute_equals(f"{side}.{field}", value))
        if area := data.get("policy_area"):
            tests.append(lambda m: any(top.get("area") == area for top in m.top_areas))
        if sector := data.get("sector"):
            city_ids = set(cities_with_sector(sector).values_list("city_id", flat=True))
            tests.append(lambda m: m.donor_id in city_ids or m.recipient_id in city_ids)
        if (min_score := data.get("min_score")) is not None:
            tests.append(lambda m: m.score >= min_score)
        if (max_score := data.get("max_score")) is not None:
            tests.append(lambda m: m.score <= max_score)
        if (ratio := data.get("size_ratio_max")) is not None:
            tests.append(lambda m: m.size_ratio <= ratio)
        if language := data.get("language"):
            tests.append(
                lambda m: language in m.donor.languages and language in m.recipient.languages
            )
        if data.get("exclude_existing"):
            tests.append(lambda m: not m.existing_partnership)
        if data.get("real_only"):
            tests.append(lambda m: not (m.donor.is_synthetic or m.recipient.is_synthetic))
        kept = [match for match in matches if all(test(match) for test in tests)]
        return self.order_list(kept, data.get("ordering"))

    def order_list(self, matches: list[M], ordering: list[str] | None) -> list[M]:
        """Sort like MatchOrderingFilter: given fields (nulls last), then score, then ids."""
        # Stable sorts from the last key to the first give the combined order.
        matches = sorted(matches, key=lambda m: (m.recipient_id, m.donor_id))
        for param in reversed(ordering_keys(ordering)):
            field = param.lstrip("-")
            descending = param.startswith("-")
            present = [m for m in matches if getattr(m, field) is not None]
            missing = [m for m in matches if getattr(m, field) is None]
            present.sort(key=attrgetter(field), reverse=descending)
            matches = present + missing
        return matches


class MatchRunFilterSet(LightFilterSet):
    status = CodeChoiceFilter(
        choices=MatchRun.Status.choices, help_text="queued, running, succeeded or failed."
    )
    trigger = CodeChoiceFilter(choices=MatchRun.Trigger.choices, help_text="What started the run.")
    is_active = FlagFilter(help_text="true: only the active run (the one lists show).")

    class Meta:
        model = MatchRun
        fields: list[str] = []
