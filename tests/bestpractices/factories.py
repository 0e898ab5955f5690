"""Factories for the catalogue's models."""

from __future__ import annotations

import factory

from bestpractices.models import ActionStep, BestPractice, Evidence, Lesson, Outcome
from cities.models import PolicyArea, Sector
from tests.factories import CityFactory, UserFactory


class BestPracticeFactory(factory.django.DjangoModelFactory):
    """A practice; ``areas=["waste"]``, ``sector_codes=["E"]``, ``complete=True`` adds a
    step, a source, an outcome with a figure, a lesson and transferability (the checklist)."""

    class Meta:
        model = BestPractice
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Practice {n}")
    slug = factory.Sequence(lambda n: f"practice-{n}")
    city = factory.SubFactory(CityFactory)
    summary = "A short summary of what the city did."
    body = "The **full** story."
    scale = BestPractice.Scale.CITYWIDE
    status = BestPractice.Status.PUBLISHED
    author = factory.SubFactory(UserFactory)

    @factory.post_generation
    def areas(obj, create, extracted, **kwargs):
        if create:
            codes = extracted if extracted is not None else ["waste"]
            obj.policy_areas.set(PolicyArea.objects.filter(code__in=codes))

    @factory.post_generation
    def sector_codes(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.sectors.set(Sector.objects.filter(code__in=extracted))

    @factory.post_generation
    def complete(obj, create, extracted, **kwargs):
        if not (create and extracted):
            return
        source = Evidence.objects.create(
            practice=obj, position=1, title="City monitoring report", year=2015
        )
        step = ActionStep.objects.create(practice=obj, position=1, title="Survey the sites")
        step.evidence.add(source)
        Outcome.objects.create(
            practice=obj, position=1, indicator="Waste to landfill", result=120, unit="t/day"
        )
        Lesson.objects.create(practice=obj, position=1, what_went_wrong="Sorting was poor.")
        obj.preconditions = "A collection service"
        obj.save()
