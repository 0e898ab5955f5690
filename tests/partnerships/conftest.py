"""Fixtures of the cooperation tests: a donor and a recipient with their editors, a match."""

from __future__ import annotations

import pytest

from cities.models import City, PolicyArea
from tests.factories import CityFactory, MatchFactory, MatchRunFactory, UserFactory


@pytest.fixture
def areas(db) -> dict[str, PolicyArea]:
    return {area.code: area for area in PolicyArea.objects.all()}


@pytest.fixture
def donor(db) -> City:
    return CityFactory(
        name="Kitakyushu",
        country="JP",
        role=City.Role.DONOR,
        population=940_000,
        expertise={"waste": 3, "air": 3, "education": 2},
        needs={"economy": 2, "research": 2},
    )


@pytest.fixture
def recipient(db) -> City:
    return CityFactory(
        name="Surabaya",
        country="ID",
        role=City.Role.RECIPIENT,
        population=2_900_000,
        has_international_department=False,
        international_staff=0,
        expertise={"economy": 2, "research": 3},
        needs={"waste": 3, "air": 2, "education": 3},
    )


@pytest.fixture
def donor_editor(donor):
    user = UserFactory(username="kita-editor")
    donor.editors.add(user)
    return user


@pytest.fixture
def recipient_editor(recipient):
    user = UserFactory(username="sura-editor")
    recipient.editors.add(user)
    return user


@pytest.fixture
def run(db):
    return MatchRunFactory(is_active=True)


@pytest.fixture
def match(run, donor, recipient):
    return MatchFactory(
        run=run,
        donor=donor,
        recipient=recipient,
        score=81.5,
        top_areas=[
            {"area": "waste", "need": 3, "expertise": 3},
            {"area": "air", "need": 2, "expertise": 3},
        ],
        gives_back=["economy"],
    )
