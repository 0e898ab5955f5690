"""Celery tasks of matching: thin wrappers that take ids and call ``matching.services``.

A run is a chord: ``run_scoring`` prepares it and fans out one ``score_shard`` per slice of
recipients (any worker on any machine may take them), then ``finish_run`` activates it. Every
task here is safe to run twice, so they acknowledge late and are redelivered when their worker
dies (``reject_on_worker_lost``). Failures end the run through three paths: ``on_failure`` (an
exception or a soft time limit, also in-process), the chord's error callback (a hard time limit
kills the process before ``on_failure`` can run) and ``recover_lost_runs`` (the whole worker
vanished: its run's heartbeat stopped; the run is re-queued, or failed after a few tries).

While a step of a run works on a worker, a thread beats the run's heartbeat (``steps_of``).
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

from celery import Task, chord, shared_task

from toolkit.outbox import services as outbox

from . import services

logger = logging.getLogger(__name__)


class RunTask(Task):
    """A task of a run: when it fails, the run fails with the error, and the old run stays."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        run_id = kwargs.get("run_id", args[0] if args else None)
        if run_id is not None:
            services.fail_run(run_id=run_id, error=f"{type(exc).__name__}: {exc}")


RUN_TASK = {"base": RunTask, "acks_late": True, "reject_on_worker_lost": True}


def steps_of(task: Task, run_id: int):
    """On a worker, or in the background thread that runs it without a broker, keep the run's
    heartbeat while the step works; in the caller's own thread, nothing."""
    if task.request.is_eager and not outbox.in_background():
        return nullcontext()
    return services.keep_beating(run_id=run_id)


@shared_task(
    name="matching.tasks.run_scoring",
    bind=True,
    time_limit=11 * 60,
    soft_time_limit=10 * 60,
    **RUN_TASK,
)
def run_scoring(self, run_id: int) -> None:
    with steps_of(self, run_id):
        shards = services.prepare_run(run_id=run_id)
    if shards is None:
        return  # the run ended (failed or finished) before this message was handled
    finish = finish_run.si(run_id).on_error(run_failed.s(run_id))
    if not shards:
        finish.delay()
        return
    chord([score_shard.si(run_id, index) for index in shards])(finish)


@shared_task(
    name="matching.tasks.score_shard",
    bind=True,
    time_limit=16 * 60,
    soft_time_limit=15 * 60,
    **RUN_TASK,
)
def score_shard(self, run_id: int, index: int) -> bool:
    with steps_of(self, run_id):
        return services.score_shard(run_id=run_id, index=index)


@shared_task(
    name="matching.tasks.finish_run",
    bind=True,
    time_limit=26 * 60,
    soft_time_limit=25 * 60,
    **RUN_TASK,
)
def finish_run(self, run_id: int) -> None:
    with steps_of(self, run_id):
        services.finish_run(run_id=run_id)


@shared_task(name="matching.tasks.run_failed")
def run_failed(request, exc, traceback, run_id: int) -> None:
    """Error callback of a run's chord: a shard or the final step failed or was killed."""
    services.fail_run(run_id=run_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(name="matching.tasks.recover_lost_runs", ignore_result=True)
def recover_lost_runs() -> list[int]:
    """Beat's check (every SCORING_HEARTBEAT_SECONDS, and at worker start) for lost runs."""
    return services.recover_lost_runs()


@shared_task(name="matching.tasks.start_scheduled_run")
def start_scheduled_run() -> int | None:
    """Celery beat's nightly run; does nothing while another run is in progress."""
    try:
        return services.start_run(trigger="schedule").pk
    except services.RunInProgress as exc:
        logger.info("Nightly run skipped: %s", exc)
        return None


@shared_task(
    name="matching.tasks.rescore_cities",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=6 * 60,
    soft_time_limit=5 * 60,
)
def rescore_cities(city_ids: list[int]) -> int:
    return services.rescore_cities(city_ids=city_ids)
