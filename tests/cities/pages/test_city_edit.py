"""Editing a city profile: who may, clear errors, nothing lost, and rescoring on save."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cities.models import CityAreaLevel, CitySector, PolicyArea, Sector
from cities.signals import city_profiles_changed
from cities.views import SAVED_MESSAGE
from tests.factories import UserFactory
from tests.html import parse, text, unlabelled_controls

pytestmark = pytest.mark.django_db


def _valid_post(**changes) -> dict:
    data = {
        "role": "recipient",
        "population": "455000",
        "latitude": "16.46",
        "longitude": "107.59",
        "languages": "vi, en, fr",
        "has_international_department": "on",
        "international_staff": "3",
        "years_of_cooperation": "12",
        "absorptive_capacity": "3",
        "cooperation_budget_usd": "0",
        "cofunding_usd": "80000",
        "sources": "City statistics office, 2024",
    }
    for area in PolicyArea.objects.all():
        data[f"expertise_{area.code}"] = "0"
        data[f"need_{area.code}"] = "0"
    for sector in Sector.objects.all():
        data[f"sector_{sector.code}"] = ""
    data.update({"need_waste": "3", "need_transport": "2", "expertise_water": "2"})
    data.update({"sector_C": "25", "sector_I": "40"})
    data.update(changes)
    return data


def test_only_editors_and_admins_may_edit(client, recipient, editor):
    url = reverse("city-edit", args=[recipient.slug])
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 403
    assert "Only the editors of this city" in text(response)
    assert client.post(url, _valid_post()).status_code == 403
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 200
    client.force_login(editor)
    assert client.get(url).status_code == 200


def test_the_form_shows_the_stored_profile_with_a_label_for_every_field(editor_client, recipient):
    response = editor_client.get(reverse("city-edit", args=[recipient.slug]))
    body = response.content.decode()
    assert parse(response).h1 == 1
    assert unlabelled_controls(response) == []
    assert 'value="en, vi"' in body  # languages, stored sorted
    assert '<option value="3" selected>3 · high</option>' in body  # need in waste
    assert 'name="sector_I" value="30"' in body


def test_saving_writes_the_profile_says_so_and_sends_the_rescoring_signal(
    editor_client, recipient, django_capture_on_commit_callbacks
):
    sent: list[dict] = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    city_profiles_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = editor_client.post(
                reverse("city-edit", args=[recipient.slug]), _valid_post(), follow=True
            )
    finally:
        city_profiles_changed.disconnect(receiver)
    assert response.redirect_chain[-1][0] == reverse("city-detail", args=[recipient.slug])
    assert SAVED_MESSAGE in text(response)
    recipient.refresh_from_db()
    assert recipient.population == 455_000
    assert recipient.languages == ["en", "fr", "vi"]
    levels = {
        row.policy_area.code: (row.expertise, row.need)
        for row in CityAreaLevel.objects.filter(city=recipient).select_related("policy_area")
    }
    assert levels == {"waste": (0, 3), "transport": (0, 2), "water": (2, 0)}
    shares = dict(CitySector.objects.filter(city=recipient).values_list("sector__code", "share"))
    assert shares == {"C": pytest.approx(0.25), "I": pytest.approx(0.40)}
    assert [(s["city_ids"], s["trigger"]) for s in sent] == [([recipient.pk], "form")]


def test_errors_name_the_field_keep_what_was_typed_and_write_nothing(
    editor_client, recipient, django_capture_on_commit_callbacks
):
    before = recipient.population
    with django_capture_on_commit_callbacks() as callbacks:
        response = editor_client.post(
            reverse("city-edit", args=[recipient.slug]),
            _valid_post(population="-5", languages="vi, english", sector_C="150", need_air="2"),
        )
    assert response.status_code == 200
    page = text(response)
    assert "Nothing was saved: correct the 3 fields marked below." in page
    assert "“english” is not a two-letter code" in page
    assert "Ensure this value is less than or equal to 100" in page
    body = response.content.decode()
    assert 'value="vi, english"' in body
    assert 'value="-5"' in body
    assert 'aria-invalid="true"' in body
    # Choices typed in the grid survive the error too.
    assert body.count('<option value="2" selected>2 · medium</option>') >= 1
    recipient.refresh_from_db()
    assert recipient.population == before
    assert callbacks == []


def test_anonymous_post_writes_nothing(client, recipient):
    response = client.post(reverse("city-edit", args=[recipient.slug]), _valid_post())
    assert response.status_code == 302
    recipient.refresh_from_db()
    assert recipient.population == 450_000


def test_edit_page_query_count(editor_client, django_assert_num_queries, recipient):
    # session, user, city + levels + sectors, can-edit, policy areas, sectors
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(9):
        assert editor_client.get(reverse("city-edit", args=[recipient.slug])).status_code == 200
