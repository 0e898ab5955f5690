"""Scheduled work of cooperation (thin: a service call, safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from .services.reminders import remind_reviews as remind_reviews_service


@shared_task
def remind_reviews() -> int:
    return remind_reviews_service()
