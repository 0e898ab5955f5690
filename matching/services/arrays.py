"""Profiles → the engine's arrays, in a handful of whole-table queries.

The engine (``matching.scoring``) works on plain numpy arrays with one row per city, rows in
ascending city id. Building them issues one query per table (cities, area levels, sector shares,
relevance, the catalogue's practice counts, the donors' concluded partnerships), never one per
city, so the ~34,000 cities of the GeoNames set load in about a second on PostgreSQL.

A run freezes its inputs (``freeze``/``thaw``): every shard of the run scores the same snapshot
even if profiles change while it runs.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np
from django.core.cache import cache
from django.db import connection

from bestpractices.services import scoring_inputs
from cities.models import City, CityAreaLevel, CitySector, PolicyArea, Sector, SectorRelevance
from cities.profile import SCORED_FIELDS
from matching.scoring import CityArrays

from ..inputs import experience_years

# How long a process reuses the arrays it loaded for on-the-fly scoring. Profile and catalogue
# changes bump a version in the shared cache, which drops them at once in every process; the
# age bound covers changes that send no signal (a city deleted in the shell, say).
ARRAYS_MAX_AGE_S = 300
ARRAYS_VERSION_KEY = "partnerships:arrays-version"


@dataclass(frozen=True)
class ScoringInputs:
    """The engine's arrays plus the codes that give their columns a meaning."""

    arrays: CityArrays
    area_codes: tuple[str, ...]
    # The ISO 639-1 code of each column of ``arrays.languages`` (empty for thawed snapshots).
    language_codes: tuple[str, ...] = ()

    @property
    def ids(self) -> np.ndarray:
        return self.arrays.ids

    def rows_of(self, city_ids: Iterable[int]) -> np.ndarray:
        """Row indices of the given cities; ids that are not loaded are left out."""
        wanted = np.fromiter(city_ids, dtype=np.int64)
        rows = np.searchsorted(self.arrays.ids, wanted)
        rows = np.minimum(rows, max(len(self.arrays.ids) - 1, 0))
        found = (len(self.arrays.ids) > 0) & (self.arrays.ids[rows] == wanted)
        return rows[found]


def _fetch(queryset) -> list[tuple]:
    """Rows of a ``values_list`` queryset without building model instances.

    Skipping the ORM's per-row converters matters at 600,000 area levels. JSON columns come
    back as text (see ``_json_lists``).
    """
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _json_lists(values: list) -> list[list]:
    """Decode a column of JSON lists in one ``json.loads`` (34,000 small ones add up)."""
    if all(isinstance(value, list) for value in values):
        return values  # a driver that decodes JSON itself
    texts = [value if isinstance(value, str) else json.dumps(value or []) for value in values]
    return json.loads("[" + ",".join(texts) + "]") if texts else []


