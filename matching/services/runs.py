"""Scoring runs: start, shard, finish all or nothing, fail cleanly, keep the last three.

A run goes through these steps (``partnerships/tasks.py`` calls each from a Celery task; with no
broker the same code runs in-process):

1. ``start_run`` inserts the ``MatchRun`` (queued) with a copy of the profile's weights. The
   partial unique index ``one_run_in_progress`` refuses a second queued/running run, whatever
   the Python code does; the refusal surfaces as ``RunInProgress``.
2. ``prepare_run`` marks it running, loads every profile into arrays once, freezes them in
   ``RunInputs`` (so all shards score the same data, however long the run and whatever users
   edit meanwhile) and cuts the recipients into ``RunShard`` rows.
3. ``score_shard`` scores one shard's recipients against every donor and stores the block's
   result (its recipients' top K and each donor's best candidates among them) on the shard
   row. It locks that row, so a shard run twice (a redelivered message) stores one result and
   counts once towards progress.
4. ``finish_run`` merges the blocks (every donor's top K over all shards), then in ONE
   transaction writes the run's matches, deactivates the previous run and activates this one.
   Until that commit readers see the previous run only; if anything fails the transaction rolls
   back and the previous run stays served.
5. ``fail_run`` ends a run that raised, timed out or lost its worker. Each step touches the
   run's ``heartbeat_at`` (and a worker keeps touching it while a step works, ``heartbeats.keep_beating``);
   ``recover_lost_runs`` (beat, worker start, the next start) re-queues a running run silent
   for ``SCORING_STALE_BEATS`` beats, at most ``SCORING_MAX_RECOVERIES`` times, then fails it.
   Every step is safe to run again, so a re-queued run picks up where its worker died.
   ``fail_stale_runs`` ends a run still in progress past the run time limit.

Runs are sent to the workers through the outbox (``toolkit.outbox``): the run row and its
message commit together, and a run started while the broker is down stays queued until the
relay sends it. With no broker at all, the run's tasks run in a background thread of the process
that started it (``outbox.enqueue(background=True)``), beating its heartbeat like a worker.
"""

from __future__ import annotations

import functools
import logging
import math
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import ExpressionWrapper, F, IntegerField, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.models import City
from matching.scoring import (
    BlockResult,
    PreparedInputs,
    ScoringParams,
    merge_blocks,
    prepare,
    score_block,
)
from notifications.languages import Message, Text
from notifications.models import Kind
from notifications.services import notify
from toolkit.outbox import services as outbox

from ..inputs import existing_partnership_pairs
from ..models import Match, MatchRun, RunInputs, RunShard, ScoringProfile
from . import failures, partitions
from .arrays import ScoringInputs, freeze, load_inputs, thaw
from .bars import bars_of, store_run_bars
from .heartbeats import beat, stale_after
from .locks import hold_city_set
from .params import params_from_snapshot
from .retention import drop_old_runs
from .writing import explain, write_matches

logger = logging.getLogger(__name__)

# Progress: preparing takes the first 5 %, the shards up to 90 %, writing and activating the rest.
PROGRESS_PREPARED = 5
PROGRESS_SCORED = 90
ERROR_MAX_CHARS = 2_000


class RunInProgress(Exception):
    """Another run is queued or running; only one may be at a time."""

    def __init__(self, run: MatchRun | None = None):
        self.run = run
        if run is not None:
            message = _("A scoring run is already in progress (run %(run)s, %(status)s).") % {
                "run": run.pk,
                "status": run.get_status_display().lower(),
            }
        else:
            message = _("A scoring run is already in progress.")
        super().__init__(message)


def shard_recipients() -> int:
    """Recipients per shard: large enough to amortise loading, small enough to spread."""
    return max(1, int(getattr(settings, "SCORING_SHARD_RECIPIENTS", 2_500)))


def run_time_limit() -> timedelta:
    """How long a run may stay queued or running before the next start declares it dead."""
    seconds = getattr(settings, "SCORING_RUN_TIME_LIMIT", 2 * settings.CELERY_TASK_TIME_LIMIT)
    return timedelta(seconds=seconds)


