"""How long a run's rows are kept: the newest ``KEEP_RUNS`` runs, the active one, one in
progress, and the one an activation just replaced while readers may still be on it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Match, MatchRun, RunInputs, RunShard
from . import partitions

KEEP_RUNS = 3


def replaced_run_grace() -> timedelta:
    """How long the run an activation replaced stays readable: requests that read the active
    run just before the switch finish their pages from it (``MatchFilterSet``)."""
    return timedelta(seconds=getattr(settings, "SCORING_REPLACED_RUN_GRACE", 120))


def just_replaced() -> list[int]:
    """The run the active one replaced, while the switch is more recent than the grace."""
    active = MatchRun.objects.filter(is_active=True).only("finished_at").first()
    if active is None or active.finished_at is None:
        return []
    if active.finished_at < timezone.now() - replaced_run_grace():
        return []
    previous = (
        MatchRun.objects.filter(
            status=MatchRun.Status.SUCCEEDED, finished_at__lte=active.finished_at
        )
        .exclude(pk=active.pk)
        .order_by("-finished_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return [previous] if previous is not None else []


def drop_old_runs(*, keep: int = KEEP_RUNS) -> int:
    """Delete all but the ``keep`` newest runs (never the active one, never one in progress,
    never the one just replaced while readers may still be on it: ``just_replaced``).

    On PostgreSQL their partitions are dropped (instant); elsewhere, and for rows in the
    DEFAULT partition, one DELETE per table (``Match`` has nothing that cascades from it).
    """
    newest = list(
        MatchRun.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[:keep]
    )
    old = (
        MatchRun.objects.exclude(pk__in=[*newest, *just_replaced()])
        .exclude(is_active=True)
        .exclude(status__in=MatchRun.IN_PROGRESS)
    )
    old_ids = list(old.values_list("pk", flat=True))
    strays: list[int] = []
    is_partitioned = partitions.partitioned()
    if is_partitioned:
        # Partitions of runs deleted some other way (the admin, a flushed test database).
        existing = set(MatchRun.objects.values_list("pk", flat=True))
        strays = [pk for pk in partitions.run_partitions() if pk not in existing]
    if not old_ids and not strays:
        return 0
    with transaction.atomic():
        if is_partitioned:
            partitions.drop_run_partitions([*old_ids, *strays])
        Match.objects.filter(run_id__in=old_ids).delete()
        RunShard.objects.filter(run_id__in=old_ids).delete()
        RunInputs.objects.filter(run_id__in=old_ids).delete()
        MatchRun.objects.filter(pk__in=old_ids).delete()
    return len(old_ids)
