"""Factories of matching: scoring profiles, runs, matches, and a population of random cities."""

from __future__ import annotations

import random

import factory
from django.utils import timezone
from django.utils.text import slugify

from cities.countries import region_of
from cities.models import City, CityAreaLevel, CitySector, PolicyArea, Sector
from matching.models import Match, MatchRun, ScoringProfile

from .cities import CityFactory

LANGUAGES = ("en", "fr", "es", "ja", "pt")


class ScoringProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoringProfile

    name = factory.Sequence(lambda n: f"Profile {n}")
    is_default = False


class MatchRunFactory(factory.django.DjangoModelFactory):
    """A finished run (succeeded, inactive unless told) with the default profile's weights."""

    class Meta:
        model = MatchRun

    status = MatchRun.Status.SUCCEEDED
    progress = 100
    trigger = MatchRun.Trigger.COMMAND
    is_active = False
    weights = factory.LazyFunction(lambda: ScoringProfile.objects.get(is_default=True).snapshot())
    cities = 10
    pairs_scored = 90
    matches_stored = 40
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda run: run.started_at + timezone.timedelta(seconds=2))


def _codes(areas: list[dict]) -> str:
    return " " + " ".join(area["area"] for area in areas) + " " if areas else ""


class MatchFactory(factory.django.DjangoModelFactory):
    """A stored match; ``top_areas`` sets ``top_area_codes`` too."""

    class Meta:
        model = Match

    run = factory.SubFactory(MatchRunFactory, is_active=True)
    donor = factory.SubFactory(CityFactory, role=City.Role.DONOR)
    recipient = factory.SubFactory(CityFactory, role=City.Role.RECIPIENT)
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


def population(count: int, *, seed: int = 0, prefix: str = "Town") -> list[City]:
    """``count`` cities with varied random profiles, written in a few bulk queries.

    Roles, sizes, levels, sectors and languages vary so that every component of the score
    takes several values and some pairs do not qualify (no need met).
    """
    rng = random.Random(seed)
    areas = list(PolicyArea.objects.order_by("position"))
    sectors = list(Sector.objects.order_by("code"))
    roles = [City.Role.DONOR, City.Role.RECIPIENT, City.Role.BOTH]
    cities = []
    for index in range(count):
        name = f"{prefix} {seed}-{index}"
        cities.append(
            City(
                name=name,
                slug=slugify(name),
                country=rng.choice(["JP", "FR", "BR", "KE", "VN"]),
                latitude=rng.uniform(-60, 60),
                longitude=rng.uniform(-170, 170),
                population=rng.choice([20_000, 150_000, 600_000, 2_500_000, 9_000_000]),
                role=roles[index % 3],
                languages=sorted(set(rng.sample(LANGUAGES, rng.randint(1, 2)))),
                has_international_department=rng.random() < 0.6,
                international_staff=rng.randint(0, 14),
                years_of_cooperation=rng.randint(0, 25),
                absorptive_capacity=rng.randint(0, 5),
                cooperation_budget_usd=rng.choice([0, 50_000, 400_000]),
                cofunding_usd=rng.choice([0, 20_000, 150_000]),
                is_synthetic=True,
            )
        )
    for city in cities:
        city.region = region_of(city.country)  # save() sets it; bulk_create skips save()
    City.objects.bulk_create(cities)
    cities = list(City.objects.filter(name__startswith=f"{prefix} {seed}-").order_by("id"))
    levels, shares = [], []
    for city in cities:
        for area in rng.sample(areas, rng.randint(2, 7)):
            levels.append(
                CityAreaLevel(
                    city=city,
                    policy_area=area,
                    expertise=rng.randint(0, 3),
                    need=rng.randint(0, 3),
                )
            )
        for sector in rng.sample(sectors, rng.randint(1, 4)):
            shares.append(CitySector(city=city, sector=sector, share=round(rng.random(), 3)))
    CityAreaLevel.objects.bulk_create(levels)
    CitySector.objects.bulk_create(shares)
    return cities
