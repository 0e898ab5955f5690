"""The Celery app. Without CELERY_BROKER_URL, tasks run in-process (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymatch.settings")

app = Celery("citymatch")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_configure.connect
def _in_memory_without_a_broker(sender: Celery, **kwargs) -> None:
    """Tasks that run in-process still open a producer: without a broker, give it kombu's
    in-memory transport rather than a default one that looks for a broker on localhost (and
    warns "No hostname was supplied")."""
    if not sender.conf.broker_url:
        sender.conf.broker_url = "memory://localhost/"


app.autodiscover_tasks()
