"""The Celery tasks: thin, safe to repeat, and they end a run that fails."""

from __future__ import annotations

import pytest

from matching import services, tasks
from matching.models import MatchRun, RunShard
from tests.factories import MatchRunFactory, population

pytestmark = pytest.mark.django_db


def test_the_nightly_task_starts_a_scheduled_run(django_capture_on_commit_callbacks):
    population(9)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = tasks.start_scheduled_run.delay().get()
    run = MatchRun.objects.get(pk=run_id)
    assert (run.trigger, run.status, run.is_active) == ("schedule", "succeeded", True)


def test_the_nightly_task_does_nothing_while_a_run_is_in_progress():
    running = MatchRunFactory(status=MatchRun.Status.RUNNING, finished_at=None)
    assert tasks.start_scheduled_run.delay().get() is None
    assert list(MatchRun.objects.all()) == [running]


def test_the_beat_schedule_names_the_task(settings):
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "matching.tasks.start_scheduled_run" in names
    assert tasks.start_scheduled_run.name == "matching.tasks.start_scheduled_run"


def test_a_task_that_raises_fails_its_run(settings, monkeypatch):
    settings.SCORING_SHARD_RECIPIENTS = 4
    population(12)
    run = MatchRun.objects.create(weights=services.default_profile().snapshot())
    services.prepare_run(run_id=run.pk)

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(services.runs, "score_block", broken)
    with pytest.raises(MemoryError):
        tasks.score_shard.apply(args=(run.pk, 0))
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "MemoryError: out of memory")
    assert not RunShard.objects.filter(run=run).exists()


def test_the_chord_error_callback_fails_the_run():
    """A hard time limit kills the shard's process: the chord's error callback reports it."""
    run = MatchRun.objects.create(status=MatchRun.Status.RUNNING)
    tasks.run_failed(None, TimeoutError("Hard time limit (960s) exceeded"), None, run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "Hard time limit" in run.error


def test_a_failure_report_after_the_run_ended_changes_nothing():
    run = MatchRunFactory(is_active=True)
    assert services.fail_run(run_id=run.pk, error="late") is False
    run.refresh_from_db()
    assert (run.status, run.is_active, run.error) == ("succeeded", True, "")


def test_run_tasks_are_idempotent_and_survive_a_lost_worker():
    for task in (tasks.run_scoring, tasks.score_shard, tasks.finish_run, tasks.rescore_cities):
        assert task.acks_late and task.reject_on_worker_lost, task.name
        assert task.time_limit and task.soft_time_limit < task.time_limit, task.name


def test_a_run_message_for_a_run_that_already_ended_does_nothing():
    run = MatchRunFactory(status=MatchRun.Status.FAILED)
    tasks.run_scoring.delay(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and not RunShard.objects.exists()


def test_a_run_started_while_the_broker_is_down_stays_queued_and_runs_once_it_is_back(
    django_capture_on_commit_callbacks, monkeypatch
):
    from citymatch.celery import app as celery_app
    from toolkit.outbox import services as outbox
    from toolkit.outbox.models import Message

    population(12, seed=8)

    def no_broker(message):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(outbox, "_publish", no_broker)
    celery_app.conf.task_always_eager = False  # the autouse fixture sets it back
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_run(trigger="api")
    run.refresh_from_db()
    assert (run.status, run.error) == ("queued", "")
    pending = Message.objects.get(sent_at__isnull=True)
    assert (pending.task, pending.kwargs) == ("matching.tasks.run_scoring", {"run_id": run.pk})
    with pytest.raises(services.RunInProgress):
        services.start_run(trigger="api")

    monkeypatch.undo()
    celery_app.conf.task_always_eager = True
    assert outbox.relay() == 1
    assert outbox.relay() == 0  # sent once
    run.refresh_from_db()
    assert run.status == "succeeded" and run.is_active
    assert MatchRun.objects.count() == 1
