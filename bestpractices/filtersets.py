"""Filters of the catalogue: one FilterSet for the web page and the API (same query string).

Without ``status`` a list shows published practices only. With it, curators see practices of
that status; everyone else sees only their own (and, for ``published``, the public ones).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override

from cities.countries import COUNTRIES
from cities.filtersets import policy_area_filter, sector_filter
from cities.languages import content_language_choices
from toolkit.filters import FlagFilter, IntegerFilter

from .models import BestPractice, Evidence
from .querysets import BestPracticeQuerySet, cost_estimate

# Query-string name → column of the key figures one can sort by.
KEY_FIGURES = {
    "co2_avoided": "co2_avoided_t_per_year",
    "energy_saved": "energy_saved_mwh_per_year",
    "waste_diverted": "waste_diverted_t_per_year",
    "people_served": "people_served",
    "jobs_created": "jobs_created",
}
ORDERINGS = {
    "title": "title",
    "start_year": "start_year",
    "cost": "cost_estimate",
    "published_at": "published_at",
    "updated_at": "updated_at",
    **KEY_FIGURES,
}


ORDERING_LABELS = {
    "title": _("Title"),
    "start_year": _("Start year"),
    "cost_estimate": _("Cost"),
    "published_at": _("Publication date"),
    "updated_at": _("Last change"),
    "co2_avoided_t_per_year": _("CO₂ avoided"),
    "energy_saved_mwh_per_year": _("Energy saved"),
    "waste_diverted_t_per_year": _("Waste diverted"),
    "people_served": _("People served"),
    "jobs_created": _("Jobs created"),
}


FIGURE_MAX = 1e15


class FigureFilter(django_filters.NumberFilter):
    """A lower bound on a key figure (figures are never negative)."""

    field_class = forms.FloatField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", FIGURE_MAX)
        kwargs.setdefault("lookup_expr", "gte")
        super().__init__(*args, **kwargs)
        # The schema says what the filter takes: any number in range, whatever the column's
        # type (people served is a whole number, but "at least 2.5" is a fair question).
        schema = {"type": "number", "minimum": kwargs["min_value"], "maximum": kwargs["max_value"]}
        set_override(self, "field", {**schema, "description": self.label})


class PracticeOrderingFilter(django_filters.OrderingFilter):
    """Orders by the chosen column, practices without that figure last, then by title and id
    so that pages never repeat or skip a practice."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if not value:
            return qs
        ordering = []
        for param in value:
            column = F(self.param_map[param.lstrip("-")])
            ordering.append(
                column.desc(nulls_last=True)
                if param.startswith("-")
                else column.asc(nulls_last=True)
            )
        return qs.order_by(*ordering, "title", "id")


class BestPracticeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=200,
        label=_("Search"),
        help_text=_(
            "Words to find in the title, summary, story, steps and lessons; best matches first. "
            'Quotes find a phrase, "or" either word, a leading "-" excludes a word.'
        ),
    )
    city = IntegerFilter(
        field_name="city_id", min_value=1, label=_("City"), help_text="Id of the implementing city."
    )
    country = django_filters.ChoiceFilter(
        field_name="city__country",
        label=_("Country"),
        choices=COUNTRIES,
        help_text="ISO 3166-1 alpha-2 code of the implementing city's country.",
    )
    policy_area = policy_area_filter(
        method="filter_policy_area", label=_("Policy area"), help_text="Policy area code."
    )
    sector = sector_filter(
        method="filter_sector", label=_("Economic sector"), help_text="ISIC section letter (A–U)."
    )
    language = django_filters.ChoiceFilter(
        choices=content_language_choices,
        label=_("Language"),
        help_text="ISO 639-1 code of the language the practice is written in, such as ja.",
    )
    scale = django_filters.ChoiceFilter(
        choices=BestPractice.Scale.choices, help_text="pilot, district, citywide or national."
    )
    cost_max = IntegerFilter(
        method="filter_cost_max",
        label=_("Cost at most (USD)"),
        help_text="Practices whose cost (the amount, or the middle of the range) is at most this.",
    )
    has_evidence = FlagFilter(
        method="filter_has_evidence",
        label=_("Has evidence"),
        help_text="true: only practices that cite evidence; false: only those that do not.",
    )
    co2_avoided_min = FigureFilter(
        field_name="co2_avoided_t_per_year", label=_("CO₂ avoided at least (t/yr)")
    )
    energy_saved_min = FigureFilter(
        field_name="energy_saved_mwh_per_year", label=_("Energy saved at least (MWh/yr)")
    )
    waste_diverted_min = FigureFilter(
        field_name="waste_diverted_t_per_year", label=_("Waste diverted at least (t/yr)")
    )
    people_served_min = IntegerFilter(
        field_name="people_served", lookup_expr="gte", label=_("People served at least")
    )
    jobs_created_min = IntegerFilter(
        field_name="jobs_created", lookup_expr="gte", label=_("Jobs created at least")
    )
    status = django_filters.ChoiceFilter(
        choices=BestPractice.Status.choices,
        method="filter_status",
        help_text=(
            "Curators: practices in this status. Others: their own practices in this status "
            "(published: all published practices). Without it, published practices only."
        ),
    )
    ordering = PracticeOrderingFilter(
        fields=[(column, name) for name, column in ORDERINGS.items()],
        field_labels=ORDERING_LABELS,
        label=_("Sort by"),
        help_text=(
            "title, start_year, cost, published_at, updated_at, co2_avoided, energy_saved, "
            "waste_diverted, people_served or jobs_created; a leading - sorts descending. "
            "Default: best match with q, else title."
        ),
    )

    class Meta:
        model = BestPractice
        fields: list[str] = []

    def filter_queryset(self, queryset: BestPracticeQuerySet) -> BestPracticeQuerySet:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status=BestPractice.Status.PUBLISHED)
        return queryset

    def filter_status(
        self, queryset: BestPracticeQuerySet, name: str, value: str
    ) -> BestPracticeQuerySet:
        user = getattr(self.request, "user", None)
        if user is None:
            return queryset.none()
        return queryset.visible_to(user).filter(status=value)

    def filter_q(
        self, queryset: BestPracticeQuerySet, name: str, value: str
    ) -> BestPracticeQuerySet:
        return queryset.search(value)

    def filter_policy_area(
        self, queryset: BestPracticeQuerySet, name: str, value: str
    ) -> BestPracticeQuerySet:
        # The shared filter gives the area (or its code); one area per filter, so the join
        # never repeats a practice.
        return queryset.filter(policy_areas__code=getattr(value, "code", value))

    def filter_sector(
        self, queryset: BestPracticeQuerySet, name: str, value: str
    ) -> BestPracticeQuerySet:
        return queryset.filter(sectors__code=getattr(value, "code", value))

    def filter_cost_max(
        self, queryset: BestPracticeQuerySet, name: str, value: int
    ) -> BestPracticeQuerySet:
        return queryset.filter(LessThanOrEqual(cost_estimate(), value))

    def filter_has_evidence(
        self, queryset: BestPracticeQuerySet, name: str, value: bool
    ) -> BestPracticeQuerySet:
        cited = Exists(Evidence.objects.filter(practice=OuterRef("pk")))
        return queryset.filter(cited if value else ~cited)
