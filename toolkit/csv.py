"""Spreadsheet-safe CSV for every file CityMatch writes or reads (API lists, pages, exports).

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, which some
strip before looking) as a formula, so text written by users could run in the reader's
spreadsheet ("CSV injection"). Such cells get a leading apostrophe, which spreadsheets show
as plain text and which ``unescape_formula`` removes on import, so an export imports back
unchanged. Numbers are written as numbers: a negative number is data, not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """The cell to write for ``value``: text that a spreadsheet would run gets a leading '.

    Text that already starts with apostrophes before such a character gets one more, so that
    ``unescape_formula`` (which removes exactly one) gives back the original text.
    """
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unescape_formula(cell: str) -> str:
    """The text an escaped cell stood for (``'=1+1`` → ``=1+1``); other cells unchanged."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_PREFIXES):
        return cell[1:]
    return cell


class _Line:
    """A file-like object whose write() hands back the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Sequence[str],
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    *,
    escape: bool = True,
) -> Iterator[str]:
    """The header, then one line per row (a mapping by column name, or a sequence of cells).

    Cells are made spreadsheet-safe here; ``escape=False`` only for rows that went through
    ``escape_formula`` already (escaping twice would add a second apostrophe).
    """
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        cells = (row.get(name, "") for name in header) if isinstance(row, Mapping) else row
        values = ("" if cell is None else cell for cell in cells)
        yield writer.writerow([escape_formula(cell) for cell in values] if escape else list(values))


def csv_response(lines: Iterable[str], *, filename: str) -> StreamingHttpResponse:
    """A CSV download streamed line by line: memory stays flat whatever the number of rows."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
