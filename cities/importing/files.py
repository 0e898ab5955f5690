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
        raise CityImportError([RowError(None, "", f"is larger than {_size(limit)}")])
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CityImportError(
                [RowError(None, "", f"is not UTF-8 text (byte {exc.start} cannot be read)")]
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
                    f"has {len(rows)} cities; at most {settings.IMPORT_MAX_ROWS} "
                    "are imported at once (split the file)",
                )
            ]
        )
    return rows, errors


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit} bytes"


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
    raise CityImportError([RowError(None, "", "is neither a .csv nor a .json city file")])


def _parse_csv(text: str) -> tuple[list[dict[str, Any]], list[RowError]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CityImportError([RowError(None, "", "is empty (a header row is needed)")]) from None
    except csv.Error as exc:
        raise CityImportError([RowError(1, "", f"cannot be read as CSV ({exc})")]) from exc
    columns = [column.strip().lower() for column in header]
    errors = _check_columns(columns, row=None)
    if any(error.message == DUPLICATE for error in errors):
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
                        f"has {len(cells)} cells but the header has {len(columns)} columns",
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
        errors.append(RowError(row_number, "", f"cannot be read as CSV ({exc})"))
    return rows, errors


def _parse_json(text: str) -> tuple[list[dict[str, Any]], list[RowError]]:
    try:
        data = json_loads(text, max_depth=settings.JSON_MAX_DEPTH)
    except JSONTooDeep as exc:
        raise CityImportError([RowError(None, "", str(exc))]) from exc
    except json.JSONDecodeError as exc:
        raise CityImportError(
            [RowError(None, "", f"is not valid JSON ({exc.msg} at line {exc.lineno})")]
        ) from exc
    if not isinstance(data, list):
        raise CityImportError([RowError(None, "", "must hold a JSON list of city objects")])
    rows: list[dict[str, Any]] = []
    errors: list[RowError] = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            errors.append(RowError(index, "", "must be an object with the city's fields"))
            continue
        columns = [str(key).strip().lower() for key in item]
        row_errors = _check_columns(columns, row=index)
        errors.extend(row_errors)
        if any(error.message == DUPLICATE for error in row_errors):
            continue
        raw = {
            column: value
            for column, value in zip(columns, item.values(), strict=True)
            if column in KNOWN_COLUMNS
        }
        raw["_row"] = index
        rows.append(raw)
    return rows, errors


DUPLICATE = "the column appears twice"


def _check_columns(columns: Sequence[str], *, row: int | None) -> list[RowError]:
    errors = []
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            errors.append(RowError(row, column, DUPLICATE))
        elif column not in KNOWN_COLUMNS and column not in IGNORED_COLUMNS:
            known = ", ".join(COLUMNS + EXTRA_COLUMNS)
            errors.append(RowError(row, column, f"unknown column (the columns are: {known})"))
        seen.add(column)
    errors.extend(
        RowError(row, column, "missing column") for column in REQUIRED_COLUMNS if column not in seen
    )
    return errors
