"""Exporting cities in the import format, so that an export imports back unchanged.

CSV cells that a spreadsheet would run as a formula get a leading apostrophe
(``toolkit.csv``), which the import removes again.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from django.db.models import QuerySet

from cities.models import City, CityAreaLevel, CitySector, PolicyArea, Sector
from cities.profile import CITY_COLUMNS, FIELDS, MAP_KINDS, Kind
from toolkit.csv import escape_formula

from .rows import CHUNK_SIZE, COLUMNS, EXTRA_COLUMNS, Progress

# The name this package has always exported for toolkit.csv's escaping (one implementation).
escape_cell = escape_formula


def export_cities(
    queryset: QuerySet[City] | None,
    fileobj: IO[str],
    *,
    fmt: str = "csv",
    progress: Progress | None = None,
) -> int:
    """Write cities to a text file in the import format (``fmt`` "csv" or "json").

    Returns the number of cities written. In CSV, text cells a spreadsheet would run as a
    formula are escaped with a leading apostrophe.
    """
    if fmt not in {"csv", "json"}:
        raise ValueError(f"Unknown export format {fmt!r}: use csv or json.")
    queryset = City.objects.all() if queryset is None else queryset
    total = queryset.count()
    records = _export_records(queryset)
    if fmt == "csv":
        writer = csv.writer(fileobj, lineterminator="\n")
        writer.writerow(COLUMNS + EXTRA_COLUMNS)
        for done, record in enumerate(records, start=1):
            writer.writerow(_csv_cells(record))
            _report(progress, done, total)
    else:
        fileobj.write("[")
        for done, record in enumerate(records, start=1):
            fileobj.write("\n  " if done == 1 else ",\n  ")
            fileobj.write(json.dumps(record, ensure_ascii=False))
            _report(progress, done, total)
        fileobj.write("\n]\n")
    if progress and not total:
        progress("export", 0, 0)
    return total


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress and (done % CHUNK_SIZE == 0 or done == total):
        progress("export", done, total)


def _export_records(queryset: QuerySet[City]) -> Iterator[dict[str, Any]]:
    area_codes = dict(PolicyArea.objects.values_list("id", "code"))
    area_order = {
        code: position
        for position, code in enumerate(PolicyArea.objects.values_list("code", flat=True))
    }
    sector_codes = dict(Sector.objects.values_list("id", "code"))
    cities = queryset.order_by("name", "country", "pk").only("id", "name", "country", *CITY_COLUMNS)
    for chunk in _chunked_iterator(cities.iterator(chunk_size=CHUNK_SIZE)):
        ids = [city.pk for city in chunk]
        levels: dict[int, list[tuple[str, int, int]]] = {}
        for city_id, area_id, expertise, need in (
            CityAreaLevel.objects.filter(city_id__in=ids)
            .order_by()
            .values_list("city_id", "policy_area_id", "expertise", "need")
        ):
            levels.setdefault(city_id, []).append((area_codes[area_id], expertise, need))
        shares: dict[int, list[tuple[str, float]]] = {}
        for city_id, sector_id, share in CitySector.objects.filter(city_id__in=ids).values_list(
            "city_id", "sector_id", "share"
        ):
            if share:
                shares.setdefault(city_id, []).append((sector_codes[sector_id], share))
        for city in chunk:
            city_levels = sorted(levels.get(city.pk, []), key=lambda item: area_order[item[0]])
            maps = {
                "expertise": {code: e for code, e, _ in city_levels if e},
                "needs": {code: n for code, _, n in city_levels if n},
                "sectors": dict(sorted(shares.get(city.pk, []))),
            }
            # Every column of the format, in the schema's order.
            yield {
                field.name: maps[field.name]
                if field.kind in MAP_KINDS
                else _stored(city, field.name, field.kind)
                for field in FIELDS
            }


def _stored(city: City, name: str, kind: Kind) -> Any:
    value = getattr(city, name)
    return list(value or []) if kind is Kind.LANGUAGES else value


def _chunked_iterator(items: Iterable[City]) -> Iterator[list[City]]:
    chunk: list[City] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _csv_cells(record: Mapping[str, Any]) -> list[Any]:
    cells = []
    for column in COLUMNS + EXTRA_COLUMNS:
        value = record[column]
        if isinstance(value, bool):
            cell: Any = "true" if value else "false"
        elif value is None:
            cell = ""
        elif column == "languages":
            cell = ";".join(value)
        elif isinstance(value, dict):
            cell = ";".join(f"{code}:{level!r}" for code, level in value.items())
        elif isinstance(value, str):
            cell = escape_formula(value)
        else:
            cell = repr(value) if isinstance(value, float) else value
        cells.append(cell)
    return cells
