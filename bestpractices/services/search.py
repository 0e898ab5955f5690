"""The stored full-text vector behind ``BestPracticeQuerySet.search`` on PostgreSQL."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db.models import TextField, Value

from ..models import BestPractice
from ..querysets import SEARCH_CONFIG


def refresh_search_vector(*, practice: BestPractice) -> None:
    """Weighted vector: A title, B summary, C body, steps and lessons (PostgreSQL only)."""
    if not settings.USING_POSTGRES:
        return
    steps = practice.steps.values_list("title", "detail")
    lessons = practice.lessons.values_list("what_went_wrong", "do_differently")
    rest = "\n".join(
        [practice.body, *(" ".join(pair) for pair in steps), *(" ".join(pair) for pair in lessons)]
    )

    def vector(text: str, weight: str) -> SearchVector:
        return SearchVector(
            Value(text, output_field=TextField()), weight=weight, config=SEARCH_CONFIG
        )

    BestPractice.objects.filter(pk=practice.pk).update(
        search_vector=vector(practice.title, "A")
        + vector(practice.summary, "B")
        + vector(rest, "C")
    )