def load_inputs(*, city_ids: Iterable[int] | None = None) -> ScoringInputs:
    """Read every city profile, the taxonomies and the catalogue's counts into arrays.

    ``city_ids``: only those cities' rows (``patched_inputs`` puts them into loaded arrays).
    """
    cities = City.objects.order_by("id")
    levels_of = CityAreaLevel.objects.order_by()
    shares_of = CitySector.objects.order_by()
    if city_ids is not None:
        wanted = sorted({int(pk) for pk in city_ids})
        cities = cities.filter(pk__in=wanted)
        levels_of = levels_of.filter(city_id__in=wanted)
        shares_of = shares_of.filter(city_id__in=wanted)
    areas = list(PolicyArea.objects.order_by("position", "code").values_list("id", "code"))
    area_ids = [pk for pk, _ in areas]
    area_codes = tuple(code for _, code in areas)
    sector_ids = list(Sector.objects.order_by("code").values_list("id", flat=True))
    area_col = {pk: col for col, pk in enumerate(area_ids)}
    sector_col = {pk: col for col, pk in enumerate(sector_ids)}
    n_areas, n_sectors = len(area_ids), len(sector_ids)

    # The profile fields the engine reads, as the profile schema lists them, read by name.
    city_rows = _fetch(cities.values_list("id", *SCORED_FIELDS))
    n = len(city_rows)
    ids = np.fromiter((row[0] for row in city_rows), dtype=np.int64, count=n)
    column = {name: index for index, name in enumerate(SCORED_FIELDS, start=1)}

    def numbers(name: str) -> np.ndarray:
        return np.fromiter((row[column[name]] for row in city_rows), dtype=np.float64, count=n)

    roles = [row[column["role"]] for row in city_rows]
    language_lists = _json_lists([row[column["languages"]] for row in city_rows])

    expertise = np.zeros((n, n_areas), dtype=np.float32)
    needs = np.zeros((n, n_areas), dtype=np.float32)
    levels = _fetch(levels_of.values_list("city_id", "policy_area_id", "expertise", "need"))
    if levels:
        table = np.array(levels, dtype=np.int64)
        rows = np.searchsorted(ids, table[:, 0])
        cols = np.array([area_col[pk] for pk in table[:, 1].tolist()], dtype=np.int64)
        expertise[rows, cols] = table[:, 2]
        needs[rows, cols] = table[:, 3]

    sectors = np.zeros((n, n_sectors), dtype=np.float32)
    shares = _fetch(shares_of.values_list("city_id", "sector_id", "share"))
    if shares:
        table = np.array(shares, dtype=np.float64)
        rows = np.searchsorted(ids, table[:, 0].astype(np.int64))
        cols = np.array([sector_col[int(pk)] for pk in table[:, 1].tolist()], dtype=np.int64)
        sectors[rows, cols] = table[:, 2]

    relevance = np.zeros((n_sectors, n_areas), dtype=np.float32)
    for sector_id, area_id in SectorRelevance.objects.values_list("sector_id", "policy_area_id"):
        relevance[sector_col[sector_id], area_col[area_id]] = 1.0

    vocabulary = sorted({code for codes in language_lists for code in codes})
    language_col = {code: col for col, code in enumerate(vocabulary)}
    languages = np.zeros((n, len(vocabulary)), dtype=bool)
    for row, codes in enumerate(language_lists):
        for code in codes:
            languages[row, language_col[code]] = True

    practices, practice_cost = _catalogue_columns(ids, area_codes)

    # Concluded partnerships with good outcomes count as cooperation experience of their donor
    # (SCORING.md's ``years_d``; partnerships register them, see ``matching/inputs.py``).
    years = numbers("years_of_cooperation")
    for city_id, extra in experience_years().items():
        row = int(np.searchsorted(ids, city_id))
        if row < n and ids[row] == city_id:
            years[row] += extra

    role_array = np.array(roles, dtype=object) if n else np.zeros(0, dtype=object)
    arrays = CityArrays(
        ids=ids,
        population=numbers("population"),
        expertise=expertise,
        needs=needs,
        sectors=sectors,
        languages=languages,
        has_department=numbers("has_international_department").astype(bool),
        staff=numbers("international_staff"),
        years=years,
        absorptive_capacity=numbers("absorptive_capacity"),
        budget_usd=numbers("cooperation_budget_usd"),
        cofunding_usd=numbers("cofunding_usd"),
        practices=practices,
        practice_cost_usd=practice_cost,
        is_donor=np.isin(role_array, [City.Role.DONOR, City.Role.BOTH]),
        is_recipient=np.isin(role_array, [City.Role.RECIPIENT, City.Role.BOTH]),
        relevance=relevance,
    )
    return ScoringInputs(arrays=arrays, area_codes=area_codes, language_codes=tuple(vocabulary))


