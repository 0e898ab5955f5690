"""Celery signal handlers of the outbox."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def relay_at_worker_start(**kwargs) -> None:
    from .services import relay

    try:
        sent = relay()
    except Exception:  # the worker must start even when the database is away for a moment
        logger.exception("The outbox relay failed at worker start.")
        return
    if sent:
        logger.info("Sent %d pending task(s) from the outbox at worker start.", sent)
