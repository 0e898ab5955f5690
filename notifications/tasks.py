"""Thin tasks: ids in, a service call, safe to run twice."""

from __future__ import annotations

import smtplib

from celery import shared_task

from . import services

# Network trouble and temporary SMTP errors: try again later; the row stays unsent meanwhile.
RETRIED = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


@shared_task(
    autoretry_for=RETRIED,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
)
def send_notification_email(notification_id: int) -> str:
    return services.deliver(notification_id)


@shared_task(autoretry_for=RETRIED, retry_backoff=60, max_retries=5)
def send_user_digest(user_id: int) -> int:
    return services.send_digest(user_id)


@shared_task
def send_daily_digests() -> int:
    """Queue one digest per user who has something unsent; each is retried on its own."""
    user_ids = services.digest_recipients()
    for user_id in user_ids:
        send_user_digest.delay(user_id)
    return len(user_ids)
