"""The demo catalogue: real programmes of the curated demo cities, published, idempotent."""

import json
from pathlib import Path

import pytest

from bestpractices.demo import DATA_FILE, load_demo_practices
from bestpractices.models import BestPractice
from bestpractices.services import missing_for_publication
from bestpractices.signals import practices_changed
from tests.factories import CityFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
ROWS = json.loads(DATA_FILE.read_text(encoding="utf-8"))
CURATED = Path(__file__).resolve().parents[2] / "cities" / "demo_data" / "curated_cities.json"
ORGANIZATIONS = CURATED.with_name("organizations.json")


def test_every_demo_practice_names_a_curated_city_and_known_partners():
    curated = {(c["name"], c["country"]) for c in json.loads(CURATED.read_text("utf-8"))}
    organizations = {o["name"] for o in json.loads(ORGANIZATIONS.read_text("utf-8"))}
    assert len(ROWS) >= 25
    assert {tuple(row["city"]) for row in ROWS} <= curated
    assert {name for row in ROWS for name, _ in row.get("partners", [])} <= organizations


def test_the_demo_never_invents_dois():
    # Sources are described by title; a DOI only where one is certain (none so far).
    assert all(not source.get("doi") for row in ROWS for source in row["evidence"])


@pytest.fixture
def demo_cities():
    return {
        tuple(key): CityFactory(name=key[0], country=key[1])
        for key in {tuple(row["city"]) for row in ROWS}
    }


def test_loads_every_practice_published_and_complete(
    demo_cities, django_capture_on_commit_callbacks
):
    OrganizationFactory(name="World Bank")
    calls = []

    def handler(sender, city_ids, **kwargs):
        calls.append(city_ids)

    practices_changed.connect(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = load_demo_practices()
    finally:
        practices_changed.disconnect(handler)

    assert (result.created, result.unchanged, result.skipped) == (len(ROWS), 0, [])
    practices = BestPractice.objects.all()
    assert {p.status for p in practices} == {BestPractice.Status.PUBLISHED}
    assert all(missing_for_publication(p) == [] for p in practices)
    assert {p.author.username for p in practices} == {"catalogue-sources"}
    # Four eyes: the curator published what another account wrote.
    assert {p.status_changes.get().user.username for p in practices} == {"curator"}
    assert len(calls) == 1  # one announcement for all the cities
    durban = BestPractice.objects.get(title__icontains="landfill methane")
    assert durban.city.name == "Durban"
    assert [link.organization.name for link in durban.partner_links.all()] == ["World Bank"]


def test_running_twice_changes_nothing(demo_cities):
    load_demo_practices()
    revisions = BestPractice.revisions.rel.related_model.objects.count()
    again = load_demo_practices()
    assert (again.created, again.unchanged) == (0, len(ROWS))
    assert BestPractice.objects.count() == len(ROWS)
    assert BestPractice.revisions.rel.related_model.objects.count() == revisions


def test_practices_of_cities_not_loaded_are_skipped():
    CityFactory(name="Durban", country="ZA")
    result = load_demo_practices()
    durban_rows = [row for row in ROWS if row["city"] == ["Durban", "ZA"]]
    assert result.created == len(durban_rows)
    assert len(result.skipped) == len(ROWS) - len(durban_rows)
    assert "skipped (their city is not loaded)" in result.summary()
