"""Every page of the catalogue in Japanese and Vietnamese, as the curator who sees it all: no
English left outside what people wrote; the API's messages in the Accept-Language language with
their field names unchanged; the same queries in every language."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bestpractices import services
from bestpractices.models import BestPractice, StatusChange
from bestpractices.services.revisions import record_revision
from cities.countries import COUNTRY_NAMES
from cities.models import City, Organization, UserPreferences
from notifications.models import Notification
from tests.bestpractices.test_api import LIST, payload
from tests.factories import BestPracticeFactory, CityFactory, UserFactory
from tests.html import english_left, text

pytestmark = pytest.mark.django_db

LANGUAGES = ("ja", "vi")
JAPANESE = re.compile(r"[ぁ-んァ-ン一-龥]")
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩậắằẳặẹẻẽếềểệịỉọỏốồổộớờởợụủứừửựỳỷỹ]", re.I)
SCRIPT = {"ja": JAPANESE, "vi": VIETNAMESE}


@pytest.fixture
def curated(curator):
    """A practice waiting for review, with two revisions and a move in its history."""
    practice = BestPracticeFactory(
        title="Takakura composting",
        status=BestPractice.Status.SUBMITTED,
        complete=True,
        language="ja",
        co2_avoided_t_per_year=1_610_000.5,
        start_year=2004,
    )
    record_revision(practice=practice, user=practice.author, summary="Created")
    BestPractice.objects.filter(pk=practice.pk).update(summary="Compost baskets in every home.")
    practice.refresh_from_db()
    record_revision(practice=practice, user=curator, summary="Edited")
    StatusChange.objects.create(
        practice=practice,
        from_status=BestPractice.Status.DRAFT,
        to_status=BestPractice.Status.SUBMITTED,
        user=practice.author,
        comment="Ready for review.",
    )
    return practice


def _user_data(practice: BestPractice) -> list[str]:
    """What people wrote: the practice and its rows, names of cities, people and partners."""
    words = [
        practice.title,
        practice.summary,
        "A short summary of what the city did.",
        re.sub(r"<[^>]+>", "", practice.body_html).strip(),
        practice.preconditions,
        "Survey the sites",
        "City monitoring report",
        "Waste to landfill",
        "t/day",
        "Sorting was poor.",
        "Ready for review.",
        practice.author.get_username(),
        *City.objects.values_list("name", flat=True),
        *Organization.objects.values_list("name", flat=True),
        *COUNTRY_NAMES.values(),
    ]
    return [word for word in words if word]


def _pages(practice: BestPractice) -> dict[str, str]:
    slug = practice.slug
    return {
        "catalogue, filters open": reverse("practice-list") + "?scale=citywide",
        "practice and curation panel": reverse("practice-detail", args=[slug]),
        "new practice": reverse("practice-create"),
        "edit practice": reverse("practice-edit", args=[slug]),
        "revisions": reverse("practice-revisions", args=[slug]),
        "compare": reverse("practice-revision-compare", args=[slug]) + "?old=1&new=2",
        "delete": reverse("practice-delete", args=[slug]),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_page_has_no_english_left(client, curator, curated, language):
    client.force_login(curator)
    user_data = _user_data(curated) + [curator.get_username()]
    for name, url in _pages(curated).items():
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        translated = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert translated.status_code == 200, name
        assert f'<html lang="{language}">' in translated.content.decode(), name
        # The English page is full of phrases, so the check below is not vacuous.
        assert len(english_left(text(english), user_data)) > 5, name
        left = english_left(text(translated), user_data, english=text(english))
        assert left == [], f"{name} in {language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_form_with_errors_names_the_fields_and_rows_in_the_language(
    client, curator, curated, language
):
    client.force_login(curator)
    data = {
        "title": "",
        "city": curated.city_id,
        "language": "ja",
        "scale": "citywide",
        "start_year": "2012",
        "end_year": "2008",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-0-title": "Drill wells",
        "steps-0-evidence_refs": "x",
        "steps-0-ORDER": "1",
    }
    for prefix in ("evidence", "outcomes", "lessons", "partners"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    url = reverse("practice-create")
    english = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    translated = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    assert english.status_code == translated.status_code == 200
    assert "Nothing was saved" in text(english)
    assert "Step 1, evidence it rests on" in text(english)
    user_data = [*_user_data(curated), "Drill wells"]
    assert english_left(text(translated), user_data, english=text(english)) == []
    assert not BestPractice.objects.exclude(pk=curated.pk).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_practice_is_explained_in_the_language_with_its_field_names(
    api_client, user, language
):
    api_client.force_authenticate(user)
    bad = payload(CityFactory(), start_year=2012, end_year=2008, policy_areas=[])
    english = api_client.post(LIST, bad, format="json", HTTP_ACCEPT_LANGUAGE="en")
    translated = api_client.post(LIST, bad, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert english.status_code == translated.status_code == 400
    assert english["Content-Language"] == "en" and translated["Content-Language"] == language
    assert set(english.json()) == set(translated.json()) >= {"end_year", "policy_areas"}
    assert "The end year cannot be before the start year." in english.json()["end_year"]
    message = translated.json()["end_year"][0]
    assert SCRIPT[language].search(message), message
    assert not BestPractice.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_move_is_explained_in_the_language(api_client, curator, language):
    practice = BestPracticeFactory(status=BestPractice.Status.DRAFT)
    api_client.force_authenticate(curator)
    url = f"{LIST}{practice.pk}/publish/"
    response = api_client.post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    # The checklist's items and the sentence around them, both translated.
    assert SCRIPT[language].search(response.json()["detail"]), response.json()
    assert all(SCRIPT[language].search(item) for item in response.json()["checklist"])


def test_the_catalogue_costs_the_same_queries_in_every_language(client, curator, curated):
    BestPracticeFactory.create_batch(3, complete=True)
    client.force_login(curator)
    for url in (reverse("practice-list"), reverse("practice-list") + "?scale=citywide"):
        counts = []
        for language in ("en", *LANGUAGES):
            client.get(url, HTTP_ACCEPT_LANGUAGE=language)  # warm the caches
            with CaptureQueriesContext(connection) as queries:
                client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            counts.append(len(queries))
        assert len(set(counts)) == 1, f"{url}: {counts}"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", ["審査履歴", "実施手順", "2件の変更履歴：比較と復元", "必要な受入能力"]),
        ("vi", ["lịch sử xét duyệt", "2 phiên bản: so sánh và khôi phục"]),
    ],
)
def test_the_admin_labels_practices_in_the_language(admin_client, curated, language, words):
    response = admin_client.get(
        reverse("admin:bestpractices_bestpractice_change", args=[curated.pk]),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    page = text(response)
    assert all(word.lower() in page.lower() for word in words), [
        word for word in words if word.lower() not in page.lower()
    ]


def test_each_person_is_notified_in_the_language_they_chose(curator):
    japanese_curator = UserFactory()
    japanese_curator.groups.set(curator.groups.all())
    UserPreferences.objects.create(user=japanese_curator, language="ja")
    author = UserFactory()
    UserPreferences.objects.create(user=author, language="vi")
    practice = BestPracticeFactory(
        title="Takakura composting", status=BestPractice.Status.DRAFT, author=author
    )

    services.submit_practice(practice=practice, user=author)
    titles = dict(Notification.objects.values_list("recipient_id", "title"))
    assert titles[curator.pk] == "“Takakura composting” is waiting for review"
    assert titles[japanese_curator.pk] == "「Takakura composting」が審査を待っています"

    services.send_back_practice(practice=practice, user=curator, comment="Add the costs.")
    returned = Notification.objects.get(recipient=author)
    assert returned.title == "Thực tiễn “Takakura composting” của quý vị đã được trả lại"
    assert returned.body == "Add the costs."


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", "管理者による例外：作成者自身が公開しました。 Urgent"),
        ("vi", "do chính tác giả công bố. Urgent"),
    ],
)
def test_the_history_reads_in_the_language_with_the_comment_as_written(
    client, staff_user, language, words
):
    practice = BestPracticeFactory(
        status=BestPractice.Status.SUBMITTED, complete=True, author=staff_user
    )
    services.publish_practice(practice=practice, user=staff_user, override=True, comment="Urgent")
    client.force_login(staff_user)
    page = text(client.get(practice.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language))
    assert words in page
    revisions = reverse("practice-revisions", args=[practice.slug])
    assert words in text(client.get(revisions, HTTP_ACCEPT_LANGUAGE=language))
