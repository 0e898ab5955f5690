"""With nothing configured (no broker), a run works in a background thread of the server: the
page, the API and the command that start it answer at once, and the run still ends active."""

from __future__ import annotations

import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from matching import services
from matching.models import MatchRun
from tests.factories import UserFactory, population
from tests.html import text
from toolkit.outbox import services as outbox

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def in_background(settings):
    """Runs go to a background thread, as with nothing configured."""
    settings.OUTBOX_IN_BACKGROUND = True


@pytest.fixture
def gate(monkeypatch, in_background):
    """Holds the run's first step until the test opens the gate (at most 30 s)."""
    opened, entered = threading.Event(), threading.Event()
    state = {"thread": None}
    prepare = services.prepare_run

    def held(*, run_id: int):
        state["thread"] = threading.current_thread()
        entered.set()
        opened.wait(30)
        return prepare(run_id=run_id)

    monkeypatch.setattr(services, "prepare_run", held)
    state["entered"] = entered
    try:
        yield opened, state
    finally:
        opened.set()  # never leave a run held past its test


def ended(run: MatchRun, seconds: float = 60) -> MatchRun:
    """The run once it has left queued/running (fails the test past ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if not run.in_progress:
            return run
        time.sleep(0.1)
    raise AssertionError(f"Run {run.pk} still {run.status} at {run.progress} % after {seconds} s")


def test_a_page_started_run_answers_at_once_then_reaches_100_percent(client, gate):
    opened, state = gate
    population(20, seed=3)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    response = client.post(reverse("run-start"))

    run = MatchRun.objects.get()
    # The answer came while the run's first step is still held: the request did not run it.
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert not opened.is_set() and run.status == MatchRun.Status.QUEUED
    assert state["entered"].wait(10) and state["thread"] is not threading.current_thread()
    page = text(client.get(run.get_absolute_url()))
    assert "Status: Queued" in page and "Scored: 0%" in page and "Started –" in page

    opened.set()
    run = ended(run)
    assert outbox.wait_for_background(timeout=30)
    run.refresh_from_db()
    assert (run.status, run.progress, run.is_active) == ("succeeded", 100, True)
    assert run.created_by == staff and run.shards_done == run.shards_total >= 1

    # The page's figures are the run's.
    page = text(client.get(run.get_absolute_url()))
    assert "Status: Succeeded" in page and "Scored: 100%" in page
    assert f"Cities scored {run.cities}" in page and run.cities == 20
    assert f"Shards {run.shards_done} of {run.shards_total}" in page
    assert f"Matches stored {run.matches_stored:,}" in page and run.matches_stored > 0
    assert "Started –" not in page and "Finished –" not in page


def test_the_api_answers_202_with_the_queued_run_at_once(gate):
    opened, _ = gate
    population(12, seed=4)
    api = APIClient()
    api.force_authenticate(UserFactory(is_staff=True, is_superuser=True))

    response = api.post("/api/match-runs/", format="json")

    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert not opened.is_set()
    opened.set()
    run = ended(MatchRun.objects.get(pk=response.json()["id"]))
    assert (run.status, run.progress, run.is_active) == ("succeeded", 100, True)


def test_a_long_step_in_the_background_keeps_beating(in_background, settings, monkeypatch):
    """As on a worker: a run silent too long would be taken for lost and re-queued."""
    settings.SCORING_HEARTBEAT_SECONDS = 0.1
    population(12, seed=5)
    beats = []
    score = services.score_shard

    def slow(*, run_id: int, index: int):
        first = MatchRun.objects.values_list("heartbeat_at", flat=True).get(pk=run_id)
        time.sleep(0.6)
        later = MatchRun.objects.values_list("heartbeat_at", flat=True).get(pk=run_id)
        beats.append(later > first)
        return score(run_id=run_id, index=index)

    monkeypatch.setattr(services, "score_shard", slow)
    run = ended(services.start_run(trigger="api"))
    assert run.status == "succeeded" and beats and all(beats)


def test_the_command_follows_the_background_run_with_a_bar_and_waits_for_it(in_background):
    population(15, seed=6)
    out, err = StringIO(), StringIO()
    call_command("run_scoring", "--wait", stdout=out, stderr=err)
    run = MatchRun.objects.get()
    assert (run.status, run.is_active) == ("succeeded", True)
    assert f"Run {run.pk} succeeded: 15 cities" in out.getvalue()
    assert "100%" in err.getvalue()
    assert outbox.wait_for_background(timeout=0)  # nothing left running


def test_without_wait_the_command_still_ends_after_its_run(in_background):
    population(8, seed=7)
    out = StringIO()
    call_command("run_scoring", stdout=out, stderr=StringIO())
    run = MatchRun.objects.get()
    assert f"Run {run.pk} succeeded" in out.getvalue() and run.is_active
