"""The curation workflow: draft → submitted → published → archived, and the checklist a
practice must pass before it is published.

Each move is recorded twice: as a ``StatusChange`` (who, when, why: the practice's curation
history) and as a revision. A move into or out of "published" changes what scoring sees, so it
is announced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from cities.permissions import CURATOR_GROUP, is_admin, is_curator
from cities.services import saved_languages
from notifications.models import Kind
from notifications.services import notify

from ..models import BestPractice, StatusChange
from ..revisions import ADMIN_OVERRIDE
from .announcements import announce
from .guards import lock_practice, require_permission
from .revisions import record_revision

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..permissions import AnyUser

Status = BestPractice.Status


class WorkflowError(Exception):
    """A curation step the practice's current status does not allow."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class ChecklistIncomplete(WorkflowError):
    """Publishing was refused; ``missing`` names every item of the checklist still open."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            gettext("This practice cannot be published until it has: %(missing)s.")
            % {"missing": gettext("; ").join(missing)}
        )


class FourEyesRequired(WorkflowError):
    """The author tried to publish their own practice."""

    def __init__(self) -> None:
        super().__init__(
            gettext(
                "A practice is published by a curator other than its author: ask another "
                "curator to review and publish it."
            )
        )


@dataclass(frozen=True)
class ChecklistItem:
    label: StrOrPromise
    done: bool


def checklist(practice: BestPractice) -> list[ChecklistItem]:
    """What a curator checks before publishing (reads prefetched rows when there are some)."""
    outcomes = list(practice.outcomes.all())
    return [
        ChecklistItem(
            gettext_lazy("evidence of local impact (a report, paper or data set)"),
            bool(list(practice.evidence.all())),
        ),
        ChecklistItem(
            gettext_lazy("at least one outcome with a measured figure"),
            any(outcome.result is not None for outcome in outcomes),
        ),
        ChecklistItem(gettext_lazy("action steps"), bool(list(practice.steps.all()))),
        ChecklistItem(
            gettext_lazy("challenges and mistakes stated"), bool(list(practice.lessons.all()))
        ),
        ChecklistItem(
            gettext_lazy(
                "transferability stated (population range, capacity, budget or preconditions)"
            ),
            practice.has_transferability,
        ),
    ]


def missing_for_publication(practice: BestPractice) -> list[str]:
    """The open items of the checklist, in the active language."""
    return [str(item.label) for item in checklist(practice) if not item.done]


class WorkflowStep(Protocol):
    """What pages, the API and the admin call to move a practice: one of the four below."""

    def __call__(self, *, practice: BestPractice, user: AnyUser, comment: str) -> BestPractice: ...


def submit_practice(*, practice: BestPractice, user: AnyUser, comment: str = "") -> BestPractice:
    """The author asks the curators to review a draft."""
    with transaction.atomic():
        practice = lock_practice(practice)
        require_permission(
            is_curator(user) or (user.is_authenticated and practice.author_id == user.pk),
            gettext("Only its author may submit a practice."),
        )
        _check_from(practice, {Status.DRAFT}, Status.SUBMITTED)
        moved = _move(practice, user=user, to=Status.SUBMITTED, comment=comment)
        _notify(
            recipients=_curators(exclude_id=practice.author_id),
            kind=Kind.PRACTICE_WAITING,
            target=moved,
            title=gettext_lazy("“%(title)s” is waiting for review"),
            body=comment.strip(),
            url=moved.get_absolute_url(),
            exclude=user,
        )
        return moved


def publish_practice(
    *, practice: BestPractice, user: AnyUser, comment: str = "", override: bool = False
) -> BestPractice:
    """A curator other than its author publishes a complete practice: it becomes public and
    counts in scoring. An admin may publish their own practice only with ``override``, which
    the history records."""
    with transaction.atomic():
        practice = lock_practice(practice)
        require_permission(is_curator(user), gettext("Only curators may publish."))
        _check_from(practice, {Status.DRAFT, Status.SUBMITTED, Status.ARCHIVED}, Status.PUBLISHED)
        if user.is_authenticated and practice.author_id == user.pk:
            if not (override and is_admin(user)):
                raise FourEyesRequired()
            comment = f"{ADMIN_OVERRIDE} {comment.strip()}".strip()
        missing = missing_for_publication(practice)
        if missing:
            raise ChecklistIncomplete(missing)
        practice.published_at = timezone.now()
        moved = _move(practice, user=user, to=Status.PUBLISHED, comment=comment)
        _notify(
            recipients=[moved.author],
            kind=Kind.PRACTICE_PUBLISHED,
            target=moved,
            title=gettext_lazy("Your practice “%(title)s” is published"),
            body=comment.strip(),
            url=moved.get_absolute_url(),
            exclude=user,
        )
        return moved


def who_may_publish(practice: BestPractice, user: AnyUser) -> str:
    """The checklist page's line on who may publish (four eyes)."""
    author = practice.author.get_username() if practice.author else None
    if author is None:
        return gettext("Any curator may publish it.")
    if user.is_authenticated and practice.author_id == user.pk:
        if is_admin(user):
            return gettext(
                "You wrote it, so a curator other than you publishes it (as an admin you may "
                "override this; the history records it)."
            )
        return gettext("You wrote it, so a curator other than you publishes it.")
    return gettext("Any curator other than its author, %(author)s, may publish it.") % {
        "author": author
    }


