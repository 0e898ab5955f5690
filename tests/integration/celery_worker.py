"""A Celery worker for the integration tests, started as its own process.

It is the project's worker (``citymatch.celery.app``) with two test settings taken from the
environment: the queue it consumes and sends to (so a developer's own worker on the same Redis
never takes the tests' tasks, and chords fan out on that queue too), the shard size (so a
small population still makes several shards) and a folder for the mail it sends.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymatch.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from citymatch.celery import app  # noqa: E402


def main() -> None:
    queue = os.environ["TEST_CELERY_QUEUE"]
    settings.SCORING_SHARD_RECIPIENTS = int(os.environ.get("TEST_SHARD_RECIPIENTS", "2500"))
    if mail_dir := os.environ.get("TEST_EMAIL_DIR"):
        # Mail the worker sends lands in files the tests read.
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = mail_dir
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    app.worker_main(
        [
            "worker",
            "--queues",
            queue,
            "--hostname",
            os.environ["TEST_CELERY_HOSTNAME"],
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    main()
