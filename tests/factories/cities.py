"""Factories of cities: users, cities with their profile, organizations."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from cities.models import City, CityAreaLevel, CitySector, Organization, PolicyArea, Sector


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CityFactory(factory.django.DjangoModelFactory):
    """A city; pass ``expertise={"waste": 3}``, ``needs={...}``, ``sectors={"E": 0.2}``."""

    class Meta:
        model = City
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"City {n}")
    slug = factory.LazyAttribute(lambda c: slugify(f"{c.name}-{c.country}"))
    country = "JP"
    latitude = 33.88
    longitude = 130.88
    population = 500_000
    role = City.Role.BOTH
    languages = factory.LazyFunction(lambda: ["en"])
    has_international_department = True
    international_staff = 5
    years_of_cooperation = 10
    absorptive_capacity = 3
    cooperation_budget_usd = 100_000
    cofunding_usd = 50_000

    @factory.post_generation
    def expertise(obj, create, extracted, **kwargs):
        _set_levels(obj, extracted or {}, "expertise")

    @factory.post_generation
    def needs(obj, create, extracted, **kwargs):
        _set_levels(obj, extracted or {}, "need")

    @factory.post_generation
    def sectors(obj, create, extracted, **kwargs):
        for code, share in (extracted or {}).items():
            CitySector.objects.update_or_create(
                city=obj, sector=Sector.objects.get(code=code), defaults={"share": share}
            )


def _set_levels(city: City, levels: dict[str, int], field: str) -> None:
    for code, level in levels.items():
        row, _ = CityAreaLevel.objects.get_or_create(
            city=city, policy_area=PolicyArea.objects.get(code=code)
        )
        setattr(row, field, level)
        row.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Agency {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = Organization.Kind.NATIONAL_AGENCY
    countries = factory.LazyFunction(list)
