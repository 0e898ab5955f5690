"""Who may write which rows of an import: the rules of API.md, checked row by row.

- Admins (and the ``import_cities`` command, unless ``--as USER`` names someone) write any row.
- Agency users create cities, and update cities that no editor maintains.
- A city's editors update that city; they create none.

Rows that would change nothing are not writes and are never refused. One refused row rejects
the file: the report names every refused row, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext

from cities.models import City
from cities.permissions import is_admin, is_agency

from .planning import Plan
from .rows import CityImportError, RowError, chunks


def may_import(user: Any) -> bool:
    """Whether the user may import at all: admins, agency users and cities' editors."""
    if user is None:
        return True
    return is_agency(user) or (user.is_authenticated and user.edited_cities.exists())


def check_row_access(plans: Sequence[Plan], *, user: Any) -> None:
    """Raise ``CityImportError`` naming each row the user may not write (None: the system)."""
    if user is None or is_admin(user):
        return
    agency = is_agency(user)
    writes = [plan for plan in plans if plan.write_city]
    known_ids = [plan.existing_id for plan in writes if plan.existing_id is not None]
    editors_of: dict[int, set[int]] = {}
    for ids in chunks(known_ids):
        for city_id, user_id in City.editors.through.objects.filter(city_id__in=ids).values_list(
            "city_id", "user_id"
        ):
            editors_of.setdefault(city_id, set()).add(user_id)
    errors = []
    for plan in writes:
        where = f"{plan.row.name} ({plan.row.country})"
        if plan.existing_id is None:
            if not agency:
                errors.append(
                    RowError(
                        plan.row.row,
                        "name",
                        gettext(
                            "%(city)s is a new city: only agency users and admins create cities"
                        )
                        % {"city": where},
                    )
                )
            continue
        editors = editors_of.get(plan.existing_id, set())
        if user.pk in editors or (agency and not editors):
            continue
        reason = (
            gettext("%(city)s is maintained by its editors: only they and admins may change it")
            if editors
            else gettext("%(city)s may be changed only by its editors, agency users and admins")
        )
        errors.append(RowError(plan.row.row, "name", reason % {"city": where}))
    if errors:
        raise CityImportError(errors)
