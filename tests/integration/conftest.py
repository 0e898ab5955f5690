"""A real Celery worker against the real PostgreSQL and Redis, for ``integration`` tests.

The worker runs as a separate process (as in production) on the pytest-django test database
(its name is handed over in ``DATABASE_URL``), so the tests use ``transactional_db``: the
worker only sees committed rows. It consumes a queue of its own and is always stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from citymatch.celery import app as celery_app
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
WORKER_SCRIPT = Path(__file__).with_name("celery_worker.py")
STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
SHARD_RECIPIENTS = 7


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """Start the worker process; yield its queue and log file; stop it whatever happens."""
    require_service(settings.USING_POSTGRES, "PostgreSQL (DATABASE_URL)")
    require_service(bool(settings.CELERY_BROKER_URL), "A Celery broker (CELERY_BROKER_URL)")
    queue = f"citymatch-test-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    previous = (celery_app.conf.task_default_queue, celery_app.conf.task_always_eager)
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    mail_dir = tmp_path_factory.mktemp("mail")
    process = start_worker(queue=queue, log_path=log_path, env={"TEST_EMAIL_DIR": str(mail_dir)})
    try:
        yield {"queue": queue, "log": log_path, "mail": mail_dir}
    finally:
        stop_worker(process)
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
        celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = previous


def start_worker(
    *, queue: str, log_path: Path, env: dict[str, str] | None = None, beat: Path | None = None
) -> subprocess.Popen:
    """A worker process on the test database, consuming ``queue``, answering pings when this
    returns. ``env`` adds settings (the broker, heartbeat periods); ``beat`` runs Celery beat
    inside it, with that schedule file."""
    hostname = f"{queue}-{uuid.uuid4().hex[:4]}@localhost"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "TEST_CELERY_QUEUE": queue,
        "TEST_CELERY_HOSTNAME": hostname,
        "TEST_SHARD_RECIPIENTS": str(SHARD_RECIPIENTS),
        **({"TEST_CELERY_BEAT_SCHEDULE": str(beat)} if beat else {}),
        **(env or {}),
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_ready(process, hostname, log_path)
    except BaseException:
        stop_worker(process)
        raise
    return process


def kill_worker(process: subprocess.Popen) -> None:
    """``kill -9`` of the worker and its pool processes at once: a machine lost mid-task."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


def _wait_until_ready(process: subprocess.Popen, hostname: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The Celery worker exited at start:\n{log_path.read_text()[-3000:]}")
        if celery_app.control.ping(destination=[hostname], timeout=1.0):
            return
    pytest.fail(
        f"The Celery worker did not answer within {STARTUP_TIMEOUT_S} s:\n"
        f"{log_path.read_text()[-3000:]}"
    )


def stop_worker(process: subprocess.Popen) -> None:
    """Warm shutdown, then kill the whole process group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)


def wait_for(predicate, *, timeout: float, what: str, log: Path | None = None, poll: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; fail with the worker's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    tail = log.read_text()[-3000:] if log else ""
    pytest.fail(f"Timed out after {timeout} s waiting for {what}.\n{tail}")
