"""Reading a city file: its encoding, its kind (CSV or JSON), its header and its rows of cells.

Only the file's shape is checked here; ``cities.importing.cells`` checks what the cells say.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import IO, Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext

from toolkit.csv import unescape_formula
from toolkit.jsonlimits import JSONTooDeep
from toolkit.jsonlimits import loads as json_loads

from .rows import (
    COLUMNS,
    EXTRA_COLUMNS,
    IGNORED_COLUMNS,
    KNOWN_COLUMNS,
    REQUIRED_COLUMNS,
    CityImportError,
    RowError,
)


def parse_city_file(fileobj: IO[Any], *, filename: str) -> list[dict[str, Any]]:
    """The rows of a CSV or JSON file as dicts of raw cells, each with its row number at "_row".

    Raises ``CityImportError`` for any problem of the file's shape; ``read_city_file`` returns
    them instead, with the rows that could be read.
    """
    rows, errors = read_city_file(fileobj, filename=filename)
    if errors:
        raise CityImportError(errors)
    return rows


def read_city_file(
    fileobj: IO[Any], *, filename: str
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The rows that could be read, and the problems of the file's shape (a row lacking or
    repeating columns, too many cells, the file too large or too deeply nested).

    Rows are numbered as a person finds them in the file: in a CSV the header is row 1, so the
    first city is row 2 (the row number a spreadsheet shows); in JSON the first object is row 1.
    The limits of settings (IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, JSON_MAX_DEPTH) hold here, so
    the API and the command share them. Problems that leave nothing to read raise
    ``CityImportError`` at once.
    """
    limit = settings.IMPORT_MAX_BYTES
    data = fileobj.read(limit + 1)
    if len(data) > limit:
        raise CityImportError(
            [RowError(None, "", gettext("is larger than %(size)s") % {"size": _size(limit)})]
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CityImportError(
                [
                    RowError(
                        None,
                        "",
                        gettext("is not UTF-8 text (byte %(byte)s cannot be read)")
                        % {"byte": exc.start},
                    )
                ]
            ) from exc
    else:
        text = data.removeprefix("\ufeff")
    kind = _file_kind(filename, text)
    rows, errors = _parse_json(text) if kind == "json" else _parse_csv(text)
    if len(rows) > settings.IMPORT_MAX_ROWS:
        raise CityImportError(
            [
                RowError(
                    None,
                    "",
                    gettext(
                        "has %(count)s cities; at most %(limit)s are imported at once "
                        "(split the file)"
                    )
                    % {
                        "count": number_format(len(rows), force_grouping=True),
                        "limit": number_format(settings.IMPORT_MAX_ROWS, force_grouping=True),
                    },
                )
            ]
        )
    return rows, errors


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return gettext("%(size)s MB") % {"size": number_format(f"{limit / (1024 * 1024):g}")}
    return gettext("%(size)s bytes") % {"size": number_format(limit, force_grouping=True)}


def _file_kind(filename: str, text: str) -> str:
    lowered = (filename or "").lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".csv"):
        return "csv"
    if text.lstrip().startswith("["):
        return "json"
    if "," in text.partition("\n")[0]:
        return "csv"
    raise CityImportError([RowError(None, "", gettext("is neither a .csv nor a .json city file"))])


def _parse_csv(text: str) -> tuple[list[dict[str, Any]], list[RowError]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CityImportError(
            [RowError(None, "", gettext("is empty (a header row is needed)"))]
        ) from None
    except csv.Error as exc:
        raise CityImportError(
            [RowError(1, "", gettext("cannot be read as CSV (%(error)s)") % {"error": exc})]
        ) from exc
    columns = [column.strip().lower() for column in header]
    errors = _check_columns(columns, row=None)
    if any(error.message == _duplicate() for error in errors):
        raise CityImportError(errors)  # Which cell is which is not known.
    rows: list[dict[str, Any]] = []
    row_number = 1
    try:
        for cells in reader:
            row_number += 1
            if not any(cell.strip() for cell in cells):
                continue  # A blank line is not a city.
            if len(cells) > len(columns):
                errors.append(
                    RowError(
                        row_number,
                        "",
                        gettext("has %(cells)s cells but the header has %(columns)s columns")
                        % {"cells": len(cells), "columns": len(columns)},
                    )
                )
                continue
            # Exports escape cells a spreadsheet would run as a formula; undo it.
            raw: dict[str, Any] = {
                column: unescape_formula(cell)
                for column, cell in zip(columns, cells, strict=False)
                if column in KNOWN_COLUMNS
            }
            raw["_row"] = row_number
            rows.append(raw)
    except csv.Error as exc:
        errors.append(
            RowError(row_number, "", gettext("cannot be read as CSV (%(error)s)") % {"error": exc})
        )
    return rows, errors


def _parse_json(text: str) -> tuple[list[dict[str, Any]], list[RowError]]:
    try:
        data = json_loads(text, max_depth=settings.JSON_MAX_DEPTH)
    except JSONTooDeep as exc:
        raise CityImportError([RowError(None, "", str(exc))]) from exc
    except json.JSONDecodeError as exc:
        raise CityImportError(
            [
                RowError(
                    None,
                    "",
                    gettext("is not valid JSON (%(error)s at line %(line)s)")
                    % {"error": exc.msg, "line": exc.lineno},
                )
            ]
        ) from exc
    if not isinstance(data, list):
        raise CityImportError(
            [RowError(None, "", gettext("must hold a JSON list of city objects"))]
        )
    rows: list[dict[str, Any]] = []
    errors: list[RowError] = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            errors.append(RowError(index, "", gettext("must be an object with the city's fields")))
            continue
        columns = [str(key).strip().lower() for key in item]
        row_errors = _check_columns(columns, row=index)
        errors.extend(row_errors)
        if any(error.message == _duplicate() for error in row_errors):
            continue
        raw = {
            column: value
            for column, value in zip(columns, item.values(), strict=True)
            if column in KNOWN_COLUMNS
        }
        raw["_row"] = index
        rows.append(raw)
    return rows, errors


def _duplicate() -> str:
    return gettext("the column appears twice")


def _check_columns(columns: Sequence[str], *, row: int | None) -> list[RowError]:
    errors = []
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            errors.append(RowError(row, column, _duplicate()))
        elif column not in KNOWN_COLUMNS and column not in IGNORED_COLUMNS:
            known = ", ".join(COLUMNS + EXTRA_COLUMNS)
            errors.append(
                RowError(
                    row,
                    column,
                    gettext("unknown column (the columns are: %(columns)s)") % {"columns": known},
                )
            )
        seen.add(column)
    errors.extend(
        RowError(row, column, gettext("missing column"))
        for column in REQUIRED_COLUMNS
        if column not in seen
    )
    return errors
