from __future__ import annotations

from django.db import models
from django.db.models import Prefetch


class CityQuerySet(models.QuerySet):
    def countries(self) -> list[str]:
        """The country codes these cities are in (one query): a page's country filter offers
        these and no others."""
        return list(self.order_by().values_list("country", flat=True).distinct())

    def with_profile(self) -> CityQuerySet:
        """Everything a full profile shows, in a fixed number of queries."""
        from .models import CityAreaLevel, CitySector

        return self.prefetch_related(
            Prefetch(
                "area_levels",
                queryset=CityAreaLevel.objects.select_related("policy_area").order_by(
                    "policy_area__position"
                ),
            ),
            Prefetch(
                "sector_shares",
                queryset=CitySector.objects.select_related("sector").order_by("sector__code"),
            ),
        )

    def for_list(self) -> CityQuerySet:
        """Every list of cities (pages, API, CSV) reads through this.

        Three queries whatever the page size: the cities, then all their area levels and all
        their sector shares in one query each. The prefetches join the taxonomy tables for the
        code only, because lists show ``{"waste": 3}``, not the area's description.
        """
        from .models import CityAreaLevel, CitySector

        return self.prefetch_related(
            Prefetch(
                "area_levels",
                queryset=CityAreaLevel.objects.select_related("policy_area")
                .only(
                    "city_id",
                    "expertise",
                    "need",
                    "policy_area__code",
                    "policy_area__name",
                    "policy_area__position",
                )
                .order_by("policy_area__position"),
            ),
            Prefetch(
                "sector_shares",
                queryset=CitySector.objects.select_related("sector")
                .only("city_id", "share", "sector__code", "sector__name")
                .order_by("sector__code"),
            ),
        )

    def editable_by(self, user) -> CityQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(editors=user)


class OrganizationQuerySet(models.QuerySet):
    def for_list(self) -> OrganizationQuerySet:
        return self.prefetch_related("policy_areas")
