"""Who may do what. Admins (staff) may do everything; the groups below grant the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import City

AGENCY_GROUP = "agency"
CURATOR_GROUP = "curators"


def _in_group(user, name: str) -> bool:
    if not user.is_authenticated:
        return False
    # Cache on the user object: pages ask several times per request.
    groups = getattr(user, "_citymatch_groups", None)
    if groups is None:
        groups = set(user.groups.values_list("name", flat=True))
        user._citymatch_groups = groups
    return name in groups


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def is_agency(user) -> bool:
    return is_admin(user) or _in_group(user, AGENCY_GROUP)


def is_curator(user) -> bool:
    return is_admin(user) or _in_group(user, CURATOR_GROUP)


def can_edit_city(user, city: City) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return city.editors.filter(pk=user.pk).exists()
