"""The catalogue as the match pages read it: a donor's published practices and their lessons."""

from __future__ import annotations

from bestpractices.models import BestPractice
from cities.models import City


def published_practices_of(city: City) -> list[BestPractice]:
    """Every published practice of the city with its areas, ordered steps and lessons.

    Four queries whatever the number of practices. The long text columns stay in the database:
    the match pages show titles, steps and lessons, not the full story.
    """
    return list(
        BestPractice.objects.published()
        .filter(city=city)
        .defer("search_vector", "body", "body_html", "context")
        .prefetch_related("policy_areas", "steps", "lessons")
        .order_by("title", "id")
    )


def practice_cards_of(city: City) -> list[BestPractice]:
    """The published practices a city page lists (two queries)."""
    return list(BestPractice.objects.published().filter(city=city).for_cards())
