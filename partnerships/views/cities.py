"""The city page and its map: a profile with its matches on both sides."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cities.models import City, PolicyArea
from cities.permissions import can_edit_city

from . import worldmap
from .common import (
    LEVEL_EXPERTISE,
    LEVEL_NEED,
    TOP_ON_CITY_PAGE,
    label_areas,
    language_name,
    runs_state,
    top_matches,
)
from .practices import practice_cards_of

# Sizes of markers and labels on the full world map, in map units; zoomed maps scale them.
MAP_SIZES = {"home": 7, "partner": 4.5, "font": 13, "halo": 3, "dx": 7, "dy": 4, "home_dy": -9}


@dataclass(frozen=True)
class LevelRow:
    area: PolicyArea
    expertise: int
    need: int

    @property
    def expertise_label(self) -> str:
        return LEVEL_EXPERTISE[self.expertise]

    @property
    def need_label(self) -> str:
        return LEVEL_NEED[self.need]


def level_grid(city: City, areas: list[PolicyArea]) -> tuple[list[LevelRow], list[PolicyArea]]:
    """The areas where the city states expertise or a need, in the taxonomy's order, and the
    areas where it states neither (listed in one line, so the grid stays short)."""
    stored = {row.policy_area_id: row for row in city.area_levels.all()}
    rows, silent = [], []
    for area in areas:
        row = stored.get(area.pk)
        if row and (row.expertise or row.need):
            rows.append(LevelRow(area=area, expertise=row.expertise, need=row.need))
        else:
            silent.append(area)
    return rows, silent


def sector_bars(city: City) -> list[dict]:
    """Sector shares as percentages of the city's total, largest first."""
    shares = [row for row in city.sector_shares.all() if row.share > 0]
    total = sum(row.share for row in shares) or 1.0
    bars = [{"sector": row.sector, "percent": round(100 * row.share / total, 1)} for row in shares]
    return sorted(bars, key=lambda bar: -bar["percent"])


@login_required
def city_detail(request: HttpRequest, slug: str) -> HttpResponse:
    city = get_object_or_404(City.objects.with_profile(), slug=slug)
    state = runs_state()
    areas = list(PolicyArea.objects.all())
    names = {area.code: area.name for area in areas}
    helpers = top_matches(state.active, city, side="recipient", limit=TOP_ON_CITY_PAGE)
    helped = top_matches(state.active, city, side="donor", limit=TOP_ON_CITY_PAGE)
    grid, silent_areas = level_grid(city, areas)
    ctx = {
        "city": city,
        "grid": grid,
        "silent_areas": silent_areas,
        "sectors": sector_bars(city),
        "languages": [language_name(code) for code in city.languages or []],
        "practices": practice_cards_of(city),
        "helpers": label_areas(helpers, names),
        "helped": label_areas(helped, names),
        "runs": state,
        "can_edit": can_edit_city(request.user, city),
    }
    return render(request, "partnerships/city_detail.html", ctx)


@login_required
def city_map(request: HttpRequest, slug: str) -> HttpResponse:
    city = get_object_or_404(City.objects.defer("sources"), slug=slug)
    state = runs_state()
    helpers = top_matches(state.active, city, side="recipient", limit=TOP_ON_CITY_PAGE)
    helped = top_matches(state.active, city, side="donor", limit=TOP_ON_CITY_PAGE)
    home = worldmap.project(city.latitude, city.longitude)
    partners = [m.donor for m in helpers] + [m.recipient for m in helped]
    view = worldmap.fit_view([home] + [worldmap.project(c.latitude, c.longitude) for c in partners])
    ctx = {
        "city": city,
        "runs": state,
        "helpers": helpers,
        "helped": helped,
        "lines": worldmap.map_lines(city, helpers, helped, view),
        "home": home,
        "view": view,
        "sizes": {name: view.size(units) for name, units in MAP_SIZES.items()},
        "land": worldmap.land_path(),
        "graticule": worldmap.graticule(),
        "map_width": worldmap.WIDTH,
        "map_height": worldmap.HEIGHT,
    }
    return render(request, "partnerships/city_map.html", ctx)
