"""Writes to city profiles: every page, API view, admin and command goes through these.

A profile is a city row plus its expertise/need levels (``{"waste": 3}``) and sector shares
(``{"E": 0.2}``). Each write is one transaction, and ``city_profiles_changed`` is sent inside
it, so what a listener records (a rescoring request) commits or rolls back with the profile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext

from . import profile
from .models import City, CityAreaLevel, CitySector, PolicyArea, Sector, UserPreferences
from .signals import city_profiles_changed
from .validation import clean_profile

logger = logging.getLogger(__name__)

# Characters that NFKD normalisation does not reduce to ASCII, so slugify() would drop them.
_SLUG_TRANSLITERATION = str.maketrans(
    {
        "Đ": "D",
        "đ": "d",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "ß": "ss",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
        "Ħ": "H",
        "ħ": "h",
        "ʻ": "",
        "ʼ": "",
    }
)


def notify_profiles_changed(*, city_ids: Iterable[int], trigger: str) -> None:
    """Send ``city_profiles_changed`` now, inside the writer's transaction.

    What the receivers write (the rescoring request in the task outbox) commits or rolls back
    with the profiles; what they send outside the database waits for the commit themselves.
    """
    ids = sorted(set(city_ids))
    if not ids:
        return
    city_profiles_changed.send(sender=City, city_ids=ids, trigger=trigger)


def base_slug(name: str, country: str) -> str:
    """``kitakyushu-jp``: the name in ASCII plus the country, before any collision suffix."""
    name_part = slugify(name.translate(_SLUG_TRANSLITERATION)) or "city"
    return f"{name_part[:200]}-{country.lower()}"


def unique_slug(name: str, country: str, *, taken: set[str]) -> str:
    """The base slug, or the first free ``-2``, ``-3``… after it; adds the result to ``taken``.

    Deterministic: the same name, country and set of taken slugs always give the same slug.
    """
    base = base_slug(name, country)
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(slug)
    return slug


def taken_slugs_like(bases: Iterable[str]) -> set[str]:
    """Slugs in the database equal to one of ``bases`` or to a suffixed form of it."""
    wanted = set(bases)
    if not wanted:
        return set()
    query = Q(slug__in=wanted)
    for base in wanted:
        query |= Q(slug__startswith=f"{base}-")
    return set(City.objects.filter(query).values_list("slug", flat=True))


def create_city(
    *,
    fields: Mapping[str, Any] | None = None,
    expertise: Mapping[str, int] | None = None,
    needs: Mapping[str, int] | None = None,
    sectors: Mapping[str, float] | None = None,
    user: Any = None,
    trigger: str,
    city: City | None = None,
) -> City:
    """Create a city with its profile. ``fields`` are profile fields (name, country…).

    ``city`` is an unsaved city to fill in and save instead of a new one (the admin's form
    builds one). The slug is derived from name and country. A user who is not an admin (an
    agency user) becomes an editor of the city created, so they can correct it later.
    Raises ValidationError (keyed by field) and writes nothing when anything is invalid.
    """
    city = city if city is not None else City()
    _set_fields(city, fields)
    with transaction.atomic():
        city.slug = unique_slug(
            city.name, city.country, taken=taken_slugs_like([base_slug(city.name, city.country)])
        )
        _save_profile(city=city, expertise=expertise, needs=needs, sectors=sectors)
        if user is not None and user.is_authenticated and not user.is_staff:
            city.editors.add(user)
        notify_profiles_changed(city_ids=[city.pk], trigger=trigger)
    logger.info("City %s created by %s (%s)", city, _who(user), trigger)
    return city


def update_city_profile(
    *,
    city: City,
    fields: Mapping[str, Any] | None = None,
    expertise: Mapping[str, int] | None = None,
    needs: Mapping[str, int] | None = None,
    sectors: Mapping[str, float] | None = None,
    user: Any = None,
    trigger: str,
) -> City:
    """Change a city's fields and, where given, replace its expertise, needs or sectors.

    ``expertise``/``needs`` replace the whole column: an area left out goes to 0. ``None``
    leaves that part of the profile as it is. Name and country may change; ``fields`` never
    changes the slug, so links to the city keep working.
    """
    _set_fields(city, fields)
    with transaction.atomic():
        _save_profile(city=city, expertise=expertise, needs=needs, sectors=sectors)
        notify_profiles_changed(city_ids=[city.pk], trigger=trigger)
    logger.info("City %s updated by %s (%s)", city, _who(user), trigger)
    return city


def delete_city(*, city: City, user: Any = None) -> None:
    """Delete a city; its levels, shares and matches go with it."""
    label = str(city)
    city.delete()
    logger.info("City %s deleted by %s", label, _who(user))


def _set_fields(city: City, fields: Mapping[str, Any] | None) -> None:
    for name, value in (fields or {}).items():
        if name != "slug":
            setattr(city, name, value)


def _save_profile(
    *,
    city: City,
    expertise: Mapping[str, int] | None,
    needs: Mapping[str, int] | None,
    sectors: Mapping[str, float] | None,
) -> None:
    """Check the whole profile with ``clean_profile``, then write it; nothing when it fails."""
    areas = {area.code: area for area in PolicyArea.objects.all()}
    sector_ids = dict(Sector.objects.values_list("code", "id")) if sectors is not None else {}
    values: dict[str, Any] = {name: getattr(city, name) for name in profile.ROW_FIELDS}
    given = {"expertise": expertise, "needs": needs, "sectors": sectors}
    values.update({name: value for name, value in given.items() if value is not None})
    errors: dict[str, list[str]] = {}
    try:
        cleaned = clean_profile(values, policy_areas=areas, sectors=sector_ids)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned = {}
    for name in profile.ROW_FIELDS:
        if name in cleaned:
            setattr(city, name, cleaned[name])
    # What only the database knows (the same name and country twice), for the fields above
    # that passed: a field refused already is not reported twice.
    try:
        city.full_clean(exclude=["editors", *errors])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    city.save()
    if expertise is not None or needs is not None:
        _write_levels(
            city=city, areas=areas, expertise=cleaned.get("expertise"), needs=cleaned.get("needs")
        )
    if sectors is not None:
        _write_shares(city=city, shares=cleaned["sectors"], sector_ids=sector_ids)


def _write_levels(
    *,
    city: City,
    areas: Mapping[str, PolicyArea],
    expertise: Mapping[str, int] | None,
    needs: Mapping[str, int] | None,
) -> None:
    current = {
        row.policy_area_id: (row.expertise, row.need)
        for row in CityAreaLevel.objects.filter(city=city)
    }
    rows = []
    for code, area in areas.items():
        old_expertise, old_need = current.get(area.pk, (0, 0))
        new_expertise = expertise.get(code, 0) if expertise is not None else old_expertise
        new_need = needs.get(code, 0) if needs is not None else old_need
        if new_expertise or new_need:
            rows.append(
                CityAreaLevel(city=city, policy_area=area, expertise=new_expertise, need=new_need)
            )
    CityAreaLevel.objects.filter(city=city).delete()
    CityAreaLevel.objects.bulk_create(rows)


def _write_shares(
    *, city: City, shares: Mapping[str, float], sector_ids: Mapping[str, int]
) -> None:
    CitySector.objects.filter(city=city).delete()
    CitySector.objects.bulk_create(
        CitySector(city=city, sector_id=sector_ids[code], share=share)
        for code, share in shares.items()
    )


def _who(user: Any) -> str:
    return getattr(user, "username", None) or "the system"


def save_language_choice(*, user: Any, language: str) -> None:
    """Remember the page language a signed-in person chose (``""`` goes back to the browser's)."""
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(
            {"language": gettext("Unknown language %(code)s.") % {"code": repr(language)}}
        )
    UserPreferences.objects.update_or_create(user=user, defaults={"language": language})


def saved_language(user: Any) -> str:
    """The language ``user`` chose, or ``""`` when they never chose one."""
    preferences = UserPreferences.objects.filter(user=user).values_list("language", flat=True)
    return preferences.first() or ""


def saved_languages(users: Iterable[Any]) -> dict[int, str]:
    """The language each of ``users`` chose, by user id, in one query (those who never chose
    one are left out)."""
    ids = [user.pk for user in users]
    chosen = UserPreferences.objects.filter(user_id__in=ids).exclude(language="")
    return dict(chosen.values_list("user_id", "language"))
