"""Who may see and change a practice, and the lock that lets one writer at a time change it."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.core.exceptions import PermissionDenied

from cities.permissions import is_curator

from ..models import BestPractice

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    # What ``request.user`` is: a signed-in user (the project keeps Django's user model) or an
    # anonymous visitor.
    AnyUser: TypeAlias = User | AnonymousUser

Status = BestPractice.Status


def can_view(user: AnyUser, practice: BestPractice) -> bool:
    """Published practices are public; authors see their own; curators see all."""
    if practice.status == Status.PUBLISHED or is_curator(user):
        return True
    return bool(user.is_authenticated and practice.author_id == user.pk)


def can_edit(user: AnyUser, practice: BestPractice) -> bool:
    """Its author while it is a draft; curators at any time. Deleting follows the same rule."""
    if is_curator(user):
        return True
    return bool(
        user.is_authenticated and practice.author_id == user.pk and practice.status == Status.DRAFT
    )


def require_permission(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def lock_practice(practice: BestPractice) -> BestPractice:
    """The practice read afresh and locked until the transaction ends: revision numbers and
    status moves stay in order when two people act on it at once."""
    return BestPractice.objects.select_for_update().get(pk=practice.pk)
