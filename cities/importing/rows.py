"""The import format's columns, what a checked row holds, and how a rejected file is reported."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils.translation import gettext, pgettext

from cities.models import PolicyArea, Sector
from cities.profile import API_FIELDS, PROVENANCE_FIELDS, REQUIRED_FIELDS

# The columns of API.md, in its order.
COLUMNS = API_FIELDS
# Optional columns an export adds, so that a round trip keeps provenance as well.
EXTRA_COLUMNS = PROVENANCE_FIELDS
REQUIRED_COLUMNS = REQUIRED_FIELDS
# Columns of the API's own city lists (?format=csv): read-only there, ignored here.
IGNORED_COLUMNS = frozenset({"id", "slug", "region", "updated_at"})
KNOWN_COLUMNS = frozenset(COLUMNS + EXTRA_COLUMNS)

# Rows are read, compared and written this many at a time: a constant number of queries per
# chunk, never one per row.
CHUNK_SIZE = 2000

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
        where = (
            gettext("row %(row)s") % {"row": self.row}
            if self.row is not None
            else pgettext("import", "file")
        )
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
    """A checked row: ``values`` holds the cleaned value of every column the row gives."""

    row: int
    name: str
    country: str
    values: dict[str, Any]


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


Item = TypeVar("Item")


def chunks(items: Sequence[Item], size: int = CHUNK_SIZE) -> Iterator[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