def default_profile() -> ScoringProfile:
    profile = ScoringProfile.objects.filter(is_default=True).first()
    if profile is None:
        profile = ScoringProfile.objects.order_by("pk").first()
    if profile is None:
        profile = ScoringProfile.objects.create(name="Default", is_default=True)
    return profile


def _fails_the_run(step):
    """Whatever a step raises ends its run as failed (then propagates to Celery or the caller).

    The tasks' ``on_failure`` does the same, but Celery skips it for some errors (MemoryError),
    and a service called outside Celery must leave no run hanging either.
    """

    @functools.wraps(step)
    def wrapper(*, run_id: int, **kwargs):
        try:
            return step(run_id=run_id, **kwargs)
        except Exception as exc:
            fail_run(run_id=run_id, error=f"{type(exc).__name__}: {exc}", message=failures.raised())
            raise

    return wrapper


# --- 1. Start -----------------------------------------------------------------------------


def start_run(*, trigger: str, user=None, profile: ScoringProfile | None = None) -> MatchRun:
    """Queue a full scoring run; the Celery work is sent once the transaction commits.

    Raises ``RunInProgress`` when another run is queued or running (the database refuses the
    second one even when two requests race past the check below).
    """
    if trigger not in MatchRun.Trigger.values:
        raise ValueError(f"Unknown trigger {trigger!r}; use one of {MatchRun.Trigger.values}.")
    fail_stale_runs()
    recover_lost_runs()
    profile = profile or default_profile()
    current = run_in_progress()
    if current is not None:
        raise RunInProgress(current)
    try:
        with transaction.atomic():
            run = MatchRun.objects.create(
                status=MatchRun.Status.QUEUED,
                trigger=trigger,
                profile=profile,
                weights=profile.snapshot(),
                created_by=user if user is not None and user.is_authenticated else None,
            )
            _enqueue(run.pk)
    except IntegrityError as exc:
        # Another request created its run between the check above and this insert.
        raise RunInProgress(run_in_progress()) from exc
    return run


def run_in_progress() -> MatchRun | None:
    return MatchRun.objects.filter(status__in=MatchRun.IN_PROGRESS).first()


def _enqueue(run_id: int) -> None:
    """Ask a worker to run it, in the caller's transaction (sent once that commits).

    Without a broker the run goes to a thread of this process, so whoever started it (a page,
    the API, a command that follows it with a progress bar) gets an answer at once.
    """
    outbox.enqueue(task="matching.tasks.run_scoring", kwargs={"run_id": run_id}, background=True)


# --- 2. Prepare ---------------------------------------------------------------------------


@_fails_the_run
def prepare_run(*, run_id: int) -> list[int] | None:
    """Freeze the inputs and cut the shards; the shard indices to score, or None to stop.

    Safe to run twice (a redelivered message): the second call finds the shards already cut
    and returns the ones not yet done.
    """
    now = timezone.now()
    MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.QUEUED).update(
        status=MatchRun.Status.RUNNING, started_at=now
    )
    run = MatchRun.objects.filter(pk=run_id).first()
    if run is None or run.status != MatchRun.Status.RUNNING:
        return None
    beat(run_id=run_id)
    if RunInputs.objects.filter(run_id=run_id).exists():
        return _shards_to_score(run_id)

    inputs = load_inputs()
    arrays = inputs.arrays
    recipients = np.flatnonzero(arrays.is_recipient)
    per_shard = shard_recipients()
    count = math.ceil(len(recipients) / per_shard)
    shards = []
    for index in range(count):
        chunk = recipients[index * per_shard : (index + 1) * per_shard]
        shards.append(
            RunShard(
                run_id=run_id,
                index=index,
                first_row=int(chunk[0]),
                stop_row=int(chunk[-1]) + 1,
            )
        )
    donors = int(np.count_nonzero(arrays.is_donor))
    with transaction.atomic():
        # A re-queued run and its original message may prepare at once: one stores its cut.
        MatchRun.objects.select_for_update().filter(pk=run_id).first()
        if RunInputs.objects.filter(run_id=run_id).exists():
            return _shards_to_score(run_id)
        RunInputs.objects.create(run_id=run_id, data=freeze(inputs))
        RunShard.objects.bulk_create(shards)
        MatchRun.objects.filter(pk=run_id).update(
            cities=len(arrays.ids),
            # The plan; the shards report the pairs they really scored when the run ends.
            pairs_scored=donors * len(recipients),
            shards_total=count,
            shards_done=0,
            progress=PROGRESS_PREPARED,
            heartbeat_at=timezone.now(),
        )
    return list(range(count))


