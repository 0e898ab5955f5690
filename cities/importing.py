"""Import and export of city profiles in the file format of API.md ("City import format").

A file is CSV (UTF-8, a byte-order mark tolerated, one header row) or JSON (a list of objects
with the same keys). In JSON, ``languages`` may be a list and ``expertise``, ``needs`` and
``sectors`` objects (``{"waste": 3}``); the CSV forms (``ja;en``, ``waste:3;air:2``) work too.

Rows are numbered as a person finds them in the file: in a CSV the header is row 1, so the
first city is row 2 (the row number a spreadsheet shows); in JSON the first object is row 1.

Rules:

- The whole file is checked before anything is written. Any bad cell rejects the file with a
  ``CityImportError`` listing every bad row and field; nothing is written.
- (name, country) identifies a city: a known one is updated, an unknown one created. A column
  left out of the file keeps the stored values of known cities (defaults for new ones, and the
  country's languages for ``languages``); an empty cell means empty (0, false, none).
- A city whose stored profile already equals its row is not written at all, so importing the
  same file twice changes nothing (no ``updated_at`` moves, no signal is sent for it).
- The database work is in bulk: a constant number of queries per chunk of rows, never one per
  row, so the 34,000 cities of the GeoNames set import in seconds.
- After a successful import that changed something, ``city_profiles_changed`` is sent on
  commit with the ids of the created and updated cities and ``trigger="import"``.

Exports write the same format; CSV cells that a spreadsheet would run as a formula get a
leading apostrophe, which the import removes again, so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast

from django.db import connections, models, router, transaction
from django.db.models import QuerySet

from toolkit.csv import FORMULA_PREFIXES

from .countries import COUNTRY_NAMES, country_languages, region_of
from .languages import ISO_639_1
from .models import City, CityAreaLevel, CitySector, PolicyArea, Sector
from .services import base_slug, notify_profiles_changed, taken_slugs_like, unique_slug

# The columns of API.md, in its order.
COLUMNS = (
    "name",
    "country",
    "latitude",
    "longitude",
    "population",
    "role",
    "languages",
    "has_international_department",
    "international_staff",
    "years_of_cooperation",
    "absorptive_capacity",
    "cooperation_budget_usd",
    "cofunding_usd",
    "expertise",
    "needs",
    "sectors",
)
# Optional columns an export adds, so that a round trip keeps provenance as well.
EXTRA_COLUMNS = ("is_synthetic", "geonames_id", "sources")
REQUIRED_COLUMNS = ("name", "country", "latitude", "longitude", "population", "role")
# Columns of the API's own city lists (?format=csv): read-only there, ignored here.
IGNORED_COLUMNS = frozenset({"id", "slug", "region", "updated_at"})
KNOWN_COLUMNS = frozenset(COLUMNS + EXTRA_COLUMNS)

# City columns written by an import (the profile's levels and shares are separate tables).
CITY_FIELDS = (
    "latitude",
    "longitude",
    "population",
    "role",
    "languages",
    "has_international_department",
    "international_staff",
    "years_of_cooperation",
    "absorptive_capacity",
    "cooperation_budget_usd",
    "cofunding_usd",
    "is_synthetic",
    "geonames_id",
    "sources",
)
DEFAULTS: dict[str, Any] = {
    "languages": [],
    "has_international_department": False,
    "international_staff": 0,
    "years_of_cooperation": 0,
    "absorptive_capacity": 0,
    "cooperation_budget_usd": 0,
    "cofunding_usd": 0,
    "expertise": {},
    "needs": {},
    "sectors": {},
    "is_synthetic": False,
    "geonames_id": None,
    "sources": "",
}
CHUNK_SIZE = 2000
# Writing this many cities in one import is followed by ANALYZE of the city tables.
ANALYZE_AFTER_ROWS = 5000
TRUE_WORDS = frozenset({"true", "yes", "1", "y", "t"})
FALSE_WORDS = frozenset({"false", "no", "0", "n", "f"})
MAX_NAME_LENGTH = int(cast(models.Field, City._meta.get_field("name")).max_length or 200)
MAX_BIGINT = 2**63 - 1
ROLES = frozenset(City.Role.values)

# progress(stage, done, total): stages are "check", "compare" and "write" for an import and
# "export" for an export; ``done`` counts rows (or cities) finished in that stage.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` is None for the file as a whole (a missing column, bad JSON)."""

    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


