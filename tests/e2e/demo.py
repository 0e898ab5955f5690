"""Demo-like data for the browser journey: a recipient with an editor, donors, practices, a
scored run made by the real services (the engine, the writer, the activation)."""

from __future__ import annotations

from dataclasses import dataclass

from bestpractices.models import ActionStep, Lesson
from cities.models import City, PolicyArea
from matching import services
from matching.models import MatchRun
from tests.factories import BestPracticeFactory, CityFactory, OrganizationFactory, UserFactory

PASSWORD = "correct-horse-battery"

DONORS = [
    # name, country, lat, lon, population, languages, expertise, synthetic
    ("Kitakyushu", "JP", 33.88, 130.88, 940_978, ["ja", "en"], {"waste": 3, "air": 3, "water": 2}, False),
    ("Osaka", "JP", 34.69, 135.50, 2_750_000, ["ja", "en"], {"waste": 2, "air": 2, "energy": 3}, False),
    ("Yokohama", "JP", 35.44, 139.64, 3_770_000, ["ja"], {"water": 3, "sanitation": 3}, False),
    ("Surabaya", "ID", -7.25, 112.75, 2_870_000, ["id", "en"], {"waste": 3, "green-space": 2}, False),
    ("Lyon", "FR", 45.76, 4.84, 522_000, ["fr", "en"], {"transport": 3, "waste": 2}, True),
    ("Curitiba", "BR", -25.43, -49.27, 1_960_000, ["pt"], {"transport": 3, "planning": 3, "waste": 2}, True),
    ("Bergen", "NO", 60.39, 5.32, 285_000, ["no", "en"], {"air": 2, "adaptation": 3}, True),
]  # fmt: skip


@dataclass
class Demo:
    recipient: City
    kitakyushu: City
    run: MatchRun
    editor_username: str


def build_demo() -> Demo:
    recipient = CityFactory(
        name="Hue",
        country="VN",
        latitude=16.46,
        longitude=107.59,
        population=455_000,
        role="recipient",
        languages=["vi", "en"],
        has_international_department=False,
        international_staff=1,
        absorptive_capacity=3,
        cooperation_budget_usd=0,
        cofunding_usd=60_000,
        needs={"waste": 3, "air": 2, "sanitation": 2, "transport": 1},
        expertise={"water": 2, "green-space": 1},
        sectors={"C": 0.25, "I": 0.3, "A": 0.2, "G": 0.25},
    )
    editor = UserFactory(username="hue-editor")
    recipient.editors.add(editor)
    donors = {}
    for name, country, lat, lon, population, languages, expertise, synthetic in DONORS:
        donors[name] = CityFactory(
            name=name,
            country=country,
            latitude=lat,
            longitude=lon,
            population=population,
            role="donor",
            languages=languages,
            is_synthetic=synthetic,
            expertise=expertise,
            needs={"green-space": 1, "water": 1},
            sectors={"C": 0.3, "E": 0.1, "H": 0.15, "G": 0.2},
        )
    kitakyushu = donors["Kitakyushu"]
    _practices(kitakyushu)
    jica = OrganizationFactory(
        name="Japan International Cooperation Agency", countries=["VN", "JP"]
    )
    jica.policy_areas.set(PolicyArea.objects.filter(code__in=["waste", "air"]))
    run = services.start_run(trigger=MatchRun.Trigger.COMMAND)
    run.refresh_from_db()
    return Demo(recipient=recipient, kitakyushu=kitakyushu, run=run, editor_username="hue-editor")


def _practices(city: City) -> None:
    recycling = BestPracticeFactory(
        city=city,
        title="Eco-Town: from pollution to recycling industry",
        areas=["waste"],
        cost_usd=1_200_000,
        summary="Kitakyushu turned a polluted bay into an industrial recycling park, with firms, "
        "universities and the city working together.",
    )
    steps = [
        ("Map the waste streams and their owners", "6 months", "Environment Bureau"),
        ("Agree a recycling plan with local firms", "1 year", "City and chamber of commerce"),
        ("Open a pilot sorting plant", "18 months", "Public-private partnership"),
        ("Train staff and inspectors", "6 months", "Environment Bureau"),
    ]
    for position, (title, duration, responsible) in enumerate(steps, 1):
        ActionStep.objects.create(
            practice=recycling,
            position=position,
            title=title,
            duration=duration,
            responsible=responsible,
        )
    Lesson.objects.create(
        practice=recycling,
        what_went_wrong="Residents were not told early enough why sorting rules changed, and "
        "contamination stayed high for a year.",
        do_differently="Explain the rules door to door before the first collection.",
    )
    air = BestPracticeFactory(
        city=city, title="Blue skies: air monitoring network", areas=["air"], cost_usd=600_000
    )
    ActionStep.objects.create(practice=air, position=1, title="Install monitoring stations")
