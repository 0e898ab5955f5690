"""A city's map: where its best partners are, on both sides."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cities.models import City

from . import worldmap
from .common import TOP_ON_CITY_PAGE, runs_state, top_matches

# Sizes of markers and labels on the full world map, in map units; zoomed maps scale them.
MAP_SIZES = {"home": 7, "partner": 4.5, "font": 13, "halo": 3, "dx": 7, "dy": 4, "home_dy": -9}


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
    return render(request, "matching/city_map.html", ctx)