def _shards_to_score(run_id: int) -> list[int]:
    return list(
        RunShard.objects.filter(run_id=run_id, done=False)
        .order_by("index")
        .values_list("index", flat=True)
    )


# --- 3. Shards ----------------------------------------------------------------------------

# A worker process often scores several shards of one run, then its final step: it thaws the
# frozen inputs and prepares them for the engine once per run.
_thawed: tuple[tuple, ScoringInputs, PreparedInputs] | None = None


def run_inputs(run: MatchRun, params: ScoringParams) -> tuple[ScoringInputs, PreparedInputs]:
    """The run's frozen inputs and the engine's preparation of them (cached per process)."""
    global _thawed
    # The start time is part of the key: a test database reuses ids after a rollback.
    key = (run.pk, run.started_at)
    if _thawed is None or _thawed[0] != key:
        _thawed = None  # let the previous run's arrays go before loading these
        data = RunInputs.objects.values_list("data", flat=True).get(run_id=run.pk)
        inputs = thaw(_stored_bytes(data))
        _thawed = (key, inputs, prepare(inputs.arrays, params))
    return _thawed[1], _thawed[2]


def _stored_bytes(data: bytes | memoryview | None) -> bytes:
    """A BinaryField's value as the bytes its readers take: database drivers give bytes
    (returned as they are) or a memoryview (copied, as the readers did themselves)."""
    if data is None:
        raise TypeError("No stored bytes to read.")
    return bytes(data)


@_fails_the_run
def score_shard(*, run_id: int, index: int) -> bool:
    """Score one shard and store its block; False when the run is no longer running.

    Idempotent: the shard row is locked while its result is replaced, and progress counts a
    shard only the first time it is done.
    """
    run = MatchRun.objects.filter(pk=run_id).only("status", "weights", "started_at").first()
    if run is None or run.status != MatchRun.Status.RUNNING:
        return False
    beat(run_id=run_id)
    shard = RunShard.objects.get(run_id=run_id, index=index)
    params = params_from_snapshot(run.weights)
    inputs, prepared = run_inputs(run, params)
    rows = np.arange(shard.first_row, shard.stop_row)
    rows = rows[inputs.arrays.is_recipient[rows]]
    block = score_block(inputs.arrays, rows, params, prepared=prepared)
    data = block.to_bytes()
    with transaction.atomic():
        shard = RunShard.objects.select_for_update().get(pk=shard.pk)
        first_time = not shard.done
        shard.result = data
        shard.done = True
        shard.finished_at = timezone.now()
        shard.save(update_fields=["result", "done", "finished_at"])
        if first_time:
            span = PROGRESS_SCORED - PROGRESS_PREPARED
            # One UPDATE reads the old shards_done for both columns, so concurrent shards
            # never lose a count or move progress backwards.
            MatchRun.objects.filter(pk=run_id).update(
                heartbeat_at=timezone.now(),
                shards_done=F("shards_done") + 1,
                progress=ExpressionWrapper(
                    PROGRESS_PREPARED + (F("shards_done") + 1) * span / F("shards_total"),
                    output_field=IntegerField(),
                ),
            )
    return True


# --- 4. Finish ----------------------------------------------------------------------------


