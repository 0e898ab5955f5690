"""Full-text search: ranked and stemmed on PostgreSQL, plain word matching on SQLite."""

import pytest

from bestpractices import services
from bestpractices.models import BestPractice
from bestpractices.services import PracticeContent
from tests.factories import CityFactory
from tests.factories.bestpractices import complete_content

pytestmark = pytest.mark.django_db
LIST = "/api/best-practices/"


@pytest.fixture
def catalogue(user, curator):
    """Five published practices; only the first is about capturing landfill methane."""

    def add(title, summary, body="", steps=(), lessons=()):
        content = complete_content(CityFactory(), title=title, summary=summary, body=body)
        if steps:
            content.steps = [{"title": step} for step in steps]
        if lessons:
            content.lessons = [{"what_went_wrong": lesson} for lesson in lessons]
        practice = services.create_practice(user=user, content=content)
        return services.publish_practice(practice=practice, user=curator)

    return {
        "landfill_gas": add(
            "Landfill gas to electricity",
            "Methane captured from closed landfills drives engines that feed the grid.",
            body="Wells collect the methane; flares burn what the engines cannot use.",
        ),
        "composting": add(
            "Home composting baskets",
            "Households compost kitchen waste, so less of it reaches the landfill.",
        ),
        "rice": add(
            "Biogas from rice straw",
            "Farm digesters turn straw into biogas.",
            body="Digesters leak some methane if badly sealed.",
        ),
        "bus": add(
            "Bus rapid transit",
            "Dedicated lanes for buses.",
            lessons=["Contractors dumped spoil at an unlicensed landfill."],
        ),
        "leaks": add("Water leakage reduction", "District metering finds leaks fast."),
    }


def ids(api_client, **params):
    return [item["id"] for item in api_client.get(LIST, params).json()["results"]]


def test_landfill_methane_ranks_the_practice_about_it_first(postgres, catalogue, api_client):
    found = ids(api_client, q="landfill methane")
    assert found[0] == catalogue["landfill_gas"].pk
    # Every word must appear (websearch AND): straw biogas mentions methane but no landfill.
    assert catalogue["rice"].pk not in found
    assert catalogue["leaks"].pk not in found


def test_search_stems_and_weighs_title_above_lessons(postgres, catalogue, api_client):
    # "landfills" finds "landfill"; the title/summary hits outrank a lesson-only mention.
    found = ids(api_client, q="landfills")
    assert found[0] == catalogue["landfill_gas"].pk
    assert set(found) == {
        catalogue["landfill_gas"].pk,
        catalogue["composting"].pk,
        catalogue["bus"].pk,
    }
    assert found[-1] == catalogue["bus"].pk


def test_websearch_syntax_excludes_words(postgres, catalogue, api_client):
    found = ids(api_client, q="landfill -compost")
    assert catalogue["composting"].pk not in found
    assert catalogue["landfill_gas"].pk in found


def test_the_vector_follows_edits_of_steps_and_lessons(postgres, catalogue, curator, api_client):
    practice = catalogue["leaks"]
    assert ids(api_client, q="acoustic") == []
    services.update_practice(
        practice=practice,
        user=curator,
        content=PracticeContent(steps=[{"title": "Acoustic loggers on every main"}]),
    )
    assert ids(api_client, q="acoustic") == [practice.pk]
    services.update_practice(
        practice=practice,
        user=curator,
        content=PracticeContent(lessons=[{"what_went_wrong": "Meter readers resisted."}]),
    )
    assert ids(api_client, q="readers") == [practice.pk]


def test_the_plain_fallback_matches_every_word_anywhere(catalogue):
    """What SQLite uses: case-insensitive, every word in the title, summary, story, steps or
    lessons (runs on either database)."""

    def found(text):
        return set(BestPractice.objects.all()._plain_search(text).values_list("pk", flat=True))

    assert found("LANDFILL methane") == {catalogue["landfill_gas"].pk}
    assert found("landfill") == {
        catalogue["landfill_gas"].pk,
        catalogue["composting"].pk,
        catalogue["bus"].pk,  # in a lesson
    }
    assert found("survey") == set()  # the factory's step titles were replaced
    assert found("digesters") == {catalogue["rice"].pk}


def test_search_works_on_the_configured_database(catalogue, api_client, client):
    found = ids(api_client, q="landfill methane")
    assert found[0] == catalogue["landfill_gas"].pk
    html = client.get("/practices/", {"q": "landfill methane"}).content.decode()
    assert "Landfill gas to electricity" in html
    assert "Water leakage reduction" not in html


def test_an_empty_search_lists_everything(catalogue, api_client):
    assert len(ids(api_client, q="   ")) == 5
