"""Factories for runs and matches as the API tests need them (a stored, finished run)."""

from __future__ import annotations

import factory
from django.utils import timezone

from partnerships.models import Match, MatchRun
from tests.factories import CityFactory


class MatchRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchRun

    status = MatchRun.Status.SUCCEEDED
    progress = 100
    trigger = MatchRun.Trigger.COMMAND
    is_active = False
    weights = factory.LazyFunction(lambda: {"profile": "Default", "top_k": 50})
    cities = 10
    pairs_scored = 90
    matches_stored = 40
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda run: run.started_at + timezone.timedelta(seconds=2))


def _codes(areas: list[dict]) -> str:
    return " " + " ".join(area["area"] for area in areas) + " " if areas else ""


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match

    run = factory.SubFactory(MatchRunFactory, is_active=True)
    donor = factory.SubFactory(CityFactory, role="donor")
    recipient = factory.SubFactory(CityFactory, role="recipient")
    score = 50.0
    need_fit = 0.5
    evidence = 0.2
    reciprocity = 0.3
    size = 0.9
    industry = 0.7
    capacity = 0.6
    budget = 1.0
    language = 1.0
    donor_rank = 1
    recipient_rank = 1
    size_ratio = 1.5
    top_areas = factory.LazyFunction(lambda: [{"area": "waste", "need": 3, "expertise": 3}])
    top_area_codes = factory.LazyAttribute(lambda match: _codes(match.top_areas))
    practices = factory.LazyFunction(list)
    gives_back = factory.LazyFunction(list)
    existing_partnership = False
