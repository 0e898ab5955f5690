"""Full runs: what they store, all or nothing, one at a time, the last three kept."""

from __future__ import annotations

import pytest

from partnerships.models import Match, MatchRun, RunInputs, RunShard

from .factories import population
from .helpers import assert_same_matches, expected, run_now, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_shards(settings):
    settings.SCORING_SHARD_RECIPIENTS = 7


def test_a_run_stores_what_the_engine_computes(django_capture_on_commit_callbacks, small_shards):
    population(30)
    run = run_now(django_capture_on_commit_callbacks)

    assert run.status == MatchRun.Status.SUCCEEDED
    assert run.is_active and run.progress == 100 and run.error == ""
    assert run.cities == 30
    assert run.shards_total == 3 and run.shards_done == 3  # 20 recipients, 7 per shard
    assert run.matches_stored == Match.objects.filter(run=run).count() > 0
    assert run.started_at <= run.finished_at
    assert_same_matches(stored(run), expected(run))
    # Nothing of the run's scaffolding stays behind.
    assert not RunShard.objects.exists() and not RunInputs.objects.exists()
