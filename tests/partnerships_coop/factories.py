"""Factories for the cooperation models (partnerships, interest, programmes, projects)."""

from __future__ import annotations

import factory
from django.utils import timezone
from django.utils.text import slugify

from cities.models import City
from partnerships.models import (
    ExpressionOfInterest,
    LedgerEntry,
    Match,
    MatchRun,
    Partnership,
    Programme,
    ProgrammeMembership,
    Project,
)
from tests.factories import CityFactory, OrganizationFactory


class MatchRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchRun

    status = MatchRun.Status.SUCCEEDED
    progress = 100
    trigger = MatchRun.Trigger.COMMAND
    weights = factory.LazyFunction(lambda: {"profile": "Default", "top_k": 50})
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)


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
    top_area_codes = factory.LazyAttribute(
        lambda m: " " + " ".join(a["area"] for a in m.top_areas) + " " if m.top_areas else ""
    )
    practices = factory.LazyFunction(list)
    gives_back = factory.LazyFunction(list)


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    donor = factory.SubFactory(CityFactory, role=City.Role.DONOR)
    recipient = factory.SubFactory(CityFactory, role=City.Role.RECIPIENT)
    kind = Partnership.Kind.DONOR_RECIPIENT
    status = Partnership.Status.PROPOSED
    reasons = "Leading in waste, and we need it."


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.LazyAttribute(lambda p: slugify(p.name))
    organization = factory.SubFactory(OrganizationFactory)
    countries = factory.LazyFunction(list)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgrammeMembership

    programme = factory.SubFactory(ProgrammeFactory)
    city = factory.SubFactory(CityFactory)
    status = ProgrammeMembership.Status.MEMBER


class InterestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpressionOfInterest

    from_city = factory.SubFactory(CityFactory)
    to_city = factory.SubFactory(CityFactory)
    from_role = ExpressionOfInterest.Role.RECIPIENT
    message = "Your waste programme is what we need."


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    partnership = factory.SubFactory(PartnershipFactory)
    title = factory.Sequence(lambda n: f"Composting pilot {n}")
    policy_area = factory.LazyFunction(lambda: _area("waste"))


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerEntry

    partnership = factory.SubFactory(PartnershipFactory)
    city = factory.LazyAttribute(lambda e: e.partnership.donor)
    direction = LedgerEntry.Direction.CONTRIBUTES
    kind = LedgerEntry.Kind.STAFF_DAYS
    description = "Engineers on site"
    occurred_on = factory.LazyFunction(timezone.localdate)


def _area(code: str):
    from cities.models import PolicyArea

    return PolicyArea.objects.get(code=code)
