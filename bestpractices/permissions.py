"""Who may see and change a practice.

The list twin of ``can_view`` is ``BestPracticeQuerySet.visible_to``; the services check
``can_edit`` before every change, and pages and the API ask both to show or hide what a user
may do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from cities.permissions import is_curator

from .models import BestPractice

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
