"""Runs whose worker was lost: found by their silent heartbeat, resumed, or failed for good."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from matching import services
from matching.models import MatchRun
from tests.factories import population
from tests.matching.helpers import assert_same_matches, expected, run_now, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def interrupted(django_capture_on_commit_callbacks, monkeypatch, settings):
    """An active run, then a second one whose worker died after its first shard."""
    settings.SCORING_SHARD_RECIPIENTS = 4
    population(24, seed=11)
    previous = run_now(django_capture_on_commit_callbacks)
    with monkeypatch.context() as patch:
        patch.setattr(services.runs, "_enqueue", lambda run_id: None)  # no worker takes it
        run = services.start_run(trigger="api")
    shards = services.prepare_run(run_id=run.pk)
    assert shards and len(shards) > 1
    services.score_shard(run_id=run.pk, index=shards[0])
    silent_since = timezone.now() - services.runs.stale_after() - timedelta(seconds=1)
    MatchRun.objects.filter(pk=run.pk).update(heartbeat_at=silent_since)
    return previous, run


def test_a_run_that_lost_its_worker_is_resumed_and_completes_once(
    interrupted, django_capture_on_commit_callbacks
):
    previous, run = interrupted
    with django_capture_on_commit_callbacks(execute=True):
        assert services.recover_lost_runs() == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.is_active, run.recoveries) == ("succeeded", True, 1)
    assert run.shards_done == run.shards_total  # the shard already done was not counted twice
    assert_same_matches(stored(run), expected(run))
    previous.refresh_from_db()
    assert not previous.is_active


def test_a_run_with_a_recent_heartbeat_is_left_alone(interrupted):
    _, run = interrupted
    services.runs.beat(run_id=run.pk)
    assert services.recover_lost_runs() == []
    run.refresh_from_db()
    assert (run.status, run.recoveries) == ("running", 0)


def test_after_too_many_recoveries_the_run_fails_and_the_previous_stays_active(
    interrupted, settings, django_capture_on_commit_callbacks
):
    previous, run = interrupted
    settings.SCORING_MAX_RECOVERIES = 2
    MatchRun.objects.filter(pk=run.pk).update(recoveries=2)
    assert services.recover_lost_runs() == [run.pk]
    run.refresh_from_db()
    assert run.status == "failed" and not run.is_active
    assert run.error.startswith("The worker was lost 3 times (no heartbeat for")
    assert MatchRun.objects.active() == previous
    # And the next run is not blocked.
    assert run_now(django_capture_on_commit_callbacks).status == "succeeded"


def test_starting_a_run_recovers_a_lost_one_first(interrupted, django_capture_on_commit_callbacks):
    _, run = interrupted
    # The lost run resumes, so it is the one in progress.
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.RunInProgress),
    ):
        services.start_run(trigger="api")
    run.refresh_from_db()
    assert (run.status, run.recoveries) == ("succeeded", 1)


def test_the_beat_schedule_checks_for_lost_runs_and_relays_the_outbox(settings):
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["matching.tasks.recover_lost_runs"] == settings.SCORING_HEARTBEAT_SECONDS
    assert schedule["outbox.relay"] == settings.OUTBOX_RELAY_SECONDS
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > settings.CELERY_TASK_TIME_LIMIT
