"""Signing in and out, and changing one's password."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.html import text, unlabelled_controls

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_sign_in_lands_on_my_city(client, editor):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert unlabelled_controls(page) == []
    response = client.post(reverse("login"), {"username": editor.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("my-city")
    assert "Hue" in text(client.get(response["Location"]))


def test_a_wrong_password_says_so_and_keeps_the_user_name(client, editor):
    response = client.post(reverse("login"), {"username": editor.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in text(response)
    assert f'value="{editor.username}"' in response.content.decode()


def test_sign_out_is_a_post_that_returns_to_sign_in(editor_client):
    response = editor_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert editor_client.get(reverse("match-list")).status_code == 302


def test_password_change(editor_client, editor):
    form = editor_client.get(reverse("password_change"))
    assert unlabelled_controls(form) == []
    refused = editor_client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    assert "Your password was not changed" in text(refused)
    response = editor_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-passphrase-42",
            "new_password2": "a-much-longer-passphrase-42",
        },
        follow=True,
    )
    assert "Password changed" in text(response)
    editor.refresh_from_db()
    assert editor.check_password("a-much-longer-passphrase-42")
