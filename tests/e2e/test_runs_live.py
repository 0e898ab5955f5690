"""The run page follows a run live (polling itself every second), and staff start runs that
answer at once: with nothing configured the run works in a background thread of the server."""

from __future__ import annotations

import re
import threading

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from matching import services
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
    figures = page.locator("[data-run-figures]")
    assert "Shards\n0 of 0" in figures.inner_text()
    MatchRun.objects.filter(pk=run.pk).update(
        progress=55, cities=2033, shards_total=2, shards_done=1
    )
    # Playwright's expect, not wait_for_function: the page's Content-Security-Policy refuses
    # the string evaluation wait_for_function polls with.
    expect(page.locator("[data-percent]")).to_have_text("55%", timeout=5000)
    assert page.locator("progress").evaluate("bar => bar.value") == 55
    # The figures move with the bar.
    expect(figures).to_contain_text("2,033", timeout=5000)
    assert "Shards\n1 of 2" in figures.inner_text()
    page.screenshot(path=SCREENSHOTS / f"{width}-20-run-live.png", full_page=True)

    # When the run ends, the page reloads itself and stops polling.
    MatchRun.objects.filter(pk=run.pk).update(
        status=MatchRun.Status.SUCCEEDED, progress=100, finished_at=timezone.now()
    )
    page.wait_for_selector("[data-run-status]:has-text('Succeeded')", timeout=5000)
    assert page.locator("[data-run-progress]").count() == 0
    context.close()
    assert errors.messages == []


@pytest.fixture
def hold_runs(monkeypatch, settings):
    """From the call on, runs go to a background thread (as with nothing configured) and
    their first step waits until the returned gate opens."""
    gate = threading.Event()
    prepare = services.prepare_run

    def held(*, run_id: int):
        gate.wait(30)
        return prepare(run_id=run_id)

    def hold() -> threading.Event:
        settings.OUTBOX_IN_BACKGROUND = True
        monkeypatch.setattr(services, "prepare_run", held)
        return gate

    yield hold
    gate.set()


def _figure(page, name: str) -> str:
    return page.locator(f"[data-run-figures] dt:text-is('{name}') + dd").inner_text()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_staff_start_a_run_that_answers_at_once_and_follow_it_live(
    live_server, browser, hold_runs, width
):
    demo = build_demo()
    held_run = hold_runs()
    staff = UserFactory(username="admin-user", is_staff=True)
    errors = BrowserErrors()
    viewport_width, viewport_height = WIDTHS[width]
    context = browser.new_context(viewport={"width": viewport_width, "height": viewport_height})
    page = context.new_page()
    errors.watch(page)
    _sign_in(page, live_server.url, staff.username)
    page.goto(live_server.url + "/runs/")
    page.get_by_role("button", name="Start a new run").click()

    # The run page opens while the run has not even begun: the request did not run it.
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    newest = MatchRun.objects.order_by("-pk").first()
    assert newest.pk != demo.run.pk and newest.status == MatchRun.Status.QUEUED
    assert not held_run.is_set()
    main = page.inner_text("main")
    assert f"Run {newest.pk} started." in main
    assert page.locator("[data-run-status]").inner_text() == "Queued"
    assert page.locator("[data-percent]").inner_text() == "0%"
    assert _figure(page, "Started") == "–" and _figure(page, "Shards") == "0 of 0"
    page.screenshot(path=SCREENSHOTS / f"{width}-21-run-started.png", full_page=True)

    # Let it run: the page follows it to the end without a reload by hand.
    held_run.set()
    expect(page.locator("[data-run-status]")).to_have_text("Succeeded", timeout=60_000)
    newest.refresh_from_db()
    assert (newest.status, newest.progress, newest.is_active) == ("succeeded", 100, True)
    assert newest.created_by == staff
    assert page.locator("[data-run-progress]").count() == 0  # no longer polling
    assert page.locator("progress").evaluate("bar => bar.value") == 100
    assert "current" in page.inner_text("h1")
    # The page's figures are the run's.
    assert _figure(page, "Cities scored") == f"{newest.cities:,}" and newest.cities > 0
    assert _figure(page, "Shards") == f"{newest.shards_done} of {newest.shards_total}"
    assert newest.shards_done == newest.shards_total >= 1
    assert _figure(page, "Matches stored") == f"{newest.matches_stored:,}"
    assert _figure(page, "Started") != "–" and _figure(page, "Finished") != "–"
    assert page.get_by_role("link", name="Browse this run's matches").is_visible()
    page.screenshot(path=SCREENSHOTS / f"{width}-22-run-finished.png", full_page=True)
    context.close()
    assert errors.messages == []
