"""Fixtures shared by every test module."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from cities.permissions import AGENCY_GROUP, CURATOR_GROUP
from citymatch.celery import app as celery_app
from tests.factories import UserFactory

IN_CI = bool(os.environ.get("CI"))


def require_service(available: bool, what: str) -> None:
    """Skip on a developer's machine without the service; fail under CI, where it must run."""
    if available:
        return
    message = f"{what} is not configured"
    if IN_CI:
        pytest.fail(f"{message}, and CI must run this test")
    pytest.skip(message)


@pytest.fixture
def postgres() -> None:
    require_service(settings.USING_POSTGRES, "PostgreSQL (DATABASE_URL)")


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Unit tests run tasks in-process; only integration tests talk to a real worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a page requested in Japanese leaves Japanese
    active in the thread (LocaleMiddleware activates, nothing deactivates), and services called
    directly afterwards would speak it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def agency_user(db):
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name=AGENCY_GROUP)[0])
    return user


@pytest.fixture
def curator(db):
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name=CURATOR_GROUP)[0])
    return user


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