def _catalogue_columns(
    ids: np.ndarray, area_codes: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Per city row: published practices per area, and their median cost (NaN: none)."""
    n = len(ids)
    practices = np.zeros((n, len(area_codes)), dtype=np.float32)
    practice_cost = np.full(n, np.nan, dtype=np.float64)
    catalogue = scoring_inputs()
    code_col = {code: col for col, code in enumerate(area_codes)}
    for city_id, counts in catalogue.counts.items():
        row = int(np.searchsorted(ids, city_id))
        if row < n and ids[row] == city_id:
            for code, count in counts.items():
                if code in code_col:
                    practices[row, code_col[code]] = count
    for city_id, cost in catalogue.median_cost_usd.items():
        row = int(np.searchsorted(ids, city_id))
        if row < n and ids[row] == city_id and cost is not None:
            practice_cost[row] = float(cost)
    return practices, practice_cost


def patched_inputs(
    base: ScoringInputs, *, city_ids: Iterable[int], changed_since
) -> ScoringInputs | None:
    """``base`` with the rows of ``city_ids`` and of cities changed since then read afresh.

    A profile edit rescores one city: reading its rows (and those of cities saved since
    ``changed_since``, by ``City.updated_at``, which every profile write moves) costs a few
    small queries where reading every profile costs most of the rescoring. The catalogue's
    practice counts are read whole (one grouped query). ``None`` when patching cannot give what
    ``load_inputs()`` would: a city was added or deleted, or the taxonomies, the relevance table
    or the set of languages changed; the caller then loads everything.
    """
    if not base.language_codes and base.arrays.languages.shape[1]:
        return None
    changed = {int(pk) for pk in city_ids}
    changed.update(City.objects.filter(updated_at__gte=changed_since).values_list("pk", flat=True))
    if City.objects.count() != len(base.ids):
        return None
    part = load_inputs(city_ids=changed)
    old, new = base.arrays, part.arrays
    if part.area_codes != base.area_codes or not np.array_equal(new.relevance, old.relevance):
        return None
    rows = base.rows_of(new.ids.tolist())
    if len(rows) != len(new.ids):
        return None  # a city created since the base was loaded
    language_column = {code: column for column, code in enumerate(base.language_codes)}
    if any(code not in language_column for code in part.language_codes):
        return None
    values = {field.name: getattr(old, field.name).copy() for field in fields(CityArrays)}
    for field in fields(CityArrays):
        if field.name in ("ids", "relevance", "languages", "practices", "practice_cost_usd"):
            continue
        values[field.name][rows] = getattr(new, field.name)
    languages = values["languages"]
    languages[rows] = False
    spoken = [language_column[code] for code in part.language_codes]
    languages[rows[:, None], np.array(spoken, dtype=np.int64)[None, :]] = new.languages
    # Practices change with the catalogue, not with a profile: always the catalogue's now.
    values["practices"], values["practice_cost_usd"] = _catalogue_columns(base.ids, base.area_codes)
    return ScoringInputs(
        arrays=CityArrays(**values),
        area_codes=base.area_codes,
        language_codes=base.language_codes,
    )


# --- Snapshots of a run's inputs ------------------------------------------------------------


def freeze(inputs: ScoringInputs) -> bytes:
    """The inputs as bytes (numpy's npz format: arrays only, nothing executable)."""
    buffer = io.BytesIO()
    arrays = {field.name: getattr(inputs.arrays, field.name) for field in fields(CityArrays)}
    np.savez(
        buffer,
        __area_codes__=np.array(inputs.area_codes, dtype=str),
        __language_codes__=np.array(inputs.language_codes, dtype=str),
        **arrays,
    )
    return buffer.getvalue()


def thaw(data: bytes) -> ScoringInputs:
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as stored:
        area_codes = tuple(str(code) for code in stored["__area_codes__"])
        language_codes: tuple[str, ...] = ()
        if "__language_codes__" in stored.files:
            language_codes = tuple(str(code) for code in stored["__language_codes__"])
        arrays = CityArrays(**{field.name: stored[field.name] for field in fields(CityArrays)})
    return ScoringInputs(arrays=arrays, area_codes=area_codes, language_codes=language_codes)


# --- The arrays on-the-fly scoring reuses -----------------------------------------------------

_cached: tuple[object, float, ScoringInputs] | None = None
_cache_lock = threading.Lock()


def invalidate_inputs() -> None:
    """Profiles or practices changed: every process reloads the arrays on its next use."""
    cache.set(ARRAYS_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _inputs_version() -> str:
    # A cache that lost the key (restarted, cleared) must not look like "nothing changed".
    version = cache.get(ARRAYS_VERSION_KEY)
    if version is None:
        cache.add(ARRAYS_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(ARRAYS_VERSION_KEY)
    return version


def current_inputs() -> ScoringInputs:
    """The live profiles as arrays, reused while nothing changed (see ``invalidate_inputs``)."""
    global _cached
    version = _inputs_version()
    with _cache_lock:
        if _cached is not None:
            cached_version, loaded_at, inputs = _cached
            if cached_version == version and time.monotonic() - loaded_at < ARRAYS_MAX_AGE_S:
                return inputs
        inputs = load_inputs()
        _cached = (version, time.monotonic(), inputs)
        return inputs
