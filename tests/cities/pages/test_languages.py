"""The city pages in Japanese and Vietnamese: the list with its filters, a city's page and the
profile form, with no English left outside the users' own data; the plausible limits and the
API's messages in the reader's language, field names unchanged; the same queries in every
language."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cities.countries import COUNTRY_NAMES
from cities.models import City
from tests.cities.api.test_cities import NEW_CITY
from tests.cities.pages.test_city_edit import _valid_post
from tests.factories import CityFactory, UserFactory
from tests.html import english_left, text

pytestmark = pytest.mark.django_db

LANGUAGES = ("ja", "vi")
JAPANESE = re.compile(r"[ぁ-んァ-ン一-龥]")


@pytest.fixture
def cities(match, donor, recipient, editor):
    """The list's rows: the match's two cities and a few more."""
    CityFactory.create_batch(3, needs={"water": 2}, expertise={"energy": 3})
    return [donor, recipient]


def _user_data(editor) -> list[str]:
    return [
        *City.objects.values_list("name", flat=True),
        *COUNTRY_NAMES.values(),
        editor.get_username(),
        "City statistics office, 2024",
    ]


def _pages(recipient, donor) -> dict[str, str]:
    return {
        "city list": reverse("city-list"),
        "city list, filtered": reverse("city-list") + "?role=donor&offers=waste",
        "city page": reverse("city-detail", args=[recipient.slug]),
        "donor's page": reverse("city-detail", args=[donor.slug]),
        "city edit": reverse("city-edit", args=[recipient.slug]),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_city_page_has_no_english_left(editor_client, editor, cities, language):
    donor, recipient = cities
    City.objects.filter(pk=recipient.pk).update(sources="City statistics office, 2024")
    user_data = _user_data(editor)
    for name, url in _pages(recipient, donor).items():
        english = editor_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        translated = editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert translated.status_code == 200, name
        assert f'<html lang="{language}">' in translated.content.decode(), name
        # The English page is full of phrases, so the check below is not vacuous.
        assert len(english_left(text(english), user_data)) > 5, name
        left = english_left(text(translated), user_data, english=text(english))
        assert left == [], f"{name} in {language}"


@pytest.mark.parametrize(
    ("language", "limit"),
    [("ja", "人口は40,000,000人以下で入力してください"), ("vi", "tối đa 40.000.000 người dân")],
)
def test_a_plausible_limit_is_explained_in_the_language(
    editor_client, editor, cities, language, limit
):
    _, recipient = cities
    url = reverse("city-edit", args=[recipient.slug])
    data = _valid_post(population="50000000", latitude="95")
    english = editor_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    translated = editor_client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    assert "at most 40,000,000 inhabitants" in text(english)
    assert limit in text(translated)
    assert english_left(text(translated), _user_data(editor), english=text(english)) == []
    recipient.refresh_from_db()
    assert recipient.population == 450_000


@pytest.mark.parametrize(
    ("language", "limit"),
    [("ja", "人口は40,000,000人以下で入力してください"), ("vi", "tối đa 40.000.000 người dân")],
)
def test_the_api_refuses_a_city_in_the_language_with_its_field_names(
    agency_user, api_client, language, limit
):
    api_client.force_authenticate(agency_user)
    bad = {
        **NEW_CITY,
        "population": 50_000_000,
        "languages": ["ja", "ja"],
        "expertise": {"wste": 3},
    }
    english = api_client.post("/api/cities/", bad, format="json", HTTP_ACCEPT_LANGUAGE="en")
    translated = api_client.post("/api/cities/", bad, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert english.status_code == translated.status_code == 400
    assert translated["Content-Language"] == language
    errors, words = english.json(), translated.json()
    assert set(errors) == set(words) == {"population", "languages", "expertise"}
    # The unknown code stays the key of its message.
    assert set(words["expertise"]) == {"wste"}
    assert errors["population"] == ["at most 40,000,000 inhabitants"]
    assert words["population"] == [limit]
    assert words["languages"] != errors["languages"]
    assert words["expertise"]["wste"] != errors["expertise"]["wste"]
    if language == "ja":
        assert JAPANESE.search(words["languages"][0]), words
    assert not City.objects.filter(name=NEW_CITY["name"]).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_import_report_reads_in_the_language(agency_user, api_client, language):
    api_client.force_authenticate(agency_user)
    rows = "name,country,latitude,longitude,population,role\nOsaka,JP,34.69,135.50,99000000,donor\n"
    english = api_client.post(
        "/api/cities/import/",
        {"file": _upload(rows)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    translated = api_client.post(
        "/api/cities/import/",
        {"file": _upload(rows)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert english.status_code == translated.status_code == 400
    [error] = english.json()["errors"]
    [translated_error] = translated.json()["errors"]
    assert error == {"row": 2, "field": "population", "message": "at most 40,000,000 inhabitants"}
    assert translated_error["row"] == 2 and translated_error["field"] == "population"
    assert translated_error["message"] != error["message"]
    assert {"ja": "40,000,000", "vi": "40.000.000"}[language] in translated_error["message"]


def _upload(content: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("cities.csv", content.encode(), content_type="text/csv")


def test_the_city_list_costs_the_same_queries_in_every_language(editor_client, cities):
    for url in (reverse("city-list"), reverse("city-list") + "?role=donor&offers=waste"):
        counts = []
        for language in ("en", *LANGUAGES):
            editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language)  # warm the caches
            with CaptureQueriesContext(connection) as queries:
                editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            counts.append(len(queries))
        assert len(set(counts)) == 1, f"{url}: {counts}"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", ["実施能力と予算", "出典と担当者", "国際協力に携わる職員数", "専門性とニーズ"]),
        ("vi", ["Năng lực và ngân sách", "Nguồn gốc dữ liệu và cán bộ phụ trách"]),
    ],
)
def test_the_admin_labels_cities_in_the_language(admin_client, recipient, language, words):
    response = admin_client.get(
        reverse("admin:cities_city_change", args=[recipient.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    page = text(response)
    assert all(word in page for word in words), [word for word in words if word not in page]


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("ja", "この都市を編集できるのは、担当者と管理者だけです。"),
        ("vi", "Chỉ cán bộ phụ trách của thành phố này và quản trị viên mới có thể chỉnh sửa."),
    ],
)
def test_a_refused_edit_says_why_in_the_language(client, recipient, language, refusal):
    client.force_login(UserFactory())
    url = reverse("city-edit", args=[recipient.slug])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    assert refusal in text(response)
