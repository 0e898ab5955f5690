"""Filters of the partnership list: one FilterSet for the web page and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cities.filtersets import policy_area_filter
from toolkit.filters import FlagFilter, IntegerFilter

from .models import Partnership, Programme


class PartnershipFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label=_("City name"), help_text=_("Part of either city's name.")
    )
    city = IntegerFilter(
        method="filter_city",
        min_value=1,
        label=_("City"),
        help_text=_("Id of a city on either side."),
    )
    donor = IntegerFilter(
        field_name="donor_id", min_value=1, label=_("Donor"), help_text=_("Id of the donor city.")
    )
    recipient = IntegerFilter(
        field_name="recipient_id",
        min_value=1,
        label=_("Recipient"),
        help_text=_("Id of the recipient city."),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Partnership.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("Status"),
        help_text=_(
            "One or more of proposed, agreed, pilot, scaling, expanded, concluded, paused, ended."
        ),
    )
    active = FlagFilter(
        method="filter_active",
        label=_("Active"),
        help_text=_("true: agreed, pilot, scaling or expanded; false: the others."),
    )
    kind = django_filters.ChoiceFilter(
        choices=Partnership.Kind.choices,
        label=_("Kind"),
        help_text=_("donor_recipient or peers."),
    )
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.only("id", "name"),
        label=_("Programme"),
        help_text=_("Id of a programme."),
    )
    policy_area = policy_area_filter(
        method="filter_policy_area",
        label=_("Policy area"),
        help_text=_("Code of one of its areas."),
    )
    review_due = FlagFilter(
        method="filter_review_due",
        label=_("Review due"),
        help_text=_("true: still running and its review date has passed."),
    )
    mine = FlagFilter(
        method="filter_mine",
        label=_("My cities only"),
        help_text=_("true: those of cities you edit."),
    )

    class Meta:
        model = Partnership
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(donor__name__icontains=value) | Q(recipient__name__icontains=value)
        )

    def filter_city(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.filter(Q(donor_id=value) | Q(recipient_id=value))

    def filter_active(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        active = Q(status__in=Partnership.ACTIVE)
        return queryset.filter(active if value else ~active)

    def filter_policy_area(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # The shared policy-area filter gives the code (older versions gave the area itself).
        code = getattr(value, "code", value)
        links = Partnership.policy_areas.through.objects.filter(policyarea__code=code)
        return queryset.filter(pk__in=links.values("partnership_id"))

    def filter_review_due(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        due = Q(review_on__lte=timezone.localdate()) & ~Q(status__in=Partnership.CLOSED)
        return queryset.filter(due if value else ~due | Q(review_on__isnull=True))

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        cities = user.edited_cities.values("id")
        return queryset.filter(Q(donor_id__in=cities) | Q(recipient_id__in=cities))
