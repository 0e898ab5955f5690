"""Who may act on a partnership: the editors of either of its two cities, and admins."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

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


def can_change_partnership(user, partnership: Partnership) -> bool:
    return any(can_act_for(user, city_id) for city_id in partnership.city_ids)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_partnership_editor(user, partnership: Partnership) -> None:
    require(
        can_change_partnership(user, partnership),
        "Only editors of one of the two cities and admins may change this partnership.",
    )


def can_answer(user, interest: ExpressionOfInterest) -> bool:
    """Answering is for the receiving city's editors (and admins)."""
    return can_act_for(user, interest.to_city_id)
