"""Fixtures of the API tests (the ``api`` folders import these): clients signed in by token,
a finished active run. ``admin_client`` is an API client here, not Django's test client."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import MatchRunFactory


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def client_of():
    """``client_of(user)``: an API client that sends that user's token."""
    return token_client


@pytest.fixture
def user_client(user) -> APIClient:
    return token_client(user)


@pytest.fixture
def admin_client(staff_user) -> APIClient:
    return token_client(staff_user)


@pytest.fixture
def agency_client(agency_user) -> APIClient:
    return token_client(agency_user)


@pytest.fixture
def active_run(db):
    return MatchRunFactory(is_active=True)
