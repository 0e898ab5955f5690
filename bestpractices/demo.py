"""The demo catalogue: about 25 practices written from public facts about the curated cities.

``load_demo_practices()`` reads ``demo_data/practices.json``, finds each implementing city by
(name, country) among the loaded cities and skips practices whose city is not there. Each
practice goes through the services like any other: created by the demo curator, checked
against the publication checklist and published. A practice whose slug exists is left alone,
so running the loader twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Field
from django.utils.text import slugify

from cities.models import City, Organization, PolicyArea, Sector
from cities.permissions import CURATOR_GROUP

from . import services
from .models import BestPractice
from .revisions import PRACTICE_FIELDS

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DATA_FILE = Path(__file__).resolve().parent / "demo_data" / "practices.json"
CURATOR_USERNAME = "curator"
# The demo practices are written from published sources by this account and published by the
# curator: a practice is never published by its own author.
AUTHOR_USERNAME = "catalogue-sources"


@dataclass
class DemoPracticesResult:
    created: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # titles whose city is not loaded

    def summary(self) -> str:
        text = f"Catalogue: {self.created} demo practices published, {self.unchanged} already there"
        if self.skipped:
            text += f", {len(self.skipped)} skipped (their city is not loaded)"
        return text + "."


def demo_curator() -> User:
    """The demo curator (``cities.demo`` creates it with a password; here it may be new)."""
    user, created = get_user_model().objects.get_or_create(username=CURATOR_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=CURATOR_GROUP)[0])
    return user


def demo_author() -> User:
    """The account the demo practices are written by (it cannot sign in)."""
    user, created = get_user_model().objects.get_or_create(username=AUTHOR_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def load_demo_practices(
    *,
    curator: User | None = None,
    path: Path = DATA_FILE,
    progress: Callable[[int, int], None] | None = None,
) -> DemoPracticesResult:
    """Create and publish the demo practices whose city is loaded; one transaction, and one
    ``practices_changed`` for all their cities."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    curator = curator or demo_curator()
    author = demo_author()
    result = DemoPracticesResult()
    cities = {(city.name, city.country): city for city in City.objects.only("name", "country")}
    areas = {area.code: area for area in PolicyArea.objects.all()}
    sectors = {sector.code: sector for sector in Sector.objects.all()}
    organizations = {org.name: org for org in Organization.objects.all()}
    existing = set(BestPractice.objects.values_list("slug", flat=True))
    with transaction.atomic(), services.announcing_once():
        for number, row in enumerate(rows, start=1):
            city = cities.get(tuple(row["city"]))
            if city is None:
                result.skipped.append(row["title"])
            elif slugify(row["title"]) in existing:
                result.unchanged += 1
            else:
                content = _content(row, city, areas, sectors, organizations)
                practice = services.create_practice(user=author, content=content)
                services.publish_practice(practice=practice, user=curator)
                result.created += 1
            if progress is not None:
                progress(number, len(rows))
    return result


def _content(
    row: dict[str, Any],
    city: City,
    areas: dict[str, PolicyArea],
    sectors: dict[str, Sector],
    organizations: dict[str, Organization],
) -> services.PracticeContent:
    return services.PracticeContent(
        fields={**{name: row.get(name, _empty(name)) for name in PRACTICE_FIELDS}, "city": city},
        policy_areas=[areas[code] for code in row["policy_areas"]],
        sectors=[sectors[code] for code in row.get("sectors", [])],
        # Partners the organizations list does not hold are left out, not invented.
        partners=[
            (organizations[name], role)
            for name, role in row.get("partners", [])
            if name in organizations
        ],
        steps=row.get("steps", []),
        evidence=row.get("evidence", []),
        outcomes=row.get("outcomes", []),
        lessons=row.get("lessons", []),
    )


def _empty(name: str) -> Any:
    """What a practice field holds when the data file leaves it out."""
    column = BestPractice._meta.get_field(name)
    # PRACTICE_FIELDS are the practice's own columns, never relations.
    if not isinstance(column, Field) or column.null:
        return None
    return column.get_default()
