"""Who may act on a partnership: the editors of either of its two cities, and admins."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import ExpressionOfInterest, Partnership


def edited_city_ids(user) -> set[int]:
    """Ids of the cities the user edits (one query, kept on the user for the request)."""
    if not user.is_authenticated:
        return set()
    ids = getattr(user, "_citymatch_edited_city_ids", None)
    if ids is None:
        ids = set(user.edited_cities.values_list("id", flat=True))
        user._citymatch_edited_city_ids = ids
    return ids


def can_act_for(user, city_id: int) -> bool:
    """May the user speak for this city (send interest, start a partnership on its behalf)?"""
    if not user.is_authenticated:
        return False
    return user.is_staff or city_id in edited_city_ids(user)


def organization_ids(user) -> set[int]:
    """Ids of the organizations the user works for (one query, kept on the user)."""
    if not user.is_authenticated:
        return set()
    ids = getattr(user, "_citymatch_organization_ids", None)
    if ids is None:
        ids = set(user.organizations.values_list("id", flat=True))
        user._citymatch_organization_ids = ids
    return ids


def can_see_partnership_details(user, partnership: Partnership) -> bool:
    """Its reasons, ledger, projects' funding and notes: for the two cities' editors, the
    members of the organizations recorded as supporting it, and admins. Any signed-in user
    sees that it exists and its stage.

    Reads ``partnership.organization_links`` (prefetch it for lists).
    """
    if not user.is_authenticated:
        return False
    if can_change_partnership(user, partnership):
        return True
    mine = organization_ids(user)
    return bool(mine) and any(
        link.organization_id in mine for link in partnership.organization_links.all()
    )


def require_partnership_details(user, partnership: Partnership) -> None:
    require(
        can_see_partnership_details(user, partnership),
        _("Only the two cities' editors, its supporting organizations and admins see this."),
    )


def can_change_partnership(user, partnership: Partnership) -> bool:
    return any(can_act_for(user, city_id) for city_id in partnership.city_ids)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_partnership_editor(user, partnership: Partnership) -> None:
    require(
        can_change_partnership(user, partnership),
        _("Only editors of one of the two cities and admins may change this partnership."),
    )


def can_answer(user, interest: ExpressionOfInterest) -> bool:
    """Answering is for the receiving city's editors (and admins)."""
    return can_act_for(user, interest.to_city_id)
