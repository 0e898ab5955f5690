"""Spreadsheet-safe CSV cells, for every file CityMatch writes (API lists, pages, exports).

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, which some
strip before looking) as a formula, so text written by users could run in the reader's
spreadsheet ("CSV injection"). Such cells get a leading apostrophe, which spreadsheets show
as plain text. Numbers are written as numbers: a negative number is data, not a formula.
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """The cell to write for ``value``: text that a spreadsheet would run gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
