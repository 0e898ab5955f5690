"""Factories for the catalogue's models."""

from __future__ import annotations

import factory

from bestpractices.models import ActionStep, BestPractice, Evidence, Lesson, Outcome
from bestpractices.services import PracticeContent, refresh_search_vector
from cities.models import PolicyArea, Sector

from .cities import CityFactory, UserFactory


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

    @factory.post_generation
    def _index(obj, create, extracted, **kwargs):
        # What the services do after every write: keep the full-text vector current.
        if create:
            refresh_search_vector(practice=obj)


def complete_content(city, **fields) -> PracticeContent:
    """Content that passes the publication checklist."""
    return PracticeContent(
        fields={
            "title": "Landfill gas to electricity",
            "city": city,
            "summary": "Methane from closed landfills drives engines that feed the grid.",
            "body": "Gas wells were drilled into the **landfill**.",
            "scale": "citywide",
            "start_year": 2006,
            "end_year": 2014,
            "cost_usd": 12_000_000,
            "preconditions": "A closed landfill with a gas collection system.",
            **fields,
        },
        policy_areas=list(PolicyArea.objects.filter(code__in=["waste", "energy"])),
        sectors=list(Sector.objects.filter(code__in=["D", "E"])),
        partners=[],
        steps=[
            {"title": "Drill gas wells", "detail": "Forty wells.", "evidence_refs": [1]},
            {"title": "Install engines", "duration": "1 year", "evidence_refs": [1, 2]},
        ],
        evidence=[
            {"title": "Monitoring report", "kind": "report", "year": 2012},
            {
                "title": "Peer-reviewed study",
                "doi": "10.1016/j.wasman.2010.01.001",
                "year": 2010,
                "kind": "peer_reviewed",
            },
        ],
        outcomes=[{"indicator": "Electricity generated", "result": 7.5, "unit": "MW"}],
        lessons=[
            {
                "what_went_wrong": "Gas yields were lower than modelled.",
                "do_differently": "Measure the gas before sizing the engines.",
            }
        ],
    )
