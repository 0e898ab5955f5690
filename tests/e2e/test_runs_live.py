"""The run page follows a run live (polling its JSON every second), and staff start runs."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from matching.models import MatchRun
from tests.factories import UserFactory

from .conftest import SCREENSHOTS, WIDTHS, BrowserErrors
from .demo import PASSWORD, build_demo

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_run_page_follows_a_run_live_then_shows_the_result(live_server, browser, width):
    user = UserFactory()
    run = MatchRun.objects.create(
        status=MatchRun.Status.RUNNING, progress=10, started_at=timezone.now()
    )
    errors = BrowserErrors()
    viewport_width, viewport_height = WIDTHS[width]
    context = browser.new_context(viewport={"width": viewport_width, "height": viewport_height})
    page = context.new_page()
    errors.watch(page)
    _sign_in(page, live_server.url, user.username)

    page.goto(f"{live_server.url}/runs/{run.pk}/")
    assert page.locator("progress").evaluate("bar => bar.value") == 10
    MatchRun.objects.filter(pk=run.pk).update(progress=55)
    # Playwright's expect, not wait_for_function: the page's Content-Security-Policy refuses
    # the string evaluation wait_for_function polls with.
    expect(page.locator("[data-percent]")).to_have_text("55%", timeout=5000)
    assert page.locator("progress").evaluate("bar => bar.value") == 55
    page.screenshot(path=SCREENSHOTS / f"{width}-20-run-live.png", full_page=True)

    # When the run ends, the page reloads itself and stops polling.
    MatchRun.objects.filter(pk=run.pk).update(
        status=MatchRun.Status.SUCCEEDED, progress=100, finished_at=timezone.now()
    )
    page.wait_for_selector("[data-run-status]:has-text('Succeeded')", timeout=5000)
    assert page.locator("[data-run-progress]").count() == 0
    context.close()
    assert errors.messages == []


def test_staff_start_a_run_from_the_runs_page(live_server, browser):
    demo = build_demo()
    staff = UserFactory(username="admin-user", is_staff=True)
    errors = BrowserErrors()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors.watch(page)
    _sign_in(page, live_server.url, staff.username)
    page.goto(live_server.url + "/runs/")
    page.get_by_role("button", name="Start a new run").click()
    # Celery runs in-process here, so the new run has finished when its page opens.
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    assert "Run" in page.inner_text("h1") and f"/runs/{demo.run.pk}/" not in page.url
    assert "started." in page.inner_text("main")
    page.screenshot(path=SCREENSHOTS / "desktop-21-run-started.png", full_page=True)
    page.close()
    assert errors.messages == []
    newest = MatchRun.objects.order_by("-pk").first()
    assert newest.status == MatchRun.Status.SUCCEEDED and newest.is_active
    assert newest.created_by == staff
