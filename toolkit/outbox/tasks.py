"""The relay as a Celery task, run by beat every ``OUTBOX_RELAY_SECONDS``."""

from celery import shared_task

from . import services


@shared_task(name="outbox.relay", ignore_result=True)
def relay() -> int:
    return services.relay()
