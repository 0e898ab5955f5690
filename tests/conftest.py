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
NOT_CONFIGURED = " is not configured"

# What each service a test may need is for, and how a developer gets it (printed at the end of
# a run that skipped tests for want of it).
HOW_TO_GET = {
    "PostgreSQL (DATABASE_URL)": (
        "install PostgreSQL (apt-get install postgresql), then "
        "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/citymatch "
        "(pytest creates and drops test_citymatch)"
    ),
    "A Celery broker (CELERY_BROKER_URL)": (
        "install and start Redis (apt-get install redis-server), then "
        "export CELERY_BROKER_URL=redis://127.0.0.1:6379/0 REDIS_URL=redis://127.0.0.1:6379/1"
    ),
    "redis-server (for the fault tests)": "apt-get install redis-server",
    "Chromium (/usr/bin/chromium)": (
        "apt-get install chromium (the browser tests drive Debian's /usr/bin/chromium through "
        "Playwright; nothing is downloaded)"
    ),
    "GNU gettext (xgettext)": "apt-get install gettext",
}


def require_service(available: bool, what: str) -> None:
    """Skip on a developer's machine without the service; fail under CI, where it must run."""
    if available:
        return
    message = f"{what}{NOT_CONFIGURED}"
    if IN_CI:
        pytest.fail(f"{message}, and CI must run this test")
    pytest.skip(message)


def skipped_for_services(reports) -> dict[str, int]:
    """{service: tests skipped for want of it} among these skipped test reports."""
    counts: dict[str, int] = {}
    for report in reports:
        longrepr = getattr(report, "longrepr", None)
        if not isinstance(longrepr, tuple) or len(longrepr) != 3:
            continue
        reason = str(longrepr[2]).removeprefix("Skipped: ")
        if reason.endswith(NOT_CONFIGURED):
            what = reason.removesuffix(NOT_CONFIGURED)
            counts[what] = counts.get(what, 0) + 1
    return counts


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say which tests were skipped because a service is absent, and how to get it."""
    counts = skipped_for_services(terminalreporter.stats.get("skipped", []))
    if not counts:
        return
    terminalreporter.section("skipped: services not available on this machine", yellow=True)
    for what, count in sorted(counts.items()):
        tests = "test" if count == 1 else "tests"
        terminalreporter.write_line(f"{count} {tests} skipped: {what}{NOT_CONFIGURED}.")
        terminalreporter.write_line(f"    To run them: {HOW_TO_GET.get(what, 'configure it')}.")
    terminalreporter.write_line(
        "Under CI=true these tests fail instead of skipping. See README.md, 'Tests'."
    )


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
def _tasks_in_the_test_thread(settings):
    """A run started in a test ends before the call returns, as tests inside a transaction
    need; a test that follows a run in the background sets ``OUTBOX_IN_BACKGROUND`` back on.
    Whatever still runs in the background is waited for before the database is torn down."""
    from toolkit.outbox import services as outbox

    settings.OUTBOX_IN_BACKGROUND = False
    yield
    outbox.wait_for_background(timeout=120)


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
