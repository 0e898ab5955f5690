"""A Celery worker for the integration tests, started as its own process.

It is the project's worker (``citymatch.celery.app``) with test settings taken from the
environment: the queue it consumes and sends to (so a developer's own worker on the same Redis
never takes the tests' tasks, and chords fan out on that queue too), the shard size (so a
small population still makes several shards), optionally Celery beat inside the worker
(``TEST_CELERY_BEAT_SCHEDULE``, its schedule file) and pauses that hold a shard or the final
step long enough for a fault test to kill the worker in the middle of it
(``TEST_SHARD_PAUSE_S``, ``TEST_FINISH_PAUSE_S``), and a folder for the mail it sends
(``TEST_EMAIL_DIR``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymatch.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from citymatch.celery import app  # noqa: E402


def pause_before(module, name: str, seconds: float) -> None:
    """Make ``module.name`` sleep first: the window in which a test kills the worker."""
    real = getattr(module, name)

    def paused(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    setattr(module, name, paused)


def main() -> None:
    from matching.services import runs

    queue = os.environ["TEST_CELERY_QUEUE"]
    settings.SCORING_SHARD_RECIPIENTS = int(os.environ.get("TEST_SHARD_RECIPIENTS", "2500"))
    if mail_dir := os.environ.get("TEST_EMAIL_DIR"):
        # Mail the worker sends lands in files the tests read.
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = mail_dir
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    if shard_pause := float(os.environ.get("TEST_SHARD_PAUSE_S", "0")):
        pause_before(runs, "score_block", shard_pause)
    if finish_pause := float(os.environ.get("TEST_FINISH_PAUSE_S", "0")):
        # Inside the activation: the matches are being written when the worker dies.
        pause_before(runs, "write_matches", finish_pause)
    beat = os.environ.get("TEST_CELERY_BEAT_SCHEDULE")
    app.worker_main(
        [
            "worker",
            *(["--beat", "--schedule", beat] if beat else []),
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
