"""The pages of a city officer's journey in Japanese and Vietnamese: chosen by the browser, the
header's switcher or the saved preference; no English left outside the users' own data; the
citizen brief in a language of its own; the same queries in every language."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bestpractices.models import ActionStep, Lesson
from cities.countries import COUNTRY_NAMES
from cities.models import City, UserPreferences
from tests.factories import BestPracticeFactory, InterestFactory
from tests.html import english_left, text

pytestmark = pytest.mark.django_db

LANGUAGES = ("ja", "vi")


@pytest.fixture
def journey(match, donor, recipient, editor):
    """A match with a practice to learn from and a message waiting in the recipient's inbox."""
    # A gap in the profile, so that My city shows its checklist.
    City.objects.filter(pk=recipient.pk).update(cofunding_usd=0)
    practice = BestPracticeFactory(
        city=donor, title="Eco-Town recycling", areas=["waste"], cost_usd=400_000
    )
    ActionStep.objects.create(
        practice=practice, position=1, title="Map the waste streams", duration="6 months"
    )
    Lesson.objects.create(
        practice=practice,
        what_went_wrong="Residents ignored the first sorting rules.",
        do_differently="Explain the rules door to door.",
    )
    InterestFactory(
        from_city=donor, to_city=recipient, from_role="donor", message="We would like to help."
    )
    user_data = [
        donor.name,
        recipient.name,
        editor.get_username(),
        practice.title,
        practice.summary,
        "Map the waste streams",
        "6 months",
        "Residents ignored the first sorting rules.",
        "Explain the rules door to door.",
        "We would like to help.",
        *COUNTRY_NAMES.values(),
    ]
    pages = {
        "my city": reverse("my-city"),
        "matches": reverse("match-list") + f"?recipient={recipient.pk}",
        "match": match.get_absolute_url(),
        "donor city": reverse("city-detail", args=[donor.slug]),
        "cities": reverse("city-list"),
        "runs": reverse("run-list"),
        "brief": reverse("match-brief", args=[match.donor.slug, match.recipient.slug]),
        "interest": reverse("interest-send", args=[match.donor.slug, match.recipient.slug]),
        "start a partnership": reverse(
            "partnership-start", args=[match.donor.slug, match.recipient.slug]
        ),
        "inbox": reverse("interest-inbox"),
    }
    return pages, user_data


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_journey_pages_have_no_english_left(editor_client, journey, language):
    pages, user_data = journey
    for name, url in pages.items():
        english = editor_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        translated = editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert translated.status_code == 200, name
        assert f'<html lang="{language}">' in translated.content.decode()
        # The English page is full of phrases, so the check below is not vacuous.
        assert len(english_left(text(english), user_data)) > 5, name
        left = english_left(text(translated), user_data, english=text(english))
        assert left == [], f"{name} in {language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_page_in_the_browser_language(client, language):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")
    assert response["Content-Language"] == language
    english = text(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en"))
    assert english_left(text(response), [], english=english) == []


def test_the_words_are_polite_and_consistent(editor_client, journey):
    pages, _ = journey
    japanese = text(editor_client.get(pages["my city"], HTTP_ACCEPT_LANGUAGE="ja"))
    vietnamese = text(editor_client.get(pages["my city"], HTTP_ACCEPT_LANGUAGE="vi"))
    assert "わが都市" in japanese and "受入都市" in japanese
    assert "共同負担金が申告されていません。" in japanese  # the profile's checklist
    assert "Chưa khai báo vốn đối ứng." in vietnamese
    assert "Thành phố của tôi" in vietnamese
    match_page = text(editor_client.get(pages["match"], HTTP_ACCEPT_LANGUAGE="ja"))
    assert "です。" in match_page  # です/ます
    assert "廃棄物管理" in match_page  # the policy area, translated


def test_switcher_keeps_the_page_and_its_filters_and_remembers_the_choice(client, editor, journey):
    client.force_login(editor)
    page = reverse("match-list") + "?recipient=1&ordering=-score"
    response = client.post(reverse("set-language"), {"language": "vi", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert response.cookies["django_language"].value == "vi"
    assert UserPreferences.objects.get(user=editor).language == "vi"
    assert '<html lang="vi">' in client.get(reverse("my-city")).content.decode()

    # Another browser, no cookie, an English Accept-Language: signing in brings Vietnamese back.
    client.logout()
    client.cookies.clear()
    client.force_login(editor)
    response = client.get(reverse("my-city"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="vi">' in response.content.decode()


def test_switcher_is_a_form_on_every_page(editor_client, journey):
    pages, _ = journey
    body = unicodedata.normalize("NFC", editor_client.get(pages["match"]).content.decode())
    form = re.search(r'<form class="language-switcher".*?</form>', body, re.S)
    assert form is not None
    assert f'name="next" value="{pages["match"]}"' in form.group(0)
    for code, name in (("en", "English"), ("ja", "日本語"), ("vi", "Tiếng Việt")):
        assert f'name="language" value="{code}" lang="{code}"' in form.group(0)
        assert name in form.group(0)


def test_unknown_language_is_refused_without_saving(client, editor):
    client.force_login(editor)
    client.post(reverse("set-language"), {"language": "xx", "next": "/"})
    assert not UserPreferences.objects.filter(user=editor).exists()


def test_brief_in_its_own_language_with_figures_formatted_for_it(editor_client, journey, match):
    url = reverse("match-brief", args=[match.donor.slug, match.recipient.slug])
    body = editor_client.get(url + "?lang=ja", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    article = body[body.index('<article class="brief"') :]
    assert '<article class="brief" aria-labelledby="brief-title" lang="ja">' in body
    assert "市民向け説明資料" in article and "940,000" in article
    assert "年" in re.search(r'<p class="brief-meta">(.*?)</p>', article).group(1)  # the date
    # The header stays in the officer's language.
    assert '<html lang="en">' in body and ">My city<" in body

    vietnamese = editor_client.get(url + "?lang=vi", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    article = vietnamese[vietnamese.index('<article class="brief"') :]
    assert "Vì sao" in article and "940.000" in article and "400.000 USD" in article
    assert ">わが都市<" in vietnamese
    # An unknown ?lang= falls back to the page's language.
    english = editor_client.get(url + "?lang=xx").content.decode()
    assert 'lang="en"' in english[english.index('<article class="brief"') :][:80]


def test_query_counts_do_not_change_with_the_language(editor_client, journey):
    pages, _ = journey
    for name, url in pages.items():
        counts = []
        for language in ("en", *LANGUAGES):
            editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language)  # warm the caches
            with CaptureQueriesContext(connection) as queries:
                editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            counts.append(len(queries))
        assert len(set(counts)) == 1, f"{name}: {counts}"


def test_api_errors_follow_accept_language_and_keep_their_codes(client, editor):
    english = client.get("/api/cities/", HTTP_ACCEPT_LANGUAGE="en")
    japanese = client.get("/api/cities/", HTTP_ACCEPT_LANGUAGE="ja")
    assert english.status_code == japanese.status_code == 401
    assert english.json().keys() == japanese.json().keys()
    assert english.json() != japanese.json()
    assert re.search(r"[ぁ-んァ-ン一-龥]", str(japanese.json()))

    # A signed-in browser whose saved language is Vietnamese still gets the API's Accept-Language.
    UserPreferences.objects.create(user=editor, language="vi")
    client.force_login(editor)
    response = client.post(
        "/api/cities/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert re.search(r"[ぁ-んァ-ン一-龥]", str(response.json())), response.json()
