"""Planning an import: compare each checked row with the stored city and decide what to write.

A city whose stored profile already equals its row is not written at all, so importing the
same file twice changes nothing. Stored rows are read as tuples, a chunk at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from cities.countries import country_languages, region_of
from cities.languages import ISO_639_1
from cities.models import City, CityAreaLevel, CitySector
from cities.profile import CITY_COLUMNS, defaults
from cities.services import base_slug, taken_slugs_like, unique_slug

from .rows import CityImportError, CityRow, Progress, RowError, Taxonomy, chunks


@dataclass
class Plan:
    """What to do with one row, decided by comparing it with the stored city."""

    row: CityRow
    fields: dict[str, Any]  # CITY_COLUMNS as they should be stored
    existing_id: int | None
    slug: str
    write_city: bool  # False: the stored city already equals the row
    levels: dict[int, tuple[int, int]] | None  # area id → (expertise, need); None: unchanged
    shares: dict[int, float] | None  # sector id → share; None: unchanged
    city_id: int = 0  # the city's id, once written

    def as_city(self) -> City:
        return City(
            name=self.row.name,
            country=self.row.country,
            region=region_of(self.row.country),
            slug=self.slug,
            **self.fields,
        )


def plan_rows(
    rows: Sequence[CityRow], *, taxonomy: Taxonomy, progress: Progress | None
) -> list[Plan]:
    """Read the stored state of the rows' cities (3 queries a chunk) and decide each write.

    Stored rows are read as tuples, not model instances, and without ordering: for 34,000
    rows this comparison is most of a re-import's time.
    """
    plans: list[Plan] = []
    done = 0
    for chunk in chunks(rows):
        stored = {
            (name, country): (pk, slug, region, dict(zip(CITY_COLUMNS, values, strict=True)))
            for pk, name, country, slug, region, *values in City.objects.filter(
                name__in={row.name for row in chunk}
            )
            .order_by()
            .values_list("pk", "name", "country", "slug", "region", *CITY_COLUMNS)
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
) -> Plan:
    values = row.values
    if existing is not None:
        existing_id, slug, region, stored_fields = existing
        fields = dict(stored_fields)
    else:
        existing_id, slug, region, stored_fields = None, "", "", {}
        fields = defaults()
        fields["languages"] = [code for code in country_languages(row.country) if code in ISO_639_1]
    for name in CITY_COLUMNS:
        if name in values:
            fields[name] = values[name]
    fields = {name: fields[name] for name in CITY_COLUMNS}
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
    return Plan(
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


def check_geonames_ids(plans: Sequence[Plan]) -> None:
    """A GeoNames id names one place: refuse one that another stored city already has."""
    wanted = {
        plan.fields["geonames_id"]: plan.row
        for plan in plans
        if plan.write_city and plan.fields["geonames_id"] is not None
    }
    errors = []
    for ids in chunks(sorted(wanted)):
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
                        gettext("%(id)s already belongs to %(city)s (%(country)s)")
                        % {"id": geonames_id, "city": name, "country": country},
                    )
                )
    if errors:
        raise CityImportError(sorted(errors, key=lambda error: error.row or 0))


def assign_slugs(new_plans: Sequence[Plan]) -> None:
    """Give new cities unique slugs from name and country (two queries a chunk at most)."""
    taken: set[str] = set()
    for chunk in chunks(new_plans):
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
