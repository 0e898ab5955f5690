"""Demo-like data for the page tests (the ``pages`` folders import these fixtures): a
recipient city with an editor, a donor, an active run and their match."""

from __future__ import annotations

import pytest

from tests.factories import CityFactory, MatchFactory, MatchRunFactory, UserFactory


@pytest.fixture
def recipient(db):
    return CityFactory(
        name="Hue",
        country="VN",
        role="recipient",
        population=450_000,
        latitude=16.46,
        longitude=107.59,
        languages=["vi", "en"],
        needs={"waste": 3, "air": 2},
        expertise={"water": 2},
        sectors={"C": 0.2, "I": 0.3},
    )


@pytest.fixture
def donor(db):
    return CityFactory(
        name="Kitakyushu",
        country="JP",
        role="donor",
        population=940_000,
        languages=["ja", "en"],
        expertise={"waste": 3, "air": 3},
        needs={"water": 1},
        sectors={"C": 0.3, "E": 0.1},
    )


@pytest.fixture
def editor(recipient):
    user = UserFactory(username="hue-editor")
    recipient.editors.add(user)
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def active_run(db):
    return MatchRunFactory(is_active=True)


@pytest.fixture
def match(active_run, donor, recipient):
    return MatchFactory(
        run=active_run,
        donor=donor,
        recipient=recipient,
        score=78.4,
        need_fit=0.9,
        top_areas=[
            {"area": "waste", "need": 3, "expertise": 3},
            {"area": "air", "need": 2, "expertise": 3},
        ],
        gives_back=["water"],
    )


def many_matches(run, recipient, count: int) -> list:
    """``count`` more donors for ``recipient``, ranked 2, 3, … after the fixture's match."""
    return [
        MatchFactory(
            run=run,
            recipient=recipient,
            donor=CityFactory(role="donor", expertise={"waste": 2}),
            score=70 - position,
            recipient_rank=position + 2,
            donor_rank=1,
        )
        for position in range(count)
    ]
