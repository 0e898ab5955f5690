"""Reading a city file: its encoding, its kind (CSV or JSON), its header and its rows of cells.

Only the file's shape is checked here; ``cities.importing.cells`` checks what the cells say.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import IO, Any

from toolkit.csv import unescape_formula

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

    Rows are numbered as a person finds them in the file: in a CSV the header is row 1, so the
    first city is row 2 (the row number a spreadsheet shows); in JSON the first object is row 1.
    """
    data = fileobj.read()
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
    if kind == "json":
        return _parse_json(text)
    return _parse_csv(text)


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


def _parse_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CityImportError([RowError(None, "", "is empty (a header row is needed)")]) from None
    except csv.Error as exc:
        raise CityImportError([RowError(1, "", f"cannot be read as CSV ({exc})")]) from exc
    columns = [column.strip().lower() for column in header]
    errors = _check_columns(columns, row=None)
    if errors:
        raise CityImportError(errors)
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
                if column not in IGNORED_COLUMNS
            }
            raw["_row"] = row_number
            rows.append(raw)
    except csv.Error as exc:
        errors.append(RowError(row_number, "", f"cannot be read as CSV ({exc})"))
    if errors:
        raise CityImportError(errors)
    return rows


def _parse_json(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
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
        if row_errors:
            errors.extend(row_errors)
            continue
        raw = {
            column: value
            for column, value in zip(columns, item.values(), strict=True)
            if column not in IGNORED_COLUMNS
        }
        raw["_row"] = index
        rows.append(raw)
    if errors:
        raise CityImportError(errors)
    return rows


def _check_columns(columns: Sequence[str], *, row: int | None) -> list[RowError]:
    errors = []
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            errors.append(RowError(row, column, "the column appears twice"))
        elif column not in KNOWN_COLUMNS and column not in IGNORED_COLUMNS:
            known = ", ".join(COLUMNS + EXTRA_COLUMNS)
            errors.append(RowError(row, column, f"unknown column (the columns are: {known})"))
        seen.add(column)
    errors.extend(
        RowError(row, column, "missing column") for column in REQUIRED_COLUMNS if column not in seen
    )
    return errors
