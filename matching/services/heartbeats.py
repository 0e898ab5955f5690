"""Heartbeats of a scoring run: each step records that a worker is alive on the run, and a
thread keeps beating while a long step works, so that a run whose worker died is seen as lost
(``runs.recover_lost_runs``) after ``SCORING_STALE_BEATS`` silent beats."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..models import MatchRun

logger = logging.getLogger(__name__)


def heartbeat_interval() -> float:
    """Seconds between two heartbeats of a working step."""
    return max(0.1, float(getattr(settings, "SCORING_HEARTBEAT_SECONDS", 15)))


def stale_after() -> timedelta:
    """How long a running run may stay silent before it is taken for lost."""
    beats = max(2, int(getattr(settings, "SCORING_STALE_BEATS", 4)))
    return timedelta(seconds=beats * heartbeat_interval())


def beat(*, run_id: int) -> bool:
    """Record that a worker is working on this run; False when the run is not running.

    Never waits: while the activation transaction holds the run's row, the run is plainly
    alive and this beat is skipped (on SQLite, which has no row locks, it simply updates).
    """
    with transaction.atomic():
        running = MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.RUNNING)
        if connection.features.has_select_for_update_skip_locked:
            running = running.select_for_update(skip_locked=True)
        if not running.values_list("pk", flat=True).first():
            return False
        MatchRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())
    return True


@contextmanager
def keep_beating(*, run_id: int) -> Iterator[None]:
    """Beat every ``SCORING_HEARTBEAT_SECONDS`` from a thread while the block runs.

    A shard or the final step may work for minutes without touching the run; this keeps a
    long but live step from being taken for lost. The thread dies with its process, which is
    the point: a killed worker stops beating.
    """
    stop = threading.Event()

    def beating() -> None:
        try:
            while not stop.wait(heartbeat_interval()):
                try:
                    beat(run_id=run_id)
                except Exception:  # a missed beat is not worth failing the step for
                    logger.warning("Heartbeat of run %s failed.", run_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beating, name=f"run-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
