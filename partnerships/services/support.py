"""Help for smaller cities, and the donors that have mentored before.

Practitioners: only big cities have international cooperation departments; smaller ones need
support from national agencies and networks to establish links. A city without an
international department is shown the organizations and programmes that cover its country and
its needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch

from cities.models import City, CityAreaLevel, Organization, PolicyArea

from ..models import Programme

# Needs of this level or more (medium, high) are the ones worth finding support for.
NEED_MIN_LEVEL = 2


@dataclass
class Support:
    """Who can help a city without an international department."""

    city: City
    need_codes: list[str]
    organizations: list[Organization] = field(default_factory=list)
    programmes: list[Programme] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.organizations or self.programmes)


def needs_support(city: City) -> bool:
    return not city.has_international_department


@dataclass
class SupportCatalogue:
    """All organizations and programmes with their areas, fetched once (four queries) and
    filtered per city: a page showing several cities pays for them once."""

    organizations: list[Organization]
    programmes: list[Programme]

    @classmethod
    def load(cls) -> SupportCatalogue:
        areas = Prefetch("policy_areas", queryset=PolicyArea.objects.only("id", "code", "name"))
        return cls(
            organizations=list(Organization.objects.order_by("name").prefetch_related(areas)),
            programmes=list(
                Programme.objects.select_related("organization")
                .prefetch_related(areas)
                .order_by("name")
            ),
        )

    def for_city(self, city: City, levels: Iterable[CityAreaLevel] | None = None) -> Support:
        """Those covering the city's country and one of its needs of medium or more, or
        working in every area. ``levels`` default to the city's prefetched ``area_levels``
        (with their policy area)."""
        rows = levels if levels is not None else city.area_levels.all()
        needs = sorted({row.policy_area.code for row in rows if row.need >= NEED_MIN_LEVEL})

        def relevant(item: Organization | Programme) -> bool:
            codes = {area.code for area in item.policy_areas.all()}
            return item.covers_country(city.country) and (not codes or bool(codes & set(needs)))

        return Support(
            city=city,
            need_codes=needs,
            organizations=[o for o in self.organizations if relevant(o)],
            programmes=[p for p in self.programmes if relevant(p)],
        )
