"""The demo programme round: "Clean Cities Asia", led by JICA, pairs Japanese donor cities with
Southeast and South Asian recipients within each donor's capacity and the round's budget.

``load_demo_rounds()`` runs after the cities' demo: it makes the programme (if none has its
slug), admits the member cities, opens the round with the donors' stated capacities and the
recipients' applications, and lets the demo agency user act for JICA. The round is solved
when a scoring run is active (``make run`` scores after loading; the agency's "Solve the
round" button does it otherwise). Running it twice changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from cities.models import City, Organization, PolicyArea
from matching.models import MatchRun

from .models import Programme, ProgrammeMembership, Round, RoundApplication, RoundCapacity
from .services import rounds

SLUG = "clean-cities-asia"
ORGANIZATION = "jica"
AGENCY_USERNAME = "agency"
# Capacities the donors stated for the round: fewer places than applicants, so the page shows
# left-out recipients with their reasons and remedies.
DONORS = {("Kitakyushu", "JP"): 2, ("Osaka", "JP"): 1, ("Yokohama", "JP"): 2, ("Fukuoka", "JP"): 1}
RECIPIENTS = [
    ("Ho Chi Minh City", "VN"),
    ("Hai Phong", "VN"),
    ("Da Nang", "VN"),
    ("Cebu City", "PH"),
    ("Bandung", "ID"),
    ("Semarang", "ID"),
    ("Vientiane", "LA"),
    ("Dhaka", "BD"),
]
AREAS = ["waste", "air", "water", "sanitation"]


@dataclass
class RoundsDemo:
    round: Round | None = None
    solved: bool = False

    def summary(self) -> str:
        if self.round is None:
            return "No demo round: JICA or the curated cities are not loaded."
        state = "solved" if self.solved else "not solved yet (no active scoring run)"
        return (
            f"Programme round “{self.round.title}” of {self.round.programme.name}: "
            f"{self.round.capacities.count()} donors, {self.round.applications.count()} "
            f"applicants, {state}: {self.round.get_absolute_url()}"
        )


@transaction.atomic
def load_demo_rounds() -> RoundsDemo:
    organization = Organization.objects.filter(slug=ORGANIZATION).first()
    cities = {(c.name, c.country): c for c in City.objects.filter(is_synthetic=False)}
    donors = [(cities[key], capacity) for key, capacity in DONORS.items() if key in cities]
    recipients = [cities[key] for key in RECIPIENTS if key in cities]
    if organization is None or not donors or not recipients:
        return RoundsDemo()
    programme, created = Programme.objects.get_or_create(
        slug=SLUG,
        defaults={
            "name": "Clean Cities Asia",
            "organization": organization,
            "description": "City-to-city cooperation on waste, air and water in Asia.",
            "funding_usd": 2_000_000,
        },
    )
    if created:
        programme.policy_areas.set(PolicyArea.objects.filter(code__in=AREAS))
    for city in [*(donor for donor, _ in donors), *recipients]:
        ProgrammeMembership.objects.get_or_create(
            programme=programme, city=city, defaults={"status": ProgrammeMembership.Status.MEMBER}
        )
    agency = get_user_model().objects.filter(username=AGENCY_USERNAME).first()
    if agency is not None:
        organization.members.add(agency)
    round_, created = Round.objects.get_or_create(
        programme=programme,
        title="Waste and air 2027",
        defaults={
            "opens_on": datetime.date(2027, 1, 15),
            "closes_on": datetime.date(2027, 3, 31),
            "budget_usd": 480_000,
            "expected_cost_usd": 60_000,
            "max_partners": 1,
            "created_by": agency,
        },
    )
    if created:
        round_.policy_areas.set(PolicyArea.objects.filter(code__in=AREAS))
        for donor, capacity in donors:
            RoundCapacity.objects.get_or_create(
                round=round_, donor=donor, defaults={"capacity": capacity}
            )
        for city in recipients:
            RoundApplication.objects.get_or_create(round=round_, recipient=city)
    solved = False
    if round_.solved_at is None and agency is not None and MatchRun.objects.active():
        rounds.solve(user=agency, round_=round_)
        solved = True
    return RoundsDemo(round=round_, solved=solved or round_.solved_at is not None)
