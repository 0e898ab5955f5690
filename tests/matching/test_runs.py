"""Full runs: what they store, all or nothing, one at a time, the last three kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cities.models import City
from matching import services
from matching.models import Match, MatchRun, RunInputs, RunShard
from matching.scoring import score_block as engine_score_block
from partnerships.models import Partnership
from tests.factories import (
    BestPracticeFactory,
    CityFactory,
    MatchRunFactory,
    ScoringProfileFactory,
    population,
)

from .helpers import assert_same_matches, expected, run_now, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_shards(settings):
    settings.SCORING_SHARD_RECIPIENTS = 7


@pytest.fixture
def first_run(django_capture_on_commit_callbacks, small_shards):
    population(30)
    return run_now(django_capture_on_commit_callbacks)


def failing_score_block(*, on_call: int, message: str = "disk on fire"):
    calls = {"n": 0}

    def score_block(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == on_call:
            raise RuntimeError(message)
        return engine_score_block(*args, **kwargs)

    return score_block


def test_a_run_stores_what_the_engine_computes(first_run):
    run = first_run
    assert run.status == MatchRun.Status.SUCCEEDED
    assert run.is_active and run.progress == 100 and run.error == ""
    assert run.cities == 30
    assert run.shards_total == 3 and run.shards_done == 3  # 20 recipients, 7 per shard
    assert run.matches_stored == Match.objects.filter(run=run).count() > 0
    assert run.pairs_scored > run.matches_stored
    assert run.started_at <= run.finished_at
    assert_same_matches(stored(run), expected(run))
    # Nothing of the run's scaffolding stays behind.
    assert not RunShard.objects.exists() and not RunInputs.objects.exists()


def test_a_run_records_the_profile_it_used(django_capture_on_commit_callbacks, staff_user):
    population(24, seed=3)
    profile = ScoringProfileFactory(weight_need_fit=0.9, weight_language=0.0, top_k=3)
    run = run_now(
        django_capture_on_commit_callbacks, trigger="admin", user=staff_user, profile=profile
    )
    assert run.status == MatchRun.Status.SUCCEEDED
    assert run.weights == profile.snapshot()
    assert (run.trigger, run.created_by, run.profile) == ("admin", staff_user, profile)
    assert_same_matches(stored(run), expected(run))
    ranks = Match.objects.filter(run=run).values_list("recipient_rank", flat=True)
    assert max(rank for rank in ranks if rank) == 3


def test_the_explanation_names_areas_practices_and_partnerships(django_capture_on_commit_callbacks):
    donor = CityFactory(role="donor", expertise={"waste": 3, "air": 1}, needs={"health": 2})
    recipient = CityFactory(role="recipient", needs={"waste": 3, "air": 2}, expertise={"health": 3})
    practice = BestPracticeFactory(city=donor, areas=["waste"], title='Sorting at "source" \\ bins')
    BestPracticeFactory(city=donor, areas=["waste"], status="draft")
    Partnership.objects.create(donor=donor, recipient=recipient, status="agreed")

    run = run_now(django_capture_on_commit_callbacks)

    match = Match.objects.get(run=run)
    assert (match.donor, match.recipient) == (donor, recipient)
    assert match.top_areas == [
        {"area": "waste", "need": 3, "expertise": 3},
        {"area": "air", "need": 2, "expertise": 1},
    ]
    assert match.top_area_codes == " waste air "
    assert match.practices == [{"id": practice.pk, "title": practice.title}]
    assert match.gives_back == ["health"]
    assert match.existing_partnership is True
    assert match.evidence == pytest.approx(3 / 5)  # a practice for waste (3), none for air (2)
    assert match.size_ratio == 1.0
    assert (match.donor_rank, match.recipient_rank) == (1, 1)


def test_a_run_without_recipients_succeeds_empty(django_capture_on_commit_callbacks):
    CityFactory(role="donor", expertise={"waste": 3})
    run = run_now(django_capture_on_commit_callbacks)
    assert (run.status, run.is_active, run.shards_total, run.matches_stored) == (
        "succeeded",
        True,
        0,
        0,
    )


def test_a_city_deleted_while_the_run_scores_leaves_no_rows(
    django_capture_on_commit_callbacks, monkeypatch
):
    cities = population(15, seed=8)
    victim = cities[1]
    real_merge = services.runs.merge_blocks

    def delete_then_merge(*args, **kwargs):
        City.objects.filter(pk=victim.pk).delete()  # after the inputs were frozen and scored
        return real_merge(*args, **kwargs)

    monkeypatch.setattr(services.runs, "merge_blocks", delete_then_merge)
    run = run_now(django_capture_on_commit_callbacks)
    assert run.status == "succeeded"
    assert not Match.objects.filter(run=run).filter(donor_id=victim.pk).exists()
    assert not Match.objects.filter(run=run).filter(recipient_id=victim.pk).exists()
    assert run.matches_stored == Match.objects.filter(run=run).count() > 0


def test_an_unknown_trigger_is_refused():
    with pytest.raises(ValueError, match="Unknown trigger"):
        services.start_run(trigger="whenever")
    assert not MatchRun.objects.exists()


# --- One run at a time ------------------------------------------------------------------


def test_a_second_run_is_refused_while_one_is_in_progress():
    running = MatchRunFactory(status=MatchRun.Status.RUNNING, finished_at=None)
    with pytest.raises(services.RunInProgress) as refused:
        services.start_run(trigger="api")
    assert refused.value.run == running
    assert "already in progress" in str(refused.value)
    assert MatchRun.objects.count() == 1


def test_the_database_refuses_a_second_run_in_progress():
    MatchRun.objects.create(status=MatchRun.Status.QUEUED)
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchRun.objects.create(status=MatchRun.Status.RUNNING)
    assert MatchRun.objects.count() == 1


def test_a_start_racing_past_the_check_is_refused_by_the_database(monkeypatch):
    other = MatchRunFactory(status=MatchRun.Status.QUEUED, finished_at=None)
    calls = []

    def check_that_misses_once():
        calls.append(1)
        return None if len(calls) == 1 else other

    monkeypatch.setattr(services.runs, "run_in_progress", check_that_misses_once)
    with pytest.raises(services.RunInProgress) as refused:
        services.start_run(trigger="api")
    assert refused.value.run == other
    assert MatchRun.objects.count() == 1


def test_a_run_stuck_past_the_time_limit_is_failed_by_the_next_start(
    django_capture_on_commit_callbacks, settings
):
    settings.SCORING_RUN_TIME_LIMIT = 60
    population(9)
    stuck = MatchRunFactory(status=MatchRun.Status.RUNNING, finished_at=None)
    MatchRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    run = run_now(django_capture_on_commit_callbacks)

    stuck.refresh_from_db()
    assert stuck.status == MatchRun.Status.FAILED
    assert "No result within 1 minutes" in stuck.error and stuck.finished_at
    assert run.status == MatchRun.Status.SUCCEEDED and run.is_active


# --- All or nothing -----------------------------------------------------------------------


def test_a_failing_shard_fails_the_run_and_keeps_the_previous_one(
    first_run, django_capture_on_commit_callbacks, monkeypatch
):
    before = stored(first_run)
    monkeypatch.setattr(services.runs, "score_block", failing_score_block(on_call=2))

    run = run_now(django_capture_on_commit_callbacks)

    assert run.status == MatchRun.Status.FAILED
    assert run.error == "RuntimeError: disk on fire"
    assert run.finished_at and not run.is_active
    assert MatchRun.objects.active() == first_run
    assert not Match.objects.filter(run=run).exists()
    assert stored(first_run) == before
    assert not RunShard.objects.exists() and not RunInputs.objects.exists()


def test_readers_see_the_previous_run_until_the_new_one_is_complete(
    first_run, django_capture_on_commit_callbacks, monkeypatch
):
    seen = []

    def score_block(*args, **kwargs):
        seen.append(
            (
                MatchRun.objects.active().pk,
                set(Match.objects.of_active_run().values_list("run_id", flat=True)),
                Match.objects.of_active_run().count(),
            )
        )
        return engine_score_block(*args, **kwargs)

    monkeypatch.setattr(services.runs, "score_block", score_block)
    run = run_now(django_capture_on_commit_callbacks)

    assert seen == [(first_run.pk, {first_run.pk}, first_run.matches_stored)] * 3
    assert MatchRun.objects.active() == run
    assert set(Match.objects.of_active_run().values_list("run_id", flat=True)) == {run.pk}


def test_activation_is_one_transaction(first_run, django_capture_on_commit_callbacks, monkeypatch):
    """A failure after the old run was deactivated and the matches written undoes both."""
    real_drop = services.runs._drop_staging
    calls = []

    def drop_staging_failing_once(run_id):
        calls.append(run_id)
        if len(calls) == 1:
            raise RuntimeError("connection lost")
        real_drop(run_id)

    monkeypatch.setattr(services.runs, "_drop_staging", drop_staging_failing_once)
    run = run_now(django_capture_on_commit_callbacks)

    assert run.status == MatchRun.Status.FAILED and run.error == "RuntimeError: connection lost"
    first_run.refresh_from_db()
    assert first_run.is_active and MatchRun.objects.active() == first_run
    assert not Match.objects.filter(run=run).exists()


# --- Shards -------------------------------------------------------------------------------


def test_a_shard_scored_twice_stores_one_result_and_counts_once(small_shards):
    population(30)
    run = MatchRun.objects.create(weights=services.default_profile().snapshot())
    assert services.prepare_run(run_id=run.pk) == [0, 1, 2]

    assert services.score_shard(run_id=run.pk, index=1) is True
    first = bytes(RunShard.objects.get(run=run, index=1).result)
    assert services.score_shard(run_id=run.pk, index=1) is True
    assert bytes(RunShard.objects.get(run=run, index=1).result) == first
    run.refresh_from_db()
    assert (run.shards_done, run.progress) == (1, 5 + 85 // 3)

    # A redelivered prepare finds the shards already cut and hands back the ones left.
    assert services.prepare_run(run_id=run.pk) == [0, 2]
    for index in (0, 2, 0):
        services.score_shard(run_id=run.pk, index=index)
    run.refresh_from_db()
    assert (run.shards_done, run.progress) == (3, 90)

    services.finish_run(run_id=run.pk)
    services.finish_run(run_id=run.pk)  # a duplicate final step changes nothing
    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED and run.is_active
    assert Match.objects.filter(run=run).count() == run.matches_stored
    assert_same_matches(stored(run), expected(run))
    # And a shard message arriving after the end is ignored.
    assert services.score_shard(run_id=run.pk, index=0) is False


def test_progress_grows_as_shards_finish(
    django_capture_on_commit_callbacks, small_shards, monkeypatch
):
    population(30)
    progress = []

    def score_block(*args, **kwargs):
        progress.append(MatchRun.objects.get().progress)
        return engine_score_block(*args, **kwargs)

    monkeypatch.setattr(services.runs, "score_block", score_block)
    run = run_now(django_capture_on_commit_callbacks)
    assert progress == [5, 33, 61]
    assert run.progress == 100


def test_finish_refuses_a_run_with_a_missing_shard(small_shards):
    population(30)
    run = MatchRun.objects.create(weights=services.default_profile().snapshot())
    services.prepare_run(run_id=run.pk)
    services.score_shard(run_id=run.pk, index=0)
    with pytest.raises(RuntimeError, match=r"Shards \[1, 2\]"):
        services.finish_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("RuntimeError: Shards [1, 2] of run")
    assert not run.is_active and not Match.objects.filter(run=run).exists()


# --- Retention ----------------------------------------------------------------------------


def test_only_the_last_three_runs_are_kept(django_capture_on_commit_callbacks):
    population(12)
    runs = [run_now(django_capture_on_commit_callbacks) for _ in range(4)]
    assert list(MatchRun.objects.order_by("pk")) == runs[1:]
    assert not Match.objects.filter(run_id=runs[0].pk).exists()
    assert MatchRun.objects.active() == runs[3]
    assert Match.objects.filter(run=runs[1]).count() == runs[1].matches_stored


def test_the_active_run_survives_retention_even_when_older():
    active = MatchRunFactory(is_active=True)
    failed = [MatchRunFactory(status=MatchRun.Status.FAILED) for _ in range(3)]
    assert services.drop_old_runs() == 0
    assert set(MatchRun.objects.all()) == {active, *failed}
    MatchRunFactory(status=MatchRun.Status.FAILED)
    assert services.drop_old_runs() == 1
    assert MatchRun.objects.filter(pk=failed[0].pk).exists() is False
    assert MatchRun.objects.active() == active


def test_the_run_just_replaced_stays_readable_for_the_grace_period(settings):
    """Requests that read the previous run just before the switch finish their pages from it,
    even when failed runs pushed it out of the newest three."""
    settings.SCORING_REPLACED_RUN_GRACE = 120
    now = timezone.now()
    replaced = MatchRunFactory(started_at=now - timedelta(minutes=30))
    failed = [MatchRunFactory(status=MatchRun.Status.FAILED) for _ in range(3)]
    active = MatchRunFactory(is_active=True, started_at=now - timedelta(seconds=5))
    assert services.drop_old_runs() == 1  # the oldest failed run only
    assert set(MatchRun.objects.all()) == {replaced, *failed[1:], active}
    settings.SCORING_REPLACED_RUN_GRACE = 0
    assert services.drop_old_runs() == 1
    assert not MatchRun.objects.filter(pk=replaced.pk).exists()
    assert MatchRun.objects.active() == active


def test_a_failed_run_can_be_followed_by_a_new_one(
    first_run, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services.runs, "score_block", failing_score_block(on_call=1))
    failed = run_now(django_capture_on_commit_callbacks)
    monkeypatch.undo()
    City.objects.filter(pk=City.objects.first().pk).update(population=123_456)
    succeeded = run_now(django_capture_on_commit_callbacks)
    assert failed.status == "failed" and succeeded.status == "succeeded"
    assert MatchRun.objects.active() == succeeded
    assert_same_matches(stored(succeeded), expected(succeeded))


def test_on_postgresql_each_run_lives_in_its_own_partition(
    postgres, django_capture_on_commit_callbacks
):
    from django.db import connection

    from matching.services import partitions

    population(12)
    runs = [run_now(django_capture_on_commit_callbacks) for _ in range(4)]
    kept = runs[1:]
    assert partitions.partitioned()
    assert set(partitions.run_partitions()) == {run.pk for run in kept}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, count(*) FROM matching_match "
            "WHERE run_id = %s GROUP BY 1",
            [kept[-1].pk],
        )
        assert cursor.fetchall() == [(partitions.run_table(kept[-1].pk), kept[-1].matches_stored)]
    # A run deleted another way (the admin) leaves a partition that the next clean-up drops.
    kept[0].delete()
    services.drop_old_runs()
    assert set(partitions.run_partitions()) == {run.pk for run in kept[1:]}
    assert Match.objects.filter(run=kept[-1]).count() == kept[-1].matches_stored


def test_on_postgresql_a_run_loads_its_rows_with_ids_reserved_from_the_sequence(
    postgres, django_capture_on_commit_callbacks
):
    from django.db import connection

    from matching.services import partitions

    population(12)
    run = run_now(django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {partitions.run_table(run.pk)} ORDER BY ctid")
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT nextval(pg_get_serial_sequence('matching_match', 'id'))")
        (following,) = cursor.fetchone()
    # Consecutive in the order they were loaded (the primary key's sort finds them in order),
    # and the sequence goes on after them.
    assert ids == list(range(ids[0], ids[0] + run.matches_stored))
    assert following > ids[-1]


def test_on_postgresql_a_run_without_reserved_ids_draws_them_row_by_row(
    postgres, django_capture_on_commit_callbacks, monkeypatch
):
    from matching.services import partitions

    monkeypatch.setattr(partitions, "reserve_ids", lambda count: None)
    population(12)
    run = run_now(django_capture_on_commit_callbacks)
    assert run.status == MatchRun.Status.SUCCEEDED
    ids = list(Match.objects.filter(run=run).values_list("pk", flat=True))
    assert len(set(ids)) == len(ids) == run.matches_stored > 0


def test_on_postgresql_a_new_partition_has_statistics_of_the_listed_columns(
    postgres, django_capture_on_commit_callbacks
):
    from django.db import connection

    from matching.services import partitions

    population(12)
    run = run_now(django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_stats WHERE tablename = %s", [partitions.run_table(run.pk)]
        )
        analysed = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [partitions.run_table(run.pk)],
        )
        assert cursor.fetchone()[0] == run.matches_stored
        # Loaded frozen (COPY FREEZE): every page is all-visible from the start.
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE oid = %s::regclass",
            [partitions.run_table(run.pk)],
        )
        pages, all_visible = cursor.fetchone()
        assert pages > 0 and all_visible == pages
    listed = {"run_id", "donor_id", "recipient_id", "score", "donor_rank", "recipient_rank"}
    assert listed | set(partitions.FILTERED_COLUMNS) <= analysed
    # The explanations are left to autovacuum's full ANALYZE.
    assert "practices" not in analysed


def test_on_postgresql_staging_blobs_are_stored_uncompressed(postgres):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, attname, attstorage FROM pg_attribute "
            "WHERE (attrelid, attname) IN "
            "(('matching_runshard'::regclass, 'result'), ('matching_runinputs'::regclass, 'data'))"
        )
        storage = {(table, column): kind for table, column, kind in cursor.fetchall()}
    assert storage == {("matching_runshard", "result"): "e", ("matching_runinputs", "data"): "e"}