@_fails_the_run
def finish_run(*, run_id: int) -> MatchRun | None:
    """Merge the shards, write the matches and activate the run, all in one transaction."""
    run = MatchRun.objects.filter(pk=run_id).first()
    if run is None or run.status != MatchRun.Status.RUNNING:
        return run
    beat(run_id=run_id)
    missing = list(
        RunShard.objects.filter(run_id=run_id, done=False).values_list("index", flat=True)
    )
    if missing:
        raise RuntimeError(f"Shards {missing} of run {run_id} have no result.")
    params = params_from_snapshot(run.weights)
    inputs, prepared = run_inputs(run, params)
    blocks = [
        BlockResult.from_bytes(_stored_bytes(data))
        for data in RunShard.objects.filter(run_id=run_id)
        .order_by("index")
        .values_list("result", flat=True)
    ]
    pairs_scored = sum(int(block.pairs_scored) for block in blocks)
    matches = merge_blocks(inputs.arrays, blocks, params, prepared=prepared)
    del blocks
    explained = explain(inputs, matches, partnerships=existing_partnership_pairs())
    bars = bars_of(matches, inputs.ids, params.top_k)
    del matches
    # The ids of the rows, reserved before the run's transaction (partitions.reserve_ids).
    is_partitioned = partitions.partitioned()
    first_id = partitions.reserve_ids(len(explained)) if is_partitioned and len(explained) else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Do not wait for this big transaction's WAL to reach the disk: a crash right
            # after the commit can only lose the whole transaction (PostgreSQL never applies
            # half of one), which leaves the previous run active and this one to rerun.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        run = MatchRun.objects.select_for_update().get(pk=run_id)
        if run.status != MatchRun.Status.RUNNING:
            return run
        # A retried finish replaces what an interrupted one may have left.
        Match.objects.filter(run_id=run_id).delete()
        # Match keys have no database constraint (see the model): leave out cities deleted
        # since the inputs were frozen.
        deleted = set(inputs.ids.tolist()) - set(City.objects.values_list("pk", flat=True))
        rows = explained.without_cities(deleted)
        if is_partitioned:
            # Load a bare table, index it, attach it as this run's partition (partitions.py).
            table = partitions.create_run_table(run_id)
            stored = write_matches(rows, run_id=run_id, table=table, first_id=first_id)
            partitions.index_run_table(run_id)
            hold_city_set()
            partitions.attach_run_table(run_id)
        else:
            stored = write_matches(rows, run_id=run_id)
            hold_city_set()
        # Cities deleted while the rows were written: with the lock held no other goes until
        # this run is active, and a deletion that comes later removes its rows from it.
        stored -= _drop_cities_gone(run_id, inputs.ids.tolist(), already=deleted)
        MatchRun.objects.filter(is_active=True).exclude(pk=run_id).update(is_active=False)
        run.status = MatchRun.Status.SUCCEEDED
        run.is_active = True
        run.progress = 100
        run.matches_stored = stored
        run.pairs_scored = pairs_scored
        run.finished_at = timezone.now()
        run.error = ""
        run.error_message = {}
        run.save(
            update_fields=[
                "status",
                "is_active",
                "progress",
                "matches_stored",
                "finished_at",
                "error",
                "error_message",
            ]
        )
        _drop_staging(run_id)
        _tell_starter(
            run,
            Kind.RUN_FINISHED,
            Text(gettext_lazy("Your scoring run %(run)s finished"), run=run_id),
        )
    drop_old_runs()
    frozen_at = run.started_at
    store_run_bars(run_id, bars)
    transaction.on_commit(lambda: _rescore_changed_since(frozen_at), robust=True)
    return run


def _drop_cities_gone(run_id: int, city_ids: list[int], *, already: set[int]) -> int:
    """Delete the run's rows of cities deleted since ``already`` was read; how many went."""
    gone = set(city_ids) - already - set(City.objects.values_list("pk", flat=True))
    if not gone:
        return 0
    rows = Match.objects.filter(run_id=run_id).filter(
        Q(donor_id__in=gone) | Q(recipient_id__in=gone)
    )
    return rows.delete()[0]


def _rescore_changed_since(moment) -> None:
    """Profiles saved while the run scored its frozen copy get rescored in the new run."""
    from .rescoring import queue_rescoring

    if moment is None:
        return
    changed = list(City.objects.filter(updated_at__gte=moment).values_list("pk", flat=True))
    if changed:
        queue_rescoring(city_ids=changed)


def _drop_staging(run_id: int) -> None:
    RunShard.objects.filter(run_id=run_id).delete()
    RunInputs.objects.filter(run_id=run_id).delete()


# --- 5. Failures --------------------------------------------------------------------------


