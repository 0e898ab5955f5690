"""Factories of partnerships: partnerships, programmes, interest, projects, ledger."""

from __future__ import annotations

import factory
from django.utils import timezone
from django.utils.text import slugify

from cities.models import City, PolicyArea
from partnerships.models import (
    ExpressionOfInterest,
    LedgerEntry,
    Partnership,
    Programme,
    ProgrammeMembership,
    Project,
)

from .cities import CityFactory, OrganizationFactory


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


def _area(code: str) -> PolicyArea:
    return PolicyArea.objects.get(code=code)
