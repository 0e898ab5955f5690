"""Writing a practice: create, edit, delete, an admin save, and restoring an earlier revision.

Each write checks who is writing, runs in one transaction (holding the practice's lock when it
exists), and keeps what every change keeps: the search vector, a revision and, when a published
practice changes, the news for scoring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from cities.permissions import is_curator

from ..models import BestPractice, PracticeRevision
from ..permissions import can_edit
from ..revisions import restored_summary
from .announcements import announce
from .content import (
    PracticeContent,
    apply_fields,
    content_from_snapshot,
    unique_slug,
    validate_content,
    write_rows,
)
from .guards import lock_practice, require_permission
from .revisions import record_revision
from .search import refresh_search_vector
from .workflow import ChecklistIncomplete, missing_for_publication

if TYPE_CHECKING:
    from ..permissions import AnyUser

Status = BestPractice.Status
EMPTY_LISTS = ("sectors", "partners", "steps", "evidence", "outcomes", "lessons")


def create_practice(*, user: AnyUser, content: PracticeContent) -> BestPractice:
    """A new practice by a signed-in user; it starts as a draft that only its author sees."""
    if not user.is_authenticated:
        raise PermissionDenied(gettext("Sign in to submit a practice."))
    # Written, unless the author says otherwise, in the language they work in.
    language = (translation.get_language() or "en").split("-")[0]
    practice = BestPractice(author=user, status=Status.DRAFT, language=language)
    with transaction.atomic():
        apply_fields(practice, content.fields)
        practice.slug = unique_slug(practice.title)
        # A new practice has no stored lists to keep: a list left out is an empty one (and an
        # empty list of areas is an error the validation names).
        content.policy_areas = content.policy_areas or []
        for name in EMPTY_LISTS:
            if getattr(content, name) is None:
                setattr(content, name, [])
        validate_content(practice, content)
        practice.save()
        write_rows(practice, content)
        refresh_search_vector(practice=practice)
        record_revision(practice=practice, user=user, summary="Created")
    return practice


def update_practice(
    *, practice: BestPractice, user: AnyUser, content: PracticeContent, summary: str = "Edited"
) -> BestPractice:
    """Change a practice; a published practice's change reaches scoring after commit."""
    with transaction.atomic():
        practice = lock_practice(practice)
        require_permission(
            can_edit(user, practice),
            gettext("Only its author (while a draft) and curators may edit."),
        )
        old_city_id = practice.city_id
        apply_fields(practice, content.fields)
        validate_content(practice, content)
        practice.save()
        write_rows(practice, content)
        refresh_search_vector(practice=practice)
        record_revision(practice=practice, user=user, summary=summary)
        if practice.status == Status.PUBLISHED:
            # Both cities: the old one lost a practice, the new one gained it.
            announce([old_city_id, practice.city_id])
    return practice


def delete_practice(*, practice: BestPractice, user: AnyUser) -> None:
    with transaction.atomic():
        practice = lock_practice(practice)
        require_permission(
            can_edit(user, practice),
            gettext("Only its author (while a draft) and curators may delete."),
        )
        if practice.status == Status.PUBLISHED:
            announce([practice.city_id])
        practice.delete()


def record_admin_save(
    *, practice: BestPractice, user: AnyUser, created: bool, old_city_id: int | None = None
) -> None:
    """The admin site saved a practice and its rows with its own forms (each row validated
    there); keep what the services keep for every change: the search vector, a revision and,
    for a published practice, the news for scoring."""
    with transaction.atomic():
        if created and practice.author_id is None and user.is_authenticated:
            practice.author = user
            practice.save(update_fields=["author"])
        refresh_search_vector(practice=practice)
        record_revision(
            practice=practice,
            user=user,
            summary="Created in the admin" if created else "Edited in the admin",
        )
        if practice.status == Status.PUBLISHED:
            announce([practice.city_id, old_city_id or practice.city_id])


def restore_revision(*, revision: PracticeRevision, user: AnyUser) -> BestPractice:
    """A curator brings back an earlier content; the restore is itself a new revision.

    The status is not part of what is restored (that is the curation workflow's business); a
    published practice cannot be restored to content that fails the checklist.
    """
    require_permission(is_curator(user), gettext("Only curators may restore a revision."))
    content = content_from_snapshot(revision.snapshot)
    with transaction.atomic():
        practice = update_practice(
            practice=revision.practice,
            user=user,
            content=content,
            summary=restored_summary(revision.number),
        )
        if practice.status == Status.PUBLISHED:
            missing = missing_for_publication(practice)
            if missing:
                # Raised inside the transaction, so the restore is rolled back whole.
                raise ChecklistIncomplete(missing)
    return practice
