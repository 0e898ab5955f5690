"""The city page: a profile, its matches on both sides and its cooperation."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from bestpractices.models import BestPractice
from cities.models import City, PolicyArea
from cities.permissions import can_edit_city
from cities.taxonomy import term
from matching.models import Match
from matching.views.common import (
    TOP_ON_CITY_PAGE,
    label_areas,
    language_name,
    runs_state,
    top_matches,
)
from matching.views.explain import EXPERTISE_WORDS, NEED_WORDS

from ..querysets import with_cooperation
from . import context


@dataclass(frozen=True)
class LevelRow:
    area: PolicyArea
    expertise: int
    need: int

    @property
    def expertise_label(self) -> str:
        return str(EXPERTISE_WORDS[self.expertise])

    @property
    def need_label(self) -> str:
        return str(NEED_WORDS[self.need])


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
    names = {area.code: term(area.name) for area in areas}
    marked = with_cooperation(Match.objects.for_list())
    helpers = top_matches(
        state.active, city, side="recipient", limit=TOP_ON_CITY_PAGE, matches=marked
    )
    helped = top_matches(state.active, city, side="donor", limit=TOP_ON_CITY_PAGE, matches=marked)
    can_edit = can_edit_city(request.user, city)
    grid, silent_areas = level_grid(city, areas)
    ctx = {
        "city": city,
        "grid": grid,
        "silent_areas": silent_areas,
        "sectors": sector_bars(city),
        "languages": [language_name(code) for code in city.languages or []],
        "practices": list(BestPractice.objects.published().filter(city=city).for_cards()),
        "helpers": label_areas(helpers, names),
        "helped": label_areas(helped, names),
        "runs": state,
        "can_edit": can_edit,
        "coop": context.for_city(city, request.user, can_act=can_edit),
    }
    return render(request, "partnerships/city_detail.html", ctx)
