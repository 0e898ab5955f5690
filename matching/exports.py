"""The match CSV: one column list for the match browser's download and the API's
``?format=csv`` (stored and on-the-fly matches alike), streamed row by row.

Rows are read as plain values (``Match.objects.list_rows()``: no model instances) through
``iterator()``, which PostgreSQL serves from a server-side cursor in chunks (``_streamed``):
the header leaves at once, the first rows within a second, and memory stays flat whatever the
number of rows (bench/exports.py). Numbers are rounded
to what a reader can use and their unit is in the header; text cells are spreadsheet-safe
(``toolkit.csv``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from toolkit.csv import csv_lines, csv_response

from .models import Match
from .querysets import MATCH_COLUMNS, OWN_COLUMNS
from .vocabulary import COMPONENTS

CHUNK_ROWS = 2000
CITY_EXPORT_COLUMNS = ("id", "name", "slug", "country", "population")
Row = Mapping[str, Any]


def _rounded(name: str, digits: int) -> Callable[[Row], object]:
    def cell(row: Row) -> object:
        value = row[name]
        return "" if value is None else round(value, digits)

    return cell


def _column(name: str) -> Callable[[Row], object]:
    return lambda row: "" if row[name] is None else row[name]


def _top_areas(row: Row) -> str:
    return ";".join(
        f"{a.get('area')}:{a.get('need')}:{a.get('expertise')}" for a in row["top_areas"]
    )


def _practices(row: Row) -> str:
    return ";".join(f"{p.get('id')}:{p.get('title')}" for p in row["practices"])


def _city_columns(side: str) -> list[tuple[str, Callable[[Row], object]]]:
    columns = []
    for name in CITY_EXPORT_COLUMNS:
        header = f"{side}_{name}" + (" (inhabitants)" if name == "population" else "")
        columns.append((header, _column(f"{side}__{name}")))
    return columns


# (header, cell of a ``list_rows()`` row): the one list both downloads write.
COLUMNS: tuple[tuple[str, Callable[[Row], object]], ...] = (
    ("id", _column("id")),
    ("run", _column("run_id")),
    *_city_columns("donor"),
    *_city_columns("recipient"),
    ("score (0-100)", _rounded("score", 1)),
    *((f"{name} (0-1)", _rounded(name, 3)) for name in COMPONENTS),
    ("donor_rank", _column("donor_rank")),
    ("recipient_rank", _column("recipient_rank")),
    ("size_ratio (larger/smaller population)", _rounded("size_ratio", 2)),
    ("top_areas (area:need:expertise, 0-3)", _top_areas),
    ("practices (id:title)", _practices),
    ("gives_back", lambda row: ";".join(str(code) for code in row["gives_back"])),
    ("existing_partnership", lambda row: "true" if row["existing_partnership"] else "false"),
)
HEADER = [header for header, _ in COLUMNS]


def values_of(match: Match) -> dict[str, Any]:
    """A Match (stored, or scored on the fly and never saved) as a ``list_rows()`` row."""
    row = {name: getattr(match, name) for name in OWN_COLUMNS}
    for side in ("donor", "recipient"):
        city = getattr(match, side)
        row.update({f"{side}__{name}": getattr(city, name) for name in CITY_EXPORT_COLUMNS})
    return row


def export_rows(rows: Iterable[Row]) -> Iterator[list[object]]:
    for row in rows:
        yield [cell(row) for _, cell in COLUMNS]


def _streamed(rows: QuerySet) -> Iterator[Row]:
    """The rows in chunks, read inside a transaction held while the download lasts.

    Outside a transaction Django declares PostgreSQL's cursor WITH HOLD, and PostgreSQL then
    computes the whole result before the first row (10 s at 10,000 cities under load); inside
    one the cursor streams from the first chunk (0.2 s). A client that leaves closes the
    generator, which ends the transaction.
    """
    with transaction.atomic():
        yield from rows.iterator(chunk_size=CHUNK_ROWS)


def matches_csv(
    matches: QuerySet[Match] | Iterable[Match], *, filename: str = "citymatch-matches.csv"
) -> StreamingHttpResponse:
    """The download of these matches, in their order: a queryset is read in chunks as values,
    a list (matches scored on the fly) as it is."""
    rows: Iterable[Row]
    if isinstance(matches, QuerySet):
        rows = _streamed(matches.values(*MATCH_COLUMNS))
    else:
        rows = (values_of(match) for match in matches)
    return csv_response(csv_lines(HEADER, export_rows(rows)), filename=filename)
