"""What every page shares: landmarks, one h1, a skip link, the navigation, no CDN."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.html import parse

pytestmark = pytest.mark.django_db


def _urls(match, recipient, active_run) -> list[str]:
    return [
        reverse("my-city"),
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


def test_every_page_has_landmarks_one_h1_a_skip_link_and_no_external_assets(
    editor_client, match, recipient, active_run
):
    for url in _urls(match, recipient, active_run):
        response = editor_client.get(url)
        page = parse(response)
        body = response.content.decode()
        assert page.h1 == 1, url
        assert {"header", "nav", "main", "footer"} <= page.landmarks, url
        assert '<a class="skip-link" href="#main">' in body, url
        assert '<html lang="en">' in body, url
        assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', body), url


def test_the_navigation_is_complete_and_marks_the_current_page(editor_client, match):
    body = editor_client.get(reverse("match-list")).content.decode()
    for name in ("my-city", "city-list", "practice-list", "run-list"):
        assert f'href="{reverse(name)}"' in body
    assert f'<a href="{reverse("match-list")}" aria-current="page">Matches</a>' in body
    assert 'href="/api/docs/"' in body
    assert 'href="/admin/"' not in body


def test_staff_see_the_admin_link(client, staff_user):
    client.force_login(staff_user)
    assert 'href="/admin/">Admin</a>' in client.get(reverse("my-city")).content.decode()


def test_errors_use_the_site_layout(client, user):
    client.force_login(user)
    response = client.get(reverse("match-moved", args=[424242]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
