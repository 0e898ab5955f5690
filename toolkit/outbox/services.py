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
outside the caller's transaction, as a direct ``delay()`` would. A message enqueued with
``background=True`` (a long task that a person must not wait for, such as a scoring run) runs
instead in a thread of this process, with its own database connection, so the request that
asked for it answers at once; ``OUTBOX_IN_BACKGROUND = False`` runs it in the caller's thread
too. ``wait_for_background()`` lets a command wait for those threads before it exits.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from .models import Message

logger = logging.getLogger(__name__)

RELAY_BATCH = 100
ERROR_MAX_CHARS = 1_000


def enqueue(
    *, task: str, kwargs: dict[str, Any] | None = None, background: bool = False
) -> Message:
    """Record ``task(**kwargs)`` in the current transaction; send it once that commits.

    ``background``: without a broker, run the task in a thread of this process rather than in
    the caller's (with a broker, the worker runs it anyway).
    """
    message = Message.objects.create(task=task, kwargs=kwargs or {})
    message_id = message.pk
    if background:
        transaction.on_commit(lambda: send_in_background(ids=[message_id]), robust=True)
    else:
        transaction.on_commit(lambda: send_pending(ids=[message_id]), robust=True)
    return message


_background = threading.local()
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def in_background() -> bool:
    """Whether the current thread is one that runs an outbox task in the background."""
    return bool(getattr(_background, "active", False))


def send_in_background(*, ids: list[int]) -> threading.Thread | None:
    """Send these messages now; without a broker, run their tasks in a new thread.

    The thread claims the messages as ``send_pending`` does (so a relay never runs them a
    second time) and closes its database connections when done. It is a daemon: a server
    stopped mid-task leaves the task's own recovery to pick it up (a scoring run's heartbeat).
    Returns the thread, or None when the messages were sent in this thread.
    """
    if not current_app.conf.task_always_eager or not getattr(
        settings, "OUTBOX_IN_BACKGROUND", True
    ):
        send_pending(ids=ids)
        return None

    def work() -> None:
        _background.active = True
        try:
            send_pending(ids=ids)
        except Exception:
            logger.exception("Outbox messages %s failed in the background.", ids)
        finally:
            connections.close_all()  # this thread's own connections
            with _threads_lock:
                _threads.discard(thread)

    thread = threading.Thread(target=work, name=f"outbox-{'-'.join(map(str, ids))}", daemon=True)
    with _threads_lock:
        _threads.add(thread)
    thread.start()
    return thread


def wait_for_background(timeout: float | None = None) -> bool:
    """Wait until the tasks running in the background have ended; False on a timeout."""
    with _threads_lock:
        running = list(_threads)
    for thread in running:
        thread.join(timeout)
    return not any(thread.is_alive() for thread in running)


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
