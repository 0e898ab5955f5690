"""Runs: the list, the live run page, and who may start a run."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.urls import reverse

from matching.models import MatchRun
from tests.factories import MatchRunFactory
from tests.html import parse, text

pytestmark = pytest.mark.django_db


def test_run_list_shows_status_and_the_current_run(editor_client, active_run):
    failed = MatchRunFactory(status=MatchRun.Status.FAILED, progress=30, error="boom")
    response = editor_client.get(reverse("run-list"))
    page = text(response)
    assert parse(response).h1 == 1
    assert f"Run {active_run.pk} current Succeeded 100%" in page
    assert f"Run {failed.pk} Failed 30%" in page
    assert "Start a new run" not in page  # a city editor may not start runs


def test_run_list_when_there_is_none(editor_client):
    assert "No run yet" in text(editor_client.get(reverse("run-list")))


def test_a_running_run_polls_its_progress_and_works_without_javascript(editor_client):
    run = MatchRunFactory(status=MatchRun.Status.RUNNING, progress=42, finished_at=None)
    body = editor_client.get(reverse("run-detail", args=[run.pk])).content.decode()
    # The page polls itself and takes the bar, the status and the figures from it, so they
    # move together and read as the server writes them.
    page_url = reverse("run-detail", args=[run.pk])
    assert f'data-run-progress="{page_url}"' in body
    assert '<progress id="run-progress-bar" max="100" value="42">42%</progress>' in body
    assert "data-run-status" in body and "data-run-figures" in body
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in body
    assert "js/run-progress.js" in body


def test_a_finished_run_does_not_poll(editor_client, active_run):
    body = editor_client.get(reverse("run-detail", args=[active_run.pk])).content.decode()
    assert "data-run-progress" not in body and "refresh" not in body
    assert "Browse this run's matches" in text(
        editor_client.get(reverse("run-detail", args=[active_run.pk]))
    )


def test_a_failed_run_shows_its_error(editor_client):
    run = MatchRunFactory(status=MatchRun.Status.FAILED, error="Worker lost")
    page = text(editor_client.get(reverse("run-detail", args=[run.pk])))
    assert "The run failed." in page and "Worker lost" in page


def test_a_run_resumed_after_a_lost_worker_says_so_with_its_last_heartbeat(editor_client):
    from datetime import datetime

    beat = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    run = MatchRunFactory(
        status=MatchRun.Status.RUNNING, finished_at=None, heartbeat_at=beat, recoveries=1
    )
    page = text(editor_client.get(reverse("run-detail", args=[run.pk])))
    # The date in the reader's format, the time to the second (a heartbeat is recent).
    assert "Last heartbeat March 4, 2026 05:06:07" in page
    assert "Lost workers re-queued 1 time after its worker was lost" in page


@pytest.mark.parametrize("who", ["staff_user", "agency_user"])
def test_admins_and_agency_users_start_a_run(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert "Start a new run" in text(client.get(reverse("run-list")))
    response = client.post(reverse("run-start"))
    run = MatchRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("run-detail", args=[run.pk])
    assert run.status == MatchRun.Status.QUEUED and run.trigger == MatchRun.Trigger.ADMIN


def test_a_second_start_while_one_runs_is_refused_with_409(client, staff_user):
    running = MatchRunFactory(status=MatchRun.Status.RUNNING, progress=10, finished_at=None)
    client.force_login(staff_user)
    response = client.post(reverse("run-start"))
    assert response.status_code == 409
    assert f"Run {running.pk} is already queued or running" in text(response)
    assert MatchRun.objects.count() == 1


def test_city_editors_may_not_start_runs(editor_client):
    assert editor_client.post(reverse("run-start")).status_code == 403
    assert not MatchRun.objects.exists()


def test_starting_needs_a_post(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("run-start")).status_code == 405


@pytest.mark.parametrize("count", [1, 30])
def test_run_list_query_count_is_fixed(editor_client, django_assert_num_queries, count):
    MatchRunFactory.create_batch(count)
    # session, user, groups (may start?), count, runs
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(6):
        assert editor_client.get(reverse("run-list")).status_code == 200


def test_run_detail_query_count(editor_client, django_assert_num_queries, active_run):
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(5):
        assert editor_client.get(reverse("run-detail", args=[active_run.pk])).status_code == 200
