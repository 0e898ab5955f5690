"""Checking the cells of a city file: each row is read into Python values, then checked by the
profile's one check, ``clean_profile``, exactly as a form, the API or the admin would be.

Reading a cell only undoes the file's notation (``ja;en``, ``waste:3;air:2``, ``yes``); what
the values may be is the profile schema's business.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from cities.profile import FIELD, FIELDS, Kind, ProfileField
from cities.validation import clean_profile

from .rows import CHUNK_SIZE, CityImportError, CityRow, Progress, RowError, Taxonomy

TRUE_WORDS = frozenset({"true", "yes", "1", "y", "t"})
FALSE_WORDS = frozenset({"false", "no", "0", "n", "f"})


class CellError(ValueError):
    """A cell whose notation cannot be read; the message reads after the column's name."""


def validate_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    taxonomy: Taxonomy | None = None,
    progress: Progress | None = None,
) -> list[CityRow]:
    """Check every cell of every row; raise ``CityImportError`` naming all bad rows and fields.

    Also rejects a (name, country) or GeoNames id given twice in the file.
    """
    taxonomy = taxonomy or Taxonomy.load()
    checked: list[CityRow] = []
    errors: list[RowError] = []
    first_row_of: dict[tuple[str, str], int] = {}
    first_row_of_geonames: dict[int, int] = {}
    total = len(rows)
    for index, raw in enumerate(rows, start=1):
        row_number = raw["_row"]
        values, problems = _check_row(raw, taxonomy)
        # In the file's order of columns, as a person reads the row.
        errors.extend(
            RowError(row_number, column, problems[column]) for column in raw if column in problems
        )
        name, country = values.get("name"), values.get("country")
        if name and country:
            first = first_row_of.setdefault((name, country), row_number)
            if first != row_number:
                errors.append(
                    RowError(row_number, "name", f"{name} ({country}) is already on row {first}")
                )
        geonames_id = values.get("geonames_id")
        if geonames_id is not None:
            first = first_row_of_geonames.setdefault(geonames_id, row_number)
            if first != row_number:
                errors.append(
                    RowError(row_number, "geonames_id", f"{geonames_id} is already on row {first}")
                )
        if name and country:
            checked.append(CityRow(row=row_number, name=name, country=country, values=values))
        if progress and (index % CHUNK_SIZE == 0 or index == total):
            progress("check", index, total)
    if errors:
        raise CityImportError(errors)
    return checked


def _check_row(raw: Mapping[str, Any], taxonomy: Taxonomy) -> tuple[dict[str, Any], dict[str, str]]:
    """The row's cleaned values (those that passed) and a message per bad column."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for column, cell in raw.items():
        if column == "_row":
            continue
        try:
            values[column] = read_cell(FIELD[column], cell)
        except CellError as exc:
            problems[column] = str(exc)
    codes = {"policy_areas": taxonomy.area_ids, "sectors": taxonomy.sector_ids}
    try:
        return clean_profile(values, **codes), problems
    except ValidationError as exc:
        refused = exc.message_dict
    problems.update({column: messages[0] for column, messages in refused.items()})
    # The rest is still needed: the row's name and country find it again further down the file.
    passed = {column: value for column, value in values.items() if column not in refused}
    return clean_profile(passed, **codes), problems


def read_cell(field: ProfileField, cell: Any) -> Any:
    """A cell as a value of its field's kind, for ``clean_profile`` to check.

    An empty cell means empty: the field's default (0, false, none), or "is required".
    """
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        if field.required:
            raise CellError(gettext("is required"))
        return copy.copy(field.default)
    # Looked up by name, not by kind: this runs for every cell, and enum members hash slowly.
    reader = _NOTATION_OF[field.name]
    return cell if reader is None else reader(cell)


def _flag(cell: Any) -> bool:
    if isinstance(cell, bool):
        return cell
    word = str(cell).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(gettext("'%(value)s' is not true or false") % {"value": cell})


def _languages(cell: Any) -> list[str]:
    if isinstance(cell, str):
        return cell.replace(",", ";").split(";")
    if isinstance(cell, list):
        return cell
    raise CellError(gettext("must be ISO 639-1 codes separated by ';', such as ja;en"))


def _pairs(cell: Any, example: str) -> Mapping[str, Any] | list[tuple[str, str]]:
    """``"a:1;b:2"`` as (code, value) pairs (a code given twice stays twice, to be reported);
    an object (JSON) as it is."""
    if isinstance(cell, dict):
        return cell
    if not isinstance(cell, str):
        raise CellError(
            gettext("must be code:value pairs separated by ';', such as %(example)s")
            % {"example": example}
        )
    pairs = []
    for piece in cell.split(";"):
        if not piece.strip():
            continue
        code, colon, value = piece.partition(":")
        if not colon:
            raise CellError(f"'{piece.strip()}' is not code:value (such as {example})")
        pairs.append((code.strip(), value.strip()))
    return pairs


def _levels(cell: Any) -> Mapping[str, Any] | list[tuple[str, str]]:
    return _pairs(cell, "waste:3;air:2")


def _shares(cell: Any) -> Mapping[str, Any] | list[tuple[str, str]]:
    return _pairs(cell, "C:0.3;E:0.1")


# How a file writes a value of each kind, where it differs from the value itself.
_NOTATIONS: dict[Kind, Callable[[Any], Any]] = {
    Kind.FLAG: _flag,
    Kind.LANGUAGES: _languages,
    Kind.LEVELS: _levels,
    Kind.SHARES: _shares,
}
_NOTATION_OF = {field.name: _NOTATIONS.get(field.kind) for field in FIELDS}
