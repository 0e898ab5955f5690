"""Send Celery tasks through a transactional outbox.

``enqueue(task=..., kwargs=...)`` writes a ``Message`` row in the caller's transaction, so the
request for work commits or rolls back with the change that asked for it: a profile edit and its
rescoring, a run row and its start. Once the transaction commits the message is sent at once,
with the broker's short connection timeout; if the broker is down the row stays pending and the
caller carries on (the edit is saved, the run answers ``queued``). ``relay()`` sends what is
pending: beat runs it every ``OUTBOX_RELAY_SECONDS``, every worker at start, and
``manage.py relay_outbox`` on demand.

Delivery is at least once: a relay that dies between the broker's acceptance and its own commit
sends that message again, so the tasks sent this way are safe to run twice. Two relays never
send one message at the same time (each locks what it sends, skipping rows another holds).

Without a broker (tasks run in-process) a message is marked sent, then its task runs at once,
outside the caller's transaction, as a direct ``delay()`` would.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Message

logger = logging.getLogger(__name__)

RELAY_BATCH = 100
ERROR_MAX_CHARS = 1_000


def enqueue(*, task: str, kwargs: dict[str, Any] | None = None) -> Message:
    """Record ``task(**kwargs)`` in the current transaction; send it once that commits."""
    message = Message.objects.create(task=task, kwargs=kwargs or {})
    message_id = message.pk
    transaction.on_commit(lambda: send_pending(ids=[message_id]), robust=True)
    return message


def relay() -> int:
    """Send every pending message, oldest first; the number sent. Stops at the first broker
    error (the next relay tries again). Also forgets messages sent long ago."""
    prune()
    sent = 0
    while True:
        done, stopped = _send_batch(Message.objects.filter(sent_at__isnull=True))
        sent += done
        if stopped or not done:
            return sent


def prune() -> int:
    """Delete the messages sent more than ``OUTBOX_KEEP_DAYS`` ago; the number deleted."""
    days = getattr(settings, "OUTBOX_KEEP_DAYS", 7)
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Message.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


def send_pending(*, ids: list[int]) -> int:
    """Send these messages if still pending and not being sent by a relay; the number sent."""
    done, _ = _send_batch(Message.objects.filter(pk__in=ids, sent_at__isnull=True))
    return done


def _send_batch(pending) -> tuple[int, bool]:
    """(messages sent, whether the broker refused one)."""
    if current_app.conf.task_always_eager:
        return _run_in_process(pending), False
    sent = 0
    with transaction.atomic():
        for message in _lock(pending):
            try:
                _publish(message)
            except Exception as exc:  # kombu raises the transport's own errors
                _record_failure(message, exc)
                return sent, True
            message.sent_at = timezone.now()
            message.attempts += 1
            message.last_error = ""
            message.save(update_fields=["sent_at", "attempts", "last_error"])
            sent += 1
    return sent, False


def _lock(pending):
    """The oldest pending messages no other relay holds, locked until the transaction ends."""
    return pending.order_by("id").select_for_update(skip_locked=True)[:RELAY_BATCH]


def _task(name: str):
    """The registered task; the apps' ``tasks`` modules load on first need (a web process
    imports them only when something asks, a worker at start)."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def _publish(message: Message) -> None:
    task = _task(message.task)
    # No retries (the relay is the retry) and no result subscription (nobody waits on these
    # results, and subscribing would wait on a result backend that is down too).
    task.apply_async(kwargs=message.kwargs, retry=False, ignore_result=True)


def _record_failure(message: Message, exc: BaseException) -> None:
    error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]
    # Its own statement, committed with the batch's transaction: the lock is ours.
    Message.objects.filter(pk=message.pk).update(attempts=message.attempts + 1, last_error=error)
    logger.warning(
        "Could not send task %s (outbox message %s; the relay retries): %s",
        message.task,
        message.pk,
        error,
    )


def _run_in_process(pending) -> int:
    """No broker: claim each message (so it runs once), then run its task here and now."""
    prune()  # no beat runs the relay here
    with transaction.atomic():
        claimed = list(_lock(pending))
        Message.objects.filter(pk__in=[m.pk for m in claimed]).update(
            sent_at=timezone.now(), attempts=1
        )
    for message in claimed:
        try:
            _task(message.task).apply_async(kwargs=message.kwargs)
        except Exception as exc:
            # The task ran and failed (its own failure handling has run); the others still run.
            error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]
            Message.objects.filter(pk=message.pk).update(last_error=error)
            logger.exception("Task %s (outbox message %s) failed.", message.task, message.pk)
    return len(claimed)
