"""A small programme round for the tests: three donors of capacity 1, four applicants, every
pair stored in the active run with known scores, so the optimal answer is known by hand."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cities.models import City, PolicyArea
from partnerships.models import Programme, Round, RoundApplication, RoundCapacity
from tests.factories import (
    CityFactory,
    MatchFactory,
    MatchRunFactory,
    MembershipFactory,
    OrganizationFactory,
    ProgrammeFactory,
    UserFactory,
)

# donor → recipient → (score, reciprocity). With capacity 1 each, the optimum is
# Kitakyushu→Cebu, Osaka→Bandung, Yokohama→Da Nang (72 + 85 + 75 = 232); Dhaka is left out,
# and raising Yokohama's capacity to 2 brings it in (65).
SCORES = {
    "Kitakyushu": {"Bandung": (90, 0.2), "Da Nang": (80, 0.9), "Cebu": (72, 0.1), "Dhaka": (60, 0.3)},
    "Osaka": {"Bandung": (85, 0.5), "Da Nang": (50, 0.4), "Cebu": (40, 0.3), "Dhaka": (30, 0.2)},
    "Yokohama": {"Bandung": (20, 0.1), "Da Nang": (75, 0.8), "Cebu": (30, 0.2), "Dhaka": (65, 0.9)},
}  # fmt: skip
OPTIMAL = {("Kitakyushu", "Cebu"), ("Osaka", "Bandung"), ("Yokohama", "Da Nang")}
RECIPIENTS = ["Bandung", "Da Nang", "Cebu", "Dhaka"]


@dataclass
class RoundSetup:
    programme: Programme
    round: Round
    agency: object
    donors: dict[str, City]
    recipients: dict[str, City]
    editors: dict[str, object]

    def city(self, name: str) -> City:
        return self.donors.get(name) or self.recipients[name]


def build_round(*, store_all: bool = True, budget_usd: int | None = None) -> RoundSetup:
    organization = OrganizationFactory(name="Japan International Cooperation Agency")
    agency = UserFactory(username="jica-officer")
    organization.members.add(agency)
    programme = ProgrammeFactory(
        name="Clean Cities Asia", slug="clean-cities-asia", organization=organization
    )
    run = MatchRunFactory(is_active=True)
    donors = {
        name: CityFactory(
            name=name,
            role=City.Role.DONOR,
            international_staff=3,
            years_of_cooperation=5,
            expertise={"waste": 3, "air": 2},
        )
        for name in SCORES
    }
    recipients = {
        name: CityFactory(
            name=name, country="VN", role=City.Role.RECIPIENT, needs={"waste": 3, "air": 2}
        )
        for name in RECIPIENTS
    }
    for city in [*donors.values(), *recipients.values()]:
        MembershipFactory(programme=programme, city=city)
    round_ = Round.objects.create(
        programme=programme,
        title="Waste 2027",
        opens_on=datetime.date(2027, 1, 10),
        closes_on=datetime.date(2027, 3, 31),
        budget_usd=budget_usd,
        expected_cost_usd=50_000,
        created_by=agency,
    )
    round_.policy_areas.set(PolicyArea.objects.filter(code__in=["waste", "air"]))
    for city in donors.values():
        RoundCapacity.objects.create(round=round_, donor=city, capacity=1)
    for city in recipients.values():
        RoundApplication.objects.create(round=round_, recipient=city)
    for donor_name, row in SCORES.items():
        for recipient_name, (score, reciprocity) in row.items():
            if not store_all and (donor_name, recipient_name) == ("Yokohama", "Dhaka"):
                continue
            MatchFactory(
                run=run,
                donor=donors[donor_name],
                recipient=recipients[recipient_name],
                score=score,
                reciprocity=reciprocity,
            )
    editors = {}
    for name, city in [*donors.items(), *recipients.items()]:
        editor = UserFactory(username=f"{city.slug}-editor")
        city.editors.add(editor)
        editors[name] = editor
    return RoundSetup(programme, round_, agency, donors, recipients, editors)


def names_of(pairs) -> set[tuple[str, str]]:
    return {(pair.donor.name, pair.recipient.name) for pair in pairs}
