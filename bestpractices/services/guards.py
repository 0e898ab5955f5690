"""What a write starts with: the permission check, and the lock on an existing practice."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from ..models import BestPractice


def require_permission(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def lock_practice(practice: BestPractice) -> BestPractice:
    """The practice read afresh and locked until the transaction ends: revision numbers and
    status moves stay in order when two people act on it at once."""
    return BestPractice.objects.select_for_update().get(pk=practice.pk)