class CityImportError(Exception):
    """The file was rejected; ``errors`` lists every problem found, in file order."""

    def __init__(self, errors: Sequence[RowError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Ids of the cities created or updated (the ones whose scores may have moved).
    city_ids: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged "
            f"({self.created + self.updated + self.unchanged} cities)"
        )


@dataclass
class CityRow:
    """A checked row: ``values`` holds the parsed value of every column the row gives."""

    row: int
    name: str
    country: str
    values: dict[str, Any]


# --- Reading a file ---------------------------------------------------------------------------


def parse_city_file(fileobj: IO, *, filename: str) -> list[dict[str, Any]]:
    """The rows of a CSV or JSON file as dicts of raw cells, each with its row number at "_row".

    Only the file's shape is checked here (encoding, JSON syntax, a header, known columns);
    ``validate_rows`` checks the cells.
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
            raw: dict[str, Any] = {
                column: _unescape_formula(cell)
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
            str(key).strip().lower(): value
            for key, value in item.items()
            if str(key).strip().lower() not in IGNORED_COLUMNS
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


def _unescape_formula(cell: str) -> str:
    """Undo the export's formula escaping: one leading apostrophe before = + - @ tab CR."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_PREFIXES):
        return cell[1:]
    return cell


# --- Checking cells ---------------------------------------------------------------------------


class _CellError(ValueError):
    pass


@dataclass
class Taxonomy:
    """Policy-area and sector codes with their ids, read once per import."""

    area_ids: dict[str, int]
    sector_ids: dict[str, int]

    @classmethod
    def load(cls) -> Taxonomy:
        return cls(
            area_ids=dict(PolicyArea.objects.values_list("code", "id")),
            sector_ids=dict(Sector.objects.values_list("code", "id")),
        )


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
    parsers = _parsers(taxonomy)
    checked: list[CityRow] = []
    errors: list[RowError] = []
    first_row_of: dict[tuple[str, str], int] = {}
    first_row_of_geonames: dict[int, int] = {}
    total = len(rows)
    for index, raw in enumerate(rows, start=1):
        row_number = raw["_row"]
        values: dict[str, Any] = {}
        for column, cell in raw.items():
            if column == "_row":
                continue
            try:
                values[column] = parsers[column](cell)
            except _CellError as exc:
                errors.append(RowError(row_number, column, str(exc)))
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


def _parsers(taxonomy: Taxonomy) -> dict[str, Callable[[Any], Any]]:
    return {
        "name": _parse_name,
        "country": _parse_country,
        "latitude": lambda cell: _parse_float(cell, low=-90, high=90, required=True),
        "longitude": lambda cell: _parse_float(cell, low=-180, high=180, required=True),
        "population": _parse_population,
        "role": _parse_role,
        "languages": _parse_languages,
        "has_international_department": _parse_bool,
        "international_staff": lambda cell: _parse_count(cell, high=MAX_BIGINT),
        "years_of_cooperation": lambda cell: _parse_count(cell, high=1000),
        "absorptive_capacity": lambda cell: _parse_count(cell, high=5),
        "cooperation_budget_usd": lambda cell: _parse_count(cell, high=MAX_BIGINT),
        "cofunding_usd": lambda cell: _parse_count(cell, high=MAX_BIGINT),
        "expertise": lambda cell: _parse_levels(cell, taxonomy),
        "needs": lambda cell: _parse_levels(cell, taxonomy),
        "sectors": lambda cell: _parse_shares(cell, taxonomy),
        "is_synthetic": _parse_bool,
        "geonames_id": _parse_geonames_id,
        "sources": _parse_text,
    }


def _is_empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _parse_name(cell: Any) -> str:
    if _is_empty(cell):
        raise _CellError("is required")
    if not isinstance(cell, str):
        raise _CellError("must be text")
    # Surrounding spaces are dropped, as every form and the API do; inner ones are kept so the
    # name matches the stored one exactly.
    name = cell.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise _CellError(f"must be at most {MAX_NAME_LENGTH} characters")
    return name


def _parse_text(cell: Any) -> str:
    if cell is None:
        return ""
    if not isinstance(cell, str):
        raise _CellError("must be text")
    return cell


def _parse_country(cell: Any) -> str:
    if _is_empty(cell):
        raise _CellError("is required")
    code = str(cell).strip().upper()
    if code not in COUNTRY_NAMES:
        raise _CellError(f"unknown country code '{cell}' (use ISO 3166-1 alpha-2, such as JP)")
    return code


def _parse_float(cell: Any, *, low: float, high: float, required: bool) -> float:
    if _is_empty(cell):
        raise _CellError("is required")
    if isinstance(cell, bool):
        raise _CellError(f"must be a number from {low:g} to {high:g}")
    try:
        value = float(cell.strip() if isinstance(cell, str) else cell)
    except (TypeError, ValueError):
        raise _CellError(f"must be a number from {low:g} to {high:g}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise _CellError(f"must be a number from {low:g} to {high:g}")
    return value


def _whole_number(cell: Any) -> int | None:
    """The integer a cell holds (``12``, ``"12"``, ``12.0``), else None."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else None
    if isinstance(cell, str):
        text = cell.strip()
        if text.lstrip("+-").isdigit():
            return int(text)
        try:
            value = float(text)
        except ValueError:
            return None
        return int(value) if value.is_integer() else None
    return None


def _parse_population(cell: Any) -> int:
    if _is_empty(cell):
        raise _CellError("is required")
    value = _whole_number(cell)
    if value is None or not 0 < value <= MAX_BIGINT:
        raise _CellError("must be a positive integer")
    return value


def _parse_count(cell: Any, *, high: int) -> int:
    if _is_empty(cell):
        return 0
    value = _whole_number(cell)
    if value is None or not 0 <= value <= high:
        if high < 1000:
            raise _CellError(f"must be a whole number from 0 to {high}")
        raise _CellError("must be a whole number ≥ 0")
    return value


def _parse_role(cell: Any) -> str:
    if _is_empty(cell):
        raise _CellError("is required")
    role = str(cell).strip().lower()
    if role not in ROLES:
        raise _CellError(f"'{cell}' is not a role (use donor, recipient or both)")
    return role


def _parse_bool(cell: Any) -> bool:
    if _is_empty(cell):
        return False
    if isinstance(cell, bool):
        return cell
    word = str(cell).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _CellError(f"'{cell}' is not true or false")


def _parse_geonames_id(cell: Any) -> int | None:
    if _is_empty(cell):
        return None
    value = _whole_number(cell)
    if value is None or not 0 < value < 2**31:
        raise _CellError("must be a positive integer (a GeoNames id)")
    return value


def _parse_languages(cell: Any) -> list[str]:
    if _is_empty(cell):
        return []
    if isinstance(cell, str):
        parts = cell.replace(",", ";").split(";")
    elif isinstance(cell, list) and all(isinstance(part, str) for part in cell):
        parts = cell
    else:
        raise _CellError("must be ISO 639-1 codes separated by ';', such as ja;en")
    codes = sorted({part.strip().lower() for part in parts if part.strip()})
    unknown = [code for code in codes if code not in ISO_639_1]
    if unknown:
        raise _CellError(f"not ISO 639-1 language codes: {', '.join(unknown)}")
    return codes


def _pairs(cell: Any, example: str) -> list[tuple[str, Any]]:
    """``"a:1;b:2"`` or ``{"a": 1}`` as (code, value) pairs; bad pieces raise _CellError."""
    if isinstance(cell, dict):
        return [(str(code).strip(), value) for code, value in cell.items()]
    if not isinstance(cell, str):
        raise _CellError(f"must be code:value pairs separated by ';', such as {example}")
    pairs = []
    for piece in cell.split(";"):
        if not piece.strip():
            continue
        code, colon, value = piece.partition(":")
        if not colon:
            raise _CellError(f"'{piece.strip()}' is not code:value (such as {example})")
        pairs.append((code.strip(), value.strip()))
    return pairs


def _parse_levels(cell: Any, taxonomy: Taxonomy) -> dict[str, int]:
    if _is_empty(cell):
        return {}
    problems: list[str] = []
    levels: dict[str, int] = {}
    for code, value in _pairs(cell, "waste:3;air:2"):
        code = code.lower()
        level = _whole_number(value)
        if code not in taxonomy.area_ids:
            problems.append(f"unknown policy area '{code}'")
        elif code in levels:
            problems.append(f"'{code}' is given twice")
        elif level is None or not 0 <= level <= 3:
            problems.append(f"the level of '{code}' must be 0, 1, 2 or 3, not '{value}'")
        elif level:
            levels[code] = level
        else:
            levels[code] = 0
    if problems:
        raise _CellError("; ".join(problems))
    return {code: level for code, level in levels.items() if level}


def _share(value: Any) -> float:
    """The number a share cell holds, NaN when it holds none."""
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _parse_shares(cell: Any, taxonomy: Taxonomy) -> dict[str, float]:
    if _is_empty(cell):
        return {}
    problems: list[str] = []
    shares: dict[str, float] = {}
    for code, value in _pairs(cell, "C:0.3;E:0.1"):
        code = code.upper()
        share = _share(value)
        if code not in taxonomy.sector_ids:
            problems.append(f"unknown ISIC section '{code}' (use a letter A to U)")
        elif code in shares:
            problems.append(f"'{code}' is given twice")
        elif not math.isfinite(share) or share < 0:
            problems.append(f"the share of '{code}' must be a number ≥ 0, not '{value}'")
        else:
            shares[code] = share
    if problems:
        raise _CellError("; ".join(problems))
    # A zero share says nothing a missing one does not; leaving it out keeps stored
    # profiles comparable whichever way the file wrote it.
    return {code: share for code, share in shares.items() if share > 0}


# --- Writing ----------------------------------------------------------------------------------


def import_cities(fileobj: IO, *, filename: str, progress: Progress | None = None) -> ImportResult:
    """Check a whole CSV or JSON file, then create and update its cities in one transaction.

    Raises ``CityImportError`` (and writes nothing) when any row is bad.
    """
    raw_rows = parse_city_file(fileobj, filename=filename)
    taxonomy = Taxonomy.load()
    rows = validate_rows(raw_rows, taxonomy=taxonomy, progress=progress)
    return import_rows(rows, taxonomy=taxonomy, progress=progress)


@dataclass
class _Plan:
    """What to do with one row, decided by comparing it with the stored city."""

    row: CityRow
    fields: dict[str, Any]  # CITY_FIELDS as they should be stored
    existing_id: int | None
    slug: str
    write_city: bool  # False: the stored city already equals the row
    levels: dict[int, tuple[int, int]] | None  # area id → (expertise, need); None: unchanged
    shares: dict[int, float] | None  # sector id → share; None: unchanged
    city_id: int | None = None

    def as_city(self) -> City:
        return City(
            name=self.row.name,
            country=self.row.country,
            region=region_of(self.row.country),
            slug=self.slug,
            **self.fields,
        )


def import_rows(
    rows: Sequence[CityRow],
    *,
    taxonomy: Taxonomy | None = None,
    progress: Progress | None = None,
    trigger: str = "import",
    notify: bool = True,
) -> ImportResult:
    """Write checked rows: compare each with the stored city, then write only what differs.

    ``notify=False`` writes without sending ``city_profiles_changed`` (the demo loader, after
    which a full scoring run follows anyway).
    """
    taxonomy = taxonomy or Taxonomy.load()
    result = ImportResult()
    with transaction.atomic():
        plans = _plan(rows, taxonomy=taxonomy, progress=progress)
        _check_geonames_ids(plans)
        _assign_slugs([plan for plan in plans if plan.existing_id is None])
        result.city_ids = _write(plans, progress=progress)
        if len(result.city_ids) >= ANALYZE_AFTER_ROWS:
            _refresh_planner_statistics()
        result.created = sum(1 for plan in plans if plan.existing_id is None)
        result.updated = len(result.city_ids) - result.created
        result.unchanged = len(plans) - len(result.city_ids)
        if notify:
            notify_profiles_changed(city_ids=result.city_ids, trigger=trigger)
    return result


def _refresh_planner_statistics() -> None:
    """After a big write, let PostgreSQL plan the next queries with the new row counts.

    Autovacuum would analyze the tables only a while later; until then queries that read
    the new cities (a re-import, a scoring run) are planned for the old, maybe empty, tables.
    Inside the transaction ANALYZE samples its own new rows too.
    """
    connection = connections[router.db_for_write(City)]
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (City, CityAreaLevel, CitySector)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _chunks(items: Sequence, size: int = CHUNK_SIZE) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _plan(rows: Sequence[CityRow], *, taxonomy: Taxonomy, progress: Progress | None) -> list[_Plan]:
    """Read the stored state of the rows' cities (3 queries a chunk) and decide each write.

    Stored rows are read as tuples, not model instances, and without ordering: for 34,000
    rows this comparison is most of a re-import's time.
    """
    plans: list[_Plan] = []
    done = 0
    for chunk in _chunks(rows):
        stored = {
            (name, country): (pk, slug, region, dict(zip(CITY_FIELDS, values, strict=True)))
            for pk, name, country, slug, region, *values in City.objects.filter(
                name__in={row.name for row in chunk}
            )
            .order_by()
            .values_list("pk", "name", "country", "slug", "region", *CITY_FIELDS)
        }
        ids = [
            stored[key][0] for key in ((row.name, row.country) for row in chunk) if key in stored
        ]
        stored_levels: dict[int, dict[int, tuple[int, int]]] = {}
        for city_id, area_id, expertise, need in (
            CityAreaLevel.objects.filter(city_id__in=ids)
            .order_by()
            .values_list("city_id", "policy_area_id", "expertise", "need")
        ):
            if expertise or need:
                stored_levels.setdefault(city_id, {})[area_id] = (expertise, need)
        stored_shares: dict[int, dict[int, float]] = {}
        for city_id, sector_id, share in (
            CitySector.objects.filter(city_id__in=ids)
            .order_by()
            .values_list("city_id", "sector_id", "share")
        ):
            if share:
                stored_shares.setdefault(city_id, {})[sector_id] = share
        for row in chunk:
            existing = stored.get((row.name, row.country))
            stored_id = existing[0] if existing else None
            plans.append(
                _plan_row(
                    row,
                    existing,
                    stored_levels.get(stored_id, {}) if stored_id else {},
                    stored_shares.get(stored_id, {}) if stored_id else {},
                    taxonomy,
                )
            )
        done += len(chunk)
        if progress:
            progress("compare", done, len(rows))
    return plans


def _plan_row(
    row: CityRow,
    existing: tuple[int, str, str, dict[str, Any]] | None,
    stored_levels: dict[int, tuple[int, int]],
    stored_shares: dict[int, float],
    taxonomy: Taxonomy,
) -> _Plan:
    values = row.values
    if existing is not None:
        existing_id, slug, region, stored_fields = existing
        fields = dict(stored_fields)
    else:
        existing_id, slug, region, stored_fields = None, "", "", {}
        fields = dict(DEFAULTS)
        fields["languages"] = [code for code in country_languages(row.country) if code in ISO_639_1]
    for name in CITY_FIELDS:
        if name in values:
            fields[name] = values[name]
    fields = {name: fields[name] for name in CITY_FIELDS}
    fields["languages"] = sorted(set(fields["languages"]))
    levels = _planned_levels(values, stored_levels, taxonomy, is_new=existing is None)
    shares: dict[int, float] | None = None
    if "sectors" in values:
        wanted_shares = {
            taxonomy.sector_ids[code]: share for code, share in values["sectors"].items()
        }
        if wanted_shares != stored_shares or existing is None:
            shares = wanted_shares
    # Any change to the profile, levels and shares included, moves the city's updated_at.
    write_city = (
        existing is None
        or levels is not None
        or shares is not None
        or region != region_of(row.country)
        or fields != stored_fields
    )
    return _Plan(
        row=row,
        fields=fields,
        existing_id=existing_id,
        slug=slug,
        write_city=write_city,
        levels=levels,
        shares=shares,
    )


def _planned_levels(
    values: Mapping[str, Any],
    stored: dict[int, tuple[int, int]],
    taxonomy: Taxonomy,
    *,
    is_new: bool,
) -> dict[int, tuple[int, int]] | None:
    """The (expertise, need) rows the city should have, or None when they stay as stored.

    A file with only an ``expertise`` column keeps the stored needs, and the other way round.
    """
    if "expertise" not in values and "needs" not in values:
        return None
    expertise = values.get("expertise")
    needs = values.get("needs")
    wanted: dict[int, tuple[int, int]] = {}
    for code, area_id in taxonomy.area_ids.items():
        old_expertise, old_need = stored.get(area_id, (0, 0))
        new_expertise = expertise.get(code, 0) if expertise is not None else old_expertise
        new_need = needs.get(code, 0) if needs is not None else old_need
        if new_expertise or new_need:
            wanted[area_id] = (new_expertise, new_need)
    return wanted if wanted != stored or is_new else None


def _check_geonames_ids(plans: Sequence[_Plan]) -> None:
    """A GeoNames id names one place: refuse one that another stored city already has."""
    wanted = {
        plan.fields["geonames_id"]: plan.row
        for plan in plans
        if plan.write_city and plan.fields["geonames_id"] is not None
    }
    errors = []
    for ids in _chunks(sorted(wanted)):
        for geonames_id, name, country in (
            City.objects.filter(geonames_id__in=ids)
            .order_by()
            .values_list("geonames_id", "name", "country")
        ):
            row = wanted[geonames_id]
            if (name, country) != (row.name, row.country):
                errors.append(
                    RowError(
                        row.row,
                        "geonames_id",
                        f"{geonames_id} already belongs to {name} ({country})",
                    )
                )
    if errors:
        raise CityImportError(sorted(errors, key=lambda error: error.row or 0))


def _assign_slugs(new_plans: Sequence[_Plan]) -> None:
    """Give new cities unique slugs from name and country (two queries a chunk at most)."""
    taken: set[str] = set()
    for chunk in _chunks(new_plans):
        bases = [base_slug(plan.row.name, plan.row.country) for plan in chunk]
        stored = set(
            City.objects.filter(slug__in=set(bases)).order_by().values_list("slug", flat=True)
        )
        # A base already used (stored, earlier in the file, or twice here) gets a numbered
        # suffix, so the numbered slugs already stored for it must be known too.
        crowded = stored | {base for base in bases if base in taken}
        crowded |= {base for base, count in Counter(bases).items() if count > 1}
        taken |= stored | taken_slugs_like(crowded)
        for plan in chunk:
            plan.slug = unique_slug(plan.row.name, plan.row.country, taken=taken)


def _write(plans: Sequence[_Plan], *, progress: Progress | None) -> list[int]:
    """Upsert the changed cities, then replace their levels and shares, chunk by chunk.

    Returns the ids of the cities written.
    """
    changed_ids: list[int] = []
    to_write = [plan for plan in plans if plan.write_city]
    done = 0
    for chunk in _chunks(to_write):
        cities = [plan.as_city() for plan in chunk]
        # One upsert for new and changed cities: (name, country) decides which.
        City.objects.bulk_create(
            cities,
            update_conflicts=True,
            unique_fields=["name", "country"],
            update_fields=[*CITY_FIELDS, "region", "updated_at"],
        )
        for plan, city in zip(chunk, cities, strict=True):
            plan.city_id = plan.existing_id if plan.existing_id is not None else city.pk
            changed_ids.append(plan.city_id)
        _replace_rows(
            CityAreaLevel,
            ("city", "policy_area", "expertise", "need"),
            [plan for plan in chunk if plan.levels is not None],
            lambda plan: [
                (plan.city_id, area_id, expertise, need)
                for area_id, (expertise, need) in (plan.levels or {}).items()
            ],
        )
        _replace_rows(
            CitySector,
            ("city", "sector", "share"),
            [plan for plan in chunk if plan.shares is not None],
            lambda plan: [
                (plan.city_id, sector_id, share) for sector_id, share in (plan.shares or {}).items()
            ],
        )
        done += len(chunk)
        if progress:
            progress("write", done, len(to_write))
    if progress and not to_write:
        progress("write", 0, 0)
    return sorted(changed_ids)


def _replace_rows(
    model: type[CityAreaLevel] | type[CitySector],
    fields: Sequence[str],
    plans: Sequence[_Plan],
    rows_of: Callable[[_Plan], list[tuple]],
) -> None:
    """Delete the stored rows of the plans' known cities, then insert the wanted rows."""
    if not plans:
        return
    known = [plan.city_id for plan in plans if plan.existing_id is not None]
    if known:
        model.objects.filter(city_id__in=known).delete()
    insert_rows(model, fields, [row for plan in plans for row in rows_of(plan)])


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert plain tuples of numbers without a model instance per row.

    ``bulk_create`` builds and prepares one instance per row, which for the ~300,000 level and
    share rows of a full import costs more than the database does. PostgreSQL takes the rows
    through COPY (no SQL to parse per row); other databases through multi-row INSERTs. The
    values are ints and floats already checked, so they need no quoting.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(
        quote(cast(models.Field, model._meta.get_field(name)).column) for name in fields
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            text = "".join("\t".join(map(repr, row)) + "\n" for row in rows)
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(text))
            return
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        limit = connection.features.max_query_params
        per_statement = min(5000, limit // len(fields)) if limit else 5000
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([placeholder] * len(batch)),
                [value for row in batch for value in row],
            )


# --- Export -----------------------------------------------------------------------------------


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
    cities = queryset.order_by("name", "country", "pk").only("id", "name", "country", *CITY_FIELDS)
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
            yield {
                "name": city.name,
                "country": city.country,
                "latitude": city.latitude,
                "longitude": city.longitude,
                "population": city.population,
                "role": city.role,
                "languages": list(city.languages or []),
                "has_international_department": city.has_international_department,
                "international_staff": city.international_staff,
                "years_of_cooperation": city.years_of_cooperation,
                "absorptive_capacity": city.absorptive_capacity,
                "cooperation_budget_usd": city.cooperation_budget_usd,
                "cofunding_usd": city.cofunding_usd,
                "expertise": {code: e for code, e, _ in city_levels if e},
                "needs": {code: n for code, _, n in city_levels if n},
                "sectors": dict(sorted(shares.get(city.pk, []))),
                "is_synthetic": city.is_synthetic,
                "geonames_id": city.geonames_id,
                "sources": city.sources,
            }


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
            cell = escape_cell(value)
        else:
            cell = repr(value) if isinstance(value, float) else value
        cells.append(cell)
    return cells


def escape_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ' before = + - @ tab CR.

    A cell that already starts with apostrophes before such a character gets one more, so
    the import (which removes exactly one) reads back the original text.
    """
    if value.lstrip("'").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
