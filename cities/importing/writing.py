"""Writing an import: one transaction, in bulk, then the rescoring signal once it commits.

The database work is a constant number of queries per chunk of rows, never one per row, so
the 34,000 cities of the GeoNames set import in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, Any, cast

from django.db import connections, models, router, transaction

from cities.models import City, CityAreaLevel, CitySector
from cities.profile import CITY_COLUMNS
from cities.services import notify_profiles_changed
from toolkit.pgcopy import insert_numbers

from .access import check_row_access
from .cells import validate_rows
from .files import read_city_file
from .planning import Plan, assign_slugs, check_geonames_ids, plan_rows
from .rows import CityImportError, CityRow, ImportResult, Progress, RowError, Taxonomy, chunks

# Writing this many cities in one import is followed by ANALYZE of the city tables.
ANALYZE_AFTER_ROWS = 5000


def import_cities(
    fileobj: IO[Any], *, filename: str, user: Any = None, progress: Progress | None = None
) -> ImportResult:
    """Check a whole CSV or JSON file, then create and update its cities in one transaction.

    ``user`` is who imports: each row is checked against what they may write
    (``cities.importing.access``); None is the system (an admin's rights).
    Raises ``CityImportError`` (and writes nothing) when any row is bad or refused; its report
    names every problem of every row at once.
    """
    raw_rows, file_errors = read_city_file(fileobj, filename=filename)
    taxonomy = Taxonomy.load()
    try:
        rows = validate_rows(raw_rows, taxonomy=taxonomy, progress=progress)
    except CityImportError as exc:
        raise CityImportError(_merged(file_errors, exc.errors)) from None
    if file_errors:
        raise CityImportError(file_errors)
    return import_rows(rows, taxonomy=taxonomy, progress=progress, user=user)


def _merged(file_errors: Sequence[RowError], cell_errors: Sequence[RowError]) -> list[RowError]:
    """Both lists in row order; a cell error is left out where its column is missing anyway."""
    missing = {(error.row, error.field) for error in file_errors}
    missing_everywhere = {field for row, field in missing if row is None}
    cells = [
        error
        for error in cell_errors
        if (error.row, error.field) not in missing and error.field not in missing_everywhere
    ]
    return sorted([*file_errors, *cells], key=lambda error: -1 if error.row is None else error.row)


def import_rows(
    rows: Sequence[CityRow],
    *,
    taxonomy: Taxonomy | None = None,
    progress: Progress | None = None,
    trigger: str = "import",
    notify: bool = True,
    user: Any = None,
) -> ImportResult:
    """Write checked rows: compare each with the stored city, then write only what differs.

    ``notify=False`` writes without sending ``city_profiles_changed`` (the demo loader, after
    which a full scoring run follows anyway).
    """
    taxonomy = taxonomy or Taxonomy.load()
    result = ImportResult()
    with transaction.atomic():
        plans = plan_rows(rows, taxonomy=taxonomy, progress=progress)
        check_row_access(plans, user=user)
        check_geonames_ids(plans)
        assign_slugs([plan for plan in plans if plan.existing_id is None])
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


def _write(plans: Sequence[Plan], *, progress: Progress | None) -> list[int]:
    """Upsert the changed cities, then replace their levels and shares, chunk by chunk.

    Returns the ids of the cities written.
    """
    changed_ids: list[int] = []
    to_write = [plan for plan in plans if plan.write_city]
    done = 0
    for chunk in chunks(to_write):
        cities = [plan.as_city() for plan in chunk]
        # One upsert for new and changed cities: (name, country) decides which.
        City.objects.bulk_create(
            cities,
            update_conflicts=True,
            unique_fields=["name", "country"],
            update_fields=[*CITY_COLUMNS, "region", "updated_at"],
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
    plans: Sequence[Plan],
    rows_of: Callable[[Plan], list[tuple[int | float, ...]]],
) -> None:
    """Delete the stored rows of the plans' known cities, then insert the wanted rows.

    The rows are plain tuples of checked numbers: ``bulk_create`` would build and prepare one
    instance for each of the ~300,000 level and share rows of a full import.
    """
    if not plans:
        return
    known = [plan.city_id for plan in plans if plan.existing_id is not None]
    if known:
        model.objects.filter(city_id__in=known).delete()
    connection = connections[router.db_for_write(model)]
    # The fields are the model's own columns (no reverse relations), hence the cast.
    columns = [cast(models.Field, model._meta.get_field(name)).column for name in fields]
    rows = [row for plan in plans for row in rows_of(plan)]
    insert_numbers(connection, model._meta.db_table, columns, rows)
