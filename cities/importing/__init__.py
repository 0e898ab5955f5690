"""Import and export of city profiles in the file format of API.md ("City import format").

A file is CSV (UTF-8, a byte-order mark tolerated, one header row) or JSON (a list of objects
with the same keys). In JSON, ``languages`` may be a list and ``expertise``, ``needs`` and
``sectors`` objects (``{"waste": 3}``); the CSV forms (``ja;en``, ``waste:3;air:2``) work too.

Rules:

- Who imports may write only some rows (``access``): one refused row rejects the file.
- The whole file is checked before anything is written, each row by the profile's one check
  (``cities.validation.clean_profile``). Any bad cell rejects the file with a
  ``CityImportError`` listing every bad row and field; nothing is written.
- (name, country) identifies a city: a known one is updated, an unknown one created. A column
  left out of the file keeps the stored values of known cities (defaults for new ones, and the
  country's languages for ``languages``); an empty cell means empty (0, false, none).
- A city whose stored profile already equals its row is not written at all, so importing the
  same file twice changes nothing (no ``updated_at`` moves, no signal is sent for it).
- The database work is in bulk: a constant number of queries per chunk of rows.
- After a successful import that changed something, ``city_profiles_changed`` is sent in
  its transaction with the ids of the created and updated cities and ``trigger="import"``.

The steps, one module each: ``files`` (a file's shape), ``cells`` (what its cells say),
``planning`` (what differs from the stored cities), ``writing`` (the bulk writes), and
``export`` (the same format, written).
"""

from .access import check_row_access, may_import
from .cells import validate_rows
from .export import escape_cell, export_cities
from .files import parse_city_file, read_city_file
from .rows import (
    COLUMNS,
    EXTRA_COLUMNS,
    CityImportError,
    CityRow,
    ImportResult,
    Progress,
    RowError,
    Taxonomy,
)
from .writing import import_cities, import_rows

__all__ = [
    "COLUMNS",
    "EXTRA_COLUMNS",
    "CityImportError",
    "CityRow",
    "ImportResult",
    "Progress",
    "RowError",
    "Taxonomy",
    "check_row_access",
    "escape_cell",
    "export_cities",
    "import_cities",
    "import_rows",
    "may_import",
    "parse_city_file",
    "read_city_file",
    "validate_rows",
]
