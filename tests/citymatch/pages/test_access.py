"""Who may open which page: anonymous users go to sign in; the public landing page."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _pages(match, recipient, active_run) -> list[str]:
    return [
        reverse("city-list"),
        reverse("city-detail", args=[recipient.slug]),
        reverse("city-edit", args=[recipient.slug]),
        reverse("city-map", args=[recipient.slug]),
        reverse("match-list"),
        reverse("match-detail", args=[match.donor.slug, match.recipient.slug]),
        reverse("match-brief", args=[match.donor.slug, match.recipient.slug]),
        reverse("run-list"),
        reverse("run-detail", args=[active_run.pk]),
        reverse("password_change"),
    ]


def test_anonymous_users_are_sent_to_sign_in_and_come_back(client, match, recipient, active_run):
    for url in _pages(match, recipient, active_run):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}", url


def test_every_page_opens_for_a_signed_in_editor(editor_client, match, recipient, active_run):
    for url in _pages(match, recipient, active_run):
        assert editor_client.get(url).status_code == 200, url


def test_anonymous_home_is_a_public_landing_page_with_the_catalogue(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Find the city that can help yours" in body
    assert f'href="{reverse("login")}"' in body
    assert f'href="{reverse("practice-list")}"' in body


def test_unknown_objects_are_404(editor_client):
    assert editor_client.get(reverse("city-detail", args=["nowhere-xx"])).status_code == 404
    assert editor_client.get(reverse("match-moved", args=[999999])).status_code == 404
    assert editor_client.get(reverse("run-detail", args=[999999])).status_code == 404