def fail_run(*, run_id: int, error: str, message: dict[str, Any] | None = None) -> bool:
    """End a queued or running run as failed; the previous active run stays served.

    ``error`` is the technical text (for administrators and the logs), ``message`` what
    happened (``failures``), shown in each reader's language; a step's exception by default.
    Returns False when the run had already ended (the first error is the one kept).
    """
    if message is None:
        message = failures.raised() if error else failures.failed()
    error = (error or "The run failed.")[:ERROR_MAX_CHARS]
    with transaction.atomic():
        updated = MatchRun.objects.filter(pk=run_id, status__in=MatchRun.IN_PROGRESS).update(
            status=MatchRun.Status.FAILED,
            finished_at=timezone.now(),
            error=error,
            error_message=message,
        )
        if updated:
            run = MatchRun.objects.only("id", "created_by").get(pk=run_id)
            _tell_starter(
                run,
                Kind.RUN_FAILED,
                Text(gettext_lazy("Your scoring run %(run)s failed"), run=run_id),
                body=failures.failure_text(message, error),
            )
            _drop_staging(run_id)
            # A run only writes matches in the transaction that activates it; this clears
            # anything a killed finish could not roll back (there is none on PostgreSQL).
            Match.objects.filter(run_id=run_id).delete()
    if updated:
        logger.warning("Scoring run %s failed: %s", run_id, error)
    return bool(updated)


def _tell_starter(run: MatchRun, kind: str, title: Text, body: Message = "") -> None:
    """The user who started the run learns how it ended (scheduled runs have no one)."""
    if run.created_by_id is None:
        return
    notify(
        recipients=[run.created_by],
        kind=kind,
        target=run,
        title=title,
        body=body,
        url=reverse("run-detail", kwargs={"pk": run.pk}),
    )


def fail_stale_runs() -> int:
    """Fail runs queued or running for longer than the time limit (their worker is gone)."""
    deadline = timezone.now() - run_time_limit()
    stale = list(
        MatchRun.objects.filter(
            status__in=MatchRun.IN_PROGRESS, created_at__lt=deadline
        ).values_list("pk", flat=True)
    )
    limit_min = round(run_time_limit().total_seconds() / 60)
    for run_id in stale:
        fail_run(
            run_id=run_id,
            error=f"No result within {limit_min} minutes: the worker was lost or killed.",
            message=failures.timed_out(limit_min),
        )
    return len(stale)


# --- 6. Lost workers ----------------------------------------------------------------------


def recover_lost_runs() -> list[int]:
    """Re-queue each running run whose heartbeat stopped; fail it after too many tries.

    A run's steps are all safe to run again (``prepare_run`` returns the shards still to
    score, a shard replaces its own result, ``finish_run`` checks the run is still running), so
    sending ``run_scoring`` again resumes it where its worker died. Past
    ``SCORING_MAX_RECOVERIES`` the run fails and the previous run stays active. Returns the ids
    of the runs re-queued or failed.
    """
    limit = timezone.now() - stale_after()
    silent = Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit)
    lost = MatchRun.objects.filter(silent, status=MatchRun.Status.RUNNING)
    max_recoveries = int(getattr(settings, "SCORING_MAX_RECOVERIES", 2))
    handled = []
    for run_id in lost.values_list("pk", flat=True):
        with transaction.atomic():
            locked = lost.filter(pk=run_id)
            if connection.features.has_select_for_update_skip_locked:
                # A row someone holds belongs to a live transaction (an activation): not lost.
                locked = locked.select_for_update(skip_locked=True)
            run = locked.only("recoveries").first()
            if run is None:
                continue
            silence = round(stale_after().total_seconds())
            if run.recoveries >= max_recoveries:
                fail_run(
                    run_id=run_id,
                    error=(
                        f"The worker was lost {run.recoveries + 1} times (no heartbeat for "
                        f"{silence} s); the previous run stays active."
                    ),
                    message=failures.worker_lost(run.recoveries + 1, silence),
                )
            else:
                # A fresh heartbeat gives the re-sent run a full period to start.
                MatchRun.objects.filter(pk=run_id).update(
                    recoveries=F("recoveries") + 1, heartbeat_at=timezone.now()
                )
                _enqueue(run_id)
                logger.warning(
                    "Scoring run %s had no heartbeat for %s s: re-queued (recovery %d of %d).",
                    run_id,
                    silence,
                    run.recoveries + 1,
                    max_recoveries,
                )
        handled.append(run_id)
    return handled
