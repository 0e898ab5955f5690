"""Scoring on a real Celery worker, real Redis and real PostgreSQL."""

from __future__ import annotations

import time

import pytest

from cities import services as city_services
from cities.models import City
from matching import services, tasks
from matching.models import Match, MatchRun, RunInputs, RunShard
from tests.factories import population
from tests.matching.helpers import assert_same_matches, expected, stored

from .conftest import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RUN_TIMEOUT_S = 90


def follow(run: MatchRun, log) -> tuple[MatchRun, list[int]]:
    """Poll the run until it ends; the progress values seen on the way."""
    seen: list[int] = []

    def ended():
        run.refresh_from_db()
        if not seen or seen[-1] != run.progress:
            seen.append(run.progress)
        return not run.in_progress

    wait_for(ended, timeout=RUN_TIMEOUT_S, what=f"run {run.pk} to end", log=log, poll=0.05)
    return run, seen


def test_a_full_run_completes_with_progress_and_activation(celery_worker):
    population(40)
    run = services.start_run(trigger="api")  # autocommit: the task is sent at once
    run, seen = follow(run, celery_worker["log"])

    assert run.status == MatchRun.Status.SUCCEEDED, run.error
    assert run.is_active and MatchRun.objects.active() == run
    assert run.progress == 100 and seen == sorted(seen)
    recipients = City.objects.exclude(role="donor").count()
    assert run.shards_total == -(-recipients // 7) and run.shards_done == run.shards_total
    assert run.matches_stored == Match.objects.filter(run=run).count() > 0
    assert_same_matches(stored(run), expected(run))
    assert not RunShard.objects.exists() and not RunInputs.objects.exists()


def test_a_profile_edit_is_rescored_by_the_worker_within_seconds(celery_worker):
    cities = population(30, seed=4)
    run, _ = follow(services.start_run(trigger="api"), celery_worker["log"])
    assert run.status == MatchRun.Status.SUCCEEDED, run.error
    city = next(c for c in cities if c.role == City.Role.BOTH)
    before = {pair: row for pair, row in stored(run).items() if city.pk in pair}

    started = time.monotonic()
    city_services.update_city_profile(
        city=city,
        fields={"population": 4_000_000},
        needs={"waste": 3, "water": 3, "energy": 2},
        expertise={"transport": 3},
        trigger="form",
    )

    def rescored():
        now = {pair: row for pair, row in stored(run).items() if city.pk in pair}
        return now != before and now

    now = wait_for(rescored, timeout=20, what="the rescoring", log=celery_worker["log"])
    assert time.monotonic() - started < 20
    fresh = expected(run)
    own = {p for p, row in fresh.items() if (p[1] == city.pk and row["recipient_rank"])}
    assert {p for p, row in now.items() if p[1] == city.pk and row["recipient_rank"]} == own
    for pair in own:
        assert now[pair]["score"] == fresh[pair]["score"]
    assert MatchRun.objects.count() == 1


def test_a_run_failing_on_the_worker_ends_failed_and_keeps_the_active_run(celery_worker):
    population(20, seed=6)
    good, _ = follow(services.start_run(trigger="api"), celery_worker["log"])
    assert good.status == MatchRun.Status.SUCCEEDED, good.error
    # Parameters the engine refuses: every shard raises on the worker.
    weights = {**good.weights, "top_k": 0}
    bad = MatchRun.objects.create(trigger="api", weights=weights)
    tasks.run_scoring.delay(bad.pk)
    bad, _ = follow(bad, celery_worker["log"])

    assert bad.status == MatchRun.Status.FAILED
    assert "top_k must be >= 1" in bad.error
    assert MatchRun.objects.active() == good
    assert not Match.objects.filter(run=bad).exists()
