"""Every change to a practice is kept as a numbered revision: a snapshot a curator can compare
and restore (the snapshot's shape lives in ``bestpractices.revisions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Max

from ..models import BestPractice, PracticeRevision
from ..revisions import take_snapshot

if TYPE_CHECKING:
    from ..permissions import AnyUser


def record_revision(*, practice: BestPractice, user: AnyUser, summary: str) -> PracticeRevision:
    """The practice as it now stands, numbered after its last revision. Callers hold the
    practice's lock, so two changes never take the same number."""
    last = practice.revisions.aggregate(number=Max("number"))["number"] or 0
    return PracticeRevision.objects.create(
        practice=practice,
        number=last + 1,
        snapshot=take_snapshot(practice),
        summary=summary[:300],
        author=user if user.is_authenticated else None,
    )
