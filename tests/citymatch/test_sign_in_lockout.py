"""Guessing passwords: the sign-in page and the token endpoint lock out, per account and per
client address, after AXES_FAILURE_LIMIT failures, and say so."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_limit")]

PASSWORD = "correct-horse-battery"
LIMIT = 3


@pytest.fixture
def small_limit():
    with override_settings(AXES_FAILURE_LIMIT=LIMIT):
        yield


def token(client: APIClient, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        "/api/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_token_endpoint_locks_an_account_after_the_limit(api_client, user):
    for _ in range(LIMIT - 1):
        assert token(api_client, user.username, "wrong").status_code == 400
    locked = token(api_client, user.username, "wrong")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.json()["detail"]
    # Even the right password is refused while the lockout lasts, from any address.
    again = token(APIClient(), user.username, PASSWORD, address="10.0.0.99")
    assert again.status_code == 429
    assert "token" not in again.json()


def test_token_endpoint_locks_a_client_guessing_many_accounts(api_client, user):
    for number in range(LIMIT):
        token(api_client, f"someone-{number}", "wrong", address="10.9.9.9")
    assert token(api_client, user.username, PASSWORD, address="10.9.9.9").status_code == 429
    # Another client still signs in to that account.
    assert token(APIClient(), user.username, PASSWORD, address="10.1.1.1").status_code == 200


def test_a_success_before_the_limit_starts_the_count_again(api_client, user):
    for _ in range(LIMIT - 1):
        token(api_client, user.username, "wrong")
    assert token(api_client, user.username, PASSWORD).status_code == 200
    assert token(api_client, user.username, "wrong").status_code == 400


def test_sign_in_page_locks_out_with_a_message(client, user):
    url = reverse("login")
    for _ in range(LIMIT - 1):
        page = client.post(url, {"username": user.username, "password": "wrong"})
        assert page.status_code == 200
        assert "Please enter a correct username and password" in page.content.decode()
    assert client.post(url, {"username": user.username, "password": "wrong"}).status_code == 429
    # The right password no longer helps while the lockout lasts.
    locked = client.post(url, {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert not locked.wsgi_request.user.is_authenticated
