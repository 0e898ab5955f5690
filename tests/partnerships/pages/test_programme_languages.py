"""The programme pages and a programme's round read in Japanese and Vietnamese: the list with
each city's standing, the programme with its rules, pairs and rounds, the solved round with its
left-out recipients and remedies (as the agency sees it). No English is left outside user data,
the round page costs the same queries in every language, the CSV keeps its column codes and the
API's errors follow ``Accept-Language`` with their field names unchanged."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cities.countries import COUNTRY_NAMES
from cities.models import UserPreferences
from notifications.models import Notification
from partnerships.models import Partnership, RoundCapacity
from partnerships.services import rounds
from tests.factories import CityFactory
from tests.html import english_left, text

from ..rounds import build_round

pytestmark = pytest.mark.django_db

LANGUAGES = ("ja", "vi")


@pytest.fixture
def setup(areas):
    setup = build_round()
    programme = setup.programme
    programme.description = "Asian cities cleaning their rivers together."
    programme.funding_note = "Grants are paid in two instalments."
    programme.min_population = 5_000_000
    programme.countries = ["VN", "JP"]
    programme.min_cofunding_usd = 250_000
    programme.requires_adopted_plan = True
    programme.funding_usd = 3_000_000
    programme.save()
    programme.policy_areas.set([areas["waste"], areas["air"]])
    rounds.solve(user=setup.agency, round_=setup.round)
    outsider = CityFactory(name="Surabaya", country="ID", population=2_000_000, cofunding_usd=0)
    outsider.editors.add(setup.editors["Dhaka"])
    return setup


def user_data(setup) -> list[str]:
    programme = setup.programme
    return [
        programme.name,
        programme.organization.name,
        programme.description,
        programme.funding_note,
        setup.round.title,
        setup.agency.get_username(),
        *setup.donors,
        *setup.recipients,
        "Surabaya",
        *(user.get_username() for user in setup.editors.values()),
        *COUNTRY_NAMES.values(),
    ]


def round_page(setup, name: str = "round-detail") -> str:
    return reverse(name, kwargs={"slug": setup.programme.slug, "pk": setup.round.pk})


def pages(setup) -> dict[str, tuple[object, str]]:
    """Page → (who reads it, its address). Dhaka's editor also edits Surabaya, which is not a
    member and fails every rule of the programme."""
    dhaka = setup.editors["Dhaka"]
    return {
        "programme list": (dhaka, reverse("programme-list")),
        "programme detail": (dhaka, setup.programme.get_absolute_url()),
        "programme detail (agency)": (setup.agency, setup.programme.get_absolute_url()),
        "round detail (agency)": (setup.agency, round_page(setup)),
        "round detail (editor)": (setup.editors["Cebu"], round_page(setup)),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_programme_and_round_pages_are_translated(client, setup, language):
    data = user_data(setup)
    for name, (user, url) in pages(setup).items():
        client.force_login(user)
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        translated = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert english.status_code == translated.status_code == 200, name
        assert f'<html lang="{language}">' in translated.content.decode(), name
        assert english_left(text(english), data), name
        left = english_left(text(translated), data, english=text(english))
        assert left == [], f"{name} in {language}: {left}"


def test_the_pages_show_what_is_translated(client, setup):
    """The parts built in Python (rules, standing, reasons, remedies) reach the page translated."""
    client.force_login(setup.editors["Dhaka"])
    english = client.get(setup.programme.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert "Minimum population" in english.content.decode()
    assert "not eligible" in english.content.decode()
    assert "The city has adopted a plan in these areas" in english.content.decode()
    client.force_login(setup.agency)
    html = {
        language: client.get(round_page(setup), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        for language in ("en", *LANGUAGES)
    }
    assert "Dhaka is left out" in html["en"]
    assert "Raise Yokohama&#x27;s capacity to 2 to include Dhaka." in html["en"]
    for language in LANGUAGES:
        assert "Dhaka is left out" not in html[language]
        assert "Raise Yokohama" not in html[language]
        assert "Dhaka" in html[language] and "Yokohama" in html[language]


def test_the_round_page_costs_the_same_queries_in_every_language(client, setup):
    client.force_login(setup.agency)
    counts = []
    for language in ("en", *LANGUAGES):
        client.get(round_page(setup), HTTP_ACCEPT_LANGUAGE=language)  # warm the caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(round_page(setup), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts


def test_the_round_csv_keeps_its_column_codes_and_explains_in_the_readers_language(client, setup):
    client.force_login(setup.agency)
    tables = {}
    for language in ("en", "ja"):
        response = client.get(round_page(setup, "round-export"), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        tables[language] = list(csv.DictReader(io.StringIO(body)))
    assert tables["en"][0].keys() == tables["ja"][0].keys()
    assert [row["status"] for row in tables["en"]] == [row["status"] for row in tables["ja"]]
    english = next(row for row in tables["en"] if row["status"] == "left_out")
    japanese = next(row for row in tables["ja"] if row["status"] == "left_out")
    assert english["recipient"] == japanese["recipient"] == "Dhaka"
    assert english["reason"].startswith("Dhaka is left out")
    assert japanese["reason"] != english["reason"] and "Dhaka" in japanese["reason"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_api_round_errors_follow_accept_language(setup, language):
    api = APIClient()
    token = Token.objects.get_or_create(user=setup.agency)[0].key
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/programmes/{setup.programme.slug}/rounds/{setup.round.pk}/capacities/"
    payload = {"donor": setup.recipients["Dhaka"].pk, "capacity": 2}
    english = api.post(url, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    translated = api.post(url, payload, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert english.status_code == translated.status_code == 400
    assert english.json().keys() == translated.json().keys()
    assert english.json() == {"donor": ["Dhaka is not a member donor of the programme."]}
    message = translated.json()["donor"][0]
    assert "Dhaka" in message and message != english.json()["donor"][0]
    assert english_left(message, ["Dhaka"], english=english.json()["donor"][0]) == []


def test_round_proposals_reach_each_editor_in_their_saved_language(setup):
    """The "proposed" notice of a round is written once per editor, in the language each chose
    (Yokohama's editor reads Japanese, Dhaka's Vietnamese, Da Nang's never chose: English)."""
    UserPreferences.objects.create(user=setup.editors["Yokohama"], language="ja")
    UserPreferences.objects.create(user=setup.editors["Dhaka"], language="vi")
    RoundCapacity.objects.filter(donor=setup.donors["Yokohama"]).update(capacity=2)
    rounds.solve(user=setup.agency, round_=setup.round)
    rounds.propose(user=setup.agency, round_=setup.round)
    notices = {
        (notice.recipient.get_username(), notice.object_id): notice
        for notice in Notification.objects.select_related("recipient")
    }
    yokohama_dhaka = Partnership.objects.get(
        donor=setup.donors["Yokohama"], recipient=setup.recipients["Dhaka"]
    )
    yokohama_da_nang = Partnership.objects.get(
        donor=setup.donors["Yokohama"], recipient=setup.recipients["Da Nang"]
    )
    japanese = notices[(setup.editors["Yokohama"].get_username(), yokohama_dhaka.pk)]
    vietnamese = notices[(setup.editors["Dhaka"].get_username(), yokohama_dhaka.pk)]
    english = notices[(setup.editors["Da Nang"].get_username(), yokohama_da_nang.pk)]
    assert english.title == (
        "Clean Cities Asia proposes a partnership of Yokohama and Da Nang: "
        "agree to it with the other city"
    )
    assert english.body.startswith("Round “Waste 2027”.")
    for notice in (japanese, vietnamese):
        assert "Clean Cities Asia" in notice.title and "Dhaka" in notice.title
        assert "Waste 2027" in notice.body
        data = ["Clean Cities Asia", "Waste 2027", "Yokohama", "Dhaka"]
        assert english_left(notice.title, data) == [], notice.title
        assert english_left(notice.body, data) == [], notice.body
    assert japanese.title != vietnamese.title
    assert "提案" in japanese.title and "đề xuất" in vietnamese.title