def send_back_practice(*, practice: BestPractice, user: AnyUser, comment: str) -> BestPractice:
    """A curator returns a practice to its author as a draft, saying what to change."""
    if not comment.strip():
        raise ValidationError({"comment": gettext("Say what the author should change.")})
    with transaction.atomic():
        practice = lock_practice(practice)
        require_permission(is_curator(user), gettext("Only curators may send a practice back."))
        _check_from(practice, {Status.SUBMITTED, Status.PUBLISHED}, Status.DRAFT)
        moved = _move(practice, user=user, to=Status.DRAFT, comment=comment)
        _notify(
            recipients=[moved.author],
            kind=Kind.PRACTICE_RETURNED,
            target=moved,
            title=gettext_lazy("Your practice “%(title)s” was sent back"),
            body=comment.strip(),
            url=moved.get_absolute_url(),
            exclude=user,
        )
        return moved


def archive_practice(*, practice: BestPractice, user: AnyUser, comment: str = "") -> BestPractice:
    """A curator withdraws a practice from the catalogue (and from scoring)."""
    with transaction.atomic():
        practice = lock_practice(practice)
        require_permission(is_curator(user), gettext("Only curators may archive."))
        _check_from(practice, {Status.DRAFT, Status.SUBMITTED, Status.PUBLISHED}, Status.ARCHIVED)
        return _move(practice, user=user, to=Status.ARCHIVED, comment=comment)


def _notify(
    *, recipients: Iterable[Any], target: BestPractice, title: StrOrPromise, **options: Any
) -> None:
    """``notify``, once per language: each person reads the title in the language they chose
    for the site (its default language when they chose none)."""
    people = [person for person in recipients if person is not None]
    chosen = saved_languages(people)
    groups: dict[str, list[Any]] = {}
    for person in people:
        groups.setdefault(chosen.get(person.pk) or settings.LANGUAGE_CODE, []).append(person)
    for language, group in groups.items():
        with translation.override(language):
            words = str(title) % {"title": target.title}
            notify(recipients=group, target=target, title=words, **options)


def _curators(*, exclude_id: int | None) -> list:
    """Who reviews practices: the curators group (the admins when it is empty)."""
    users = get_user_model().objects.filter(is_active=True)
    if exclude_id is not None:
        users = users.exclude(pk=exclude_id)
    curators = list(users.filter(groups__name=CURATOR_GROUP).distinct())
    return curators or list(users.filter(is_staff=True))


# Why a move is refused, by the status it would move to.
REFUSALS: dict[str, StrOrPromise] = {
    Status.SUBMITTED: gettext_lazy("A practice that is %(status)s cannot be submitted."),
    Status.PUBLISHED: gettext_lazy("A practice that is %(status)s cannot be published."),
    Status.DRAFT: gettext_lazy("A practice that is %(status)s cannot be sent back."),
    Status.ARCHIVED: gettext_lazy("A practice that is %(status)s cannot be archived."),
}


def _check_from(practice: BestPractice, allowed: set[str], to: str) -> None:
    if practice.status not in allowed:
        raise WorkflowError(str(REFUSALS[to]) % {"status": practice.get_status_display().lower()})


# The summary of the revision each move records, by the status it moves to.
# (Stored in English; ``bestpractices.revisions.readable_summary`` shows them translated.)
REVISION_SUMMARIES: dict[str, str] = {
    Status.SUBMITTED: gettext_noop("Submitted for review"),
    Status.PUBLISHED: gettext_noop("Published"),
    Status.DRAFT: gettext_noop("Sent back"),
    Status.ARCHIVED: gettext_noop("Archived"),
}


def _move(practice: BestPractice, *, user: AnyUser, to: str, comment: str) -> BestPractice:
    was_published = practice.status == Status.PUBLISHED
    StatusChange.objects.create(
        practice=practice,
        from_status=practice.status,
        to_status=to,
        user=user if user.is_authenticated else None,
        comment=comment.strip(),
    )
    practice.status = to
    practice.save(update_fields=["status", "published_at", "updated_at"])
    summary = REVISION_SUMMARIES[to] + (f": {comment.strip()}" if comment.strip() else "")
    record_revision(practice=practice, user=user, summary=summary)
    if was_published or to == Status.PUBLISHED:
        announce([practice.city_id])
    return practice
