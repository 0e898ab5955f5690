"""The landing page: "My city" for a signed-in user, a short public page for everyone else."""

from __future__ import annotations

from collections import defaultdict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cities.gaps import profile_gaps
from cities.models import City
from matching.models import Match, MatchRun
from matching.views.common import area_names, label_areas, runs_state

from ..querysets import with_cooperation
from . import context

TOP_ON_MY_CITY = 5


def _top_by_city(
    run: MatchRun | None, city_ids: list[int], names: dict[str, str], *, side: str
) -> dict[int, list]:
    """Each city's best matches on one side, for all the user's cities in one query."""
    if run is None or not city_ids:
        return {}
    rank = f"{side}_rank"
    grouped: dict[int, list[Match]] = defaultdict(list)
    matches = (
        with_cooperation(Match.objects.for_list())
        .filter(run=run, **{f"{side}_id__in": city_ids, f"{rank}__lte": TOP_ON_MY_CITY})
        .order_by(f"{side}_id", rank)
    )
    for match in label_areas(list(matches), names):
        grouped[getattr(match, f"{side}_id")].append(match)
    return grouped


def my_city(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "partnerships/landing.html")
    state = runs_state()
    cities: list[City] = list(request.user.edited_cities.with_profile())
    ids = [city.pk for city in cities]
    names = area_names() if state.active and ids else {}
    helpers = _top_by_city(state.active, ids, names, side="recipient")
    helped = _top_by_city(state.active, ids, names, side="donor")
    now = timezone.now()
    cards = []
    for city in cities:
        gaps = profile_gaps(city, now=now)
        cards.append(
            {
                "city": city,
                "gaps": gaps,
                "missing": {gap.key for gap in gaps},
                "helpers": helpers.get(city.pk, []),
                "helped": helped.get(city.pk, []),
            }
        )
    ctx = {"cards": cards, "runs": state, "coop": context.for_user(request.user, cities)}
    return render(request, "partnerships/my_city.html", ctx)
