"""Faults on real processes: Redis stopped and restarted, workers killed with ``kill -9``.

Each test owns a private ``redis-server`` (broker, result backend and cache) that it stops and
starts, and real Celery workers (with beat inside, as the compose file's beat service) that it
kills. The workers beat a run's heartbeat every second and take a run silent for three beats
for lost, so a lost worker is noticed in seconds (production: 15 s × 4).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from cities.models import City
from citymatch.celery import app as celery_app
from matching import services
from matching.models import Match, MatchRun
from tests.conftest import require_service
from tests.factories import UserFactory, population
from tests.matching.helpers import assert_same_matches, expected, stored
from toolkit.outbox.models import Message

from .conftest import kill_worker, start_worker, stop_worker, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REDIS_PORT = int(os.environ.get("TEST_FAULT_REDIS_PORT", "6391"))
RECOVERY_TIMEOUT_S = 120
HEARTBEAT = {
    "SCORING_HEARTBEAT_SECONDS": "1",
    "SCORING_STALE_BEATS": "3",
    "SCORING_MAX_RECOVERIES": "2",
    "OUTBOX_RELAY_SECONDS": "1",
}


class RedisServer:
    """A ``redis-server`` process of the test's own, on a fixed port so a restart keeps it."""

    def __init__(self, port: int, log: Path):
        self.port, self.log, self.process = port, log, None
        self.url = f"redis://127.0.0.1:{port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
                + ["--save", "", "--appendonly", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: self._answers(client), timeout=10, what="redis-server", log=self.log)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False


def _use_broker(url: str | None) -> None:
    """Point this process's Celery app at ``url`` (None: back to the configured broker)."""
    if url is None:
        os.environ.pop("CELERY_BROKER_URL", None)
        if settings.CELERY_BROKER_URL:
            os.environ["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
    else:
        os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf.broker_url = url or settings.CELERY_BROKER_URL
    # Forget (not close) the pools: kombu keeps one per broker URL and hands the same back.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory):
    """A private Redis and the settings a worker on it needs; this process sends to it."""
    require_service(settings.USING_POSTGRES, "PostgreSQL (DATABASE_URL)")
    require_service(bool(settings.CELERY_BROKER_URL), "A Celery broker (CELERY_BROKER_URL)")
    require_service(bool(shutil.which("redis-server")), "redis-server (for the fault tests)")
    folder = tmp_path_factory.mktemp("faults")
    server = RedisServer(REDIS_PORT, folder / "redis.log")
    server.start()
    queue = f"citymatch-faults-{uuid.uuid4().hex[:8]}"
    previous = (celery_app.conf.task_default_queue, celery_app.conf.task_always_eager)
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    _use_broker(f"{server.url}/0")
    try:
        yield {
            "redis": server,
            "queue": queue,
            "folder": folder,
            "env": {
                **HEARTBEAT,
                "CELERY_BROKER_URL": f"{server.url}/0",
                "CELERY_RESULT_BACKEND": f"{server.url}/0",
                "REDIS_URL": f"{server.url}/1",
            },
        }
    finally:
        _use_broker(None)
        celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = previous
        server.stop()


@pytest.fixture
def workers(stack):
    """Start workers (``start(**env)``); every one still running is stopped at the end."""
    started: list[subprocess.Popen] = []
    log = stack["folder"] / f"worker-{uuid.uuid4().hex[:6]}.log"

    def start(**extra: str) -> subprocess.Popen:
        process = start_worker(
            queue=stack["queue"],
            log_path=log,
            env={**stack["env"], **extra},
            beat=stack["folder"] / f"beat-{uuid.uuid4().hex[:6]}",
        )
        started.append(process)
        return process

    start.log = log  # type: ignore[attr-defined]
    yield start
    for process in started:
        stop_worker(process)
    if not stack["redis"].running:
        stack["redis"].start()  # a test that failed while it was stopped
    redis.Redis(port=REDIS_PORT).flushall()


@pytest.fixture
def private_cache(settings, stack):
    """This process's cache on the private Redis too (what a web server would use)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "toolkit.cache.FailOpenRedisCache",
            "LOCATION": f"{stack['redis'].url}/1",
        }
    }


def run_ended(run: MatchRun, log: Path, timeout: float = RECOVERY_TIMEOUT_S) -> MatchRun:
    def ended():
        run.refresh_from_db()
        return not run.in_progress

    wait_for(ended, timeout=timeout, what=f"run {run.pk} to end", log=log, poll=0.2)
    return run


def assert_completed_once(run: MatchRun) -> None:
    """Succeeded, active alone, its matches exactly the engine's, none twice."""
    assert run.status == MatchRun.Status.SUCCEEDED, run.error
    assert list(MatchRun.objects.filter(is_active=True)) == [run]
    rows = Match.objects.filter(run=run)
    assert rows.count() == run.matches_stored == len({(m.donor_id, m.recipient_id) for m in rows})
    assert_same_matches(stored(run), expected(run))
    assert run.shards_done == run.shards_total


def test_redis_down_pages_work_a_run_and_an_edit_wait_then_happen_once(
    stack, workers, private_cache
):
    population(30, seed=21)
    workers()
    log = workers.log
    first = run_ended(services.start_run(trigger="api"), log)
    assert first.status == MatchRun.Status.SUCCEEDED, first.error
    admin = UserFactory(is_staff=True, is_superuser=True)
    api = APIClient()
    api.force_authenticate(admin)
    pages = APIClient()
    pages.force_login(admin)
    city = City.objects.filter(role=City.Role.BOTH).order_by("pk").first()

    stack["redis"].stop()

    # Reads: every page and list answers; health names what is down.
    for url in ("/cities/", "/matches/", "/practices/", "/runs/"):
        assert pages.get(url).status_code == 200, url
    for url in ("/api/cities/", "/api/matches/", "/api/match-runs/", "/api/policy-areas/"):
        assert api.get(url).status_code == 200, url
    health = APIClient().get("/api/health/")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert set(health.json()["down"]) == {"cache", "broker"}

    # A run start answers 202 queued at once.
    started = time.monotonic()
    response = api.post("/api/match-runs/")
    assert time.monotonic() - started < 2
    assert response.status_code == 202 and response.json()["status"] == "queued"
    second = MatchRun.objects.get(pk=response.json()["id"])

    # A profile edit saves and answers 200 at once.
    started = time.monotonic()
    response = api.patch(f"/api/cities/{city.pk}/", {"population": 7_654_321}, format="json")
    assert time.monotonic() - started < 2
    assert response.status_code == 200, response.content
    assert City.objects.get(pk=city.pk).population == 7_654_321
    waiting = list(Message.objects.filter(sent_at__isnull=True).values_list("task", flat=True))
    assert waiting == ["matching.tasks.run_scoring", "matching.tasks.rescore_cities"]

    stack["redis"].start()

    # The worker's beat relays both; the run completes once, with the edit scored.
    second = run_ended(second, log)
    assert_completed_once(second)
    wait_for(
        lambda: not Message.objects.filter(sent_at__isnull=True).exists(),
        timeout=30,
        what="the outbox to empty",
        log=log,
    )
    assert Message.objects.filter(attempts__gt=0).count() == Message.objects.count()
    assert MatchRun.objects.count() == 2
    # Give the rescoring the moment it needs after the relay, then the active run is exact.
    time.sleep(1)
    assert_same_matches(stored(second), expected(second))


@pytest.mark.parametrize(
    ("pause", "moment"),
    [("TEST_SHARD_PAUSE_S", "a shard"), ("TEST_FINISH_PAUSE_S", "the activation")],
)
def test_a_worker_killed_mid_run_leaves_the_run_completed_once_by_the_next_worker(
    stack, workers, pause, moment
):
    population(30, seed=22)
    log = workers.log
    healthy = workers()
    previous = run_ended(services.start_run(trigger="api"), log)
    assert previous.status == MatchRun.Status.SUCCEEDED, previous.error
    stop_worker(healthy)

    doomed = workers(**{pause: "30"})
    run = services.start_run(trigger="api")

    def inside():
        run.refresh_from_db()
        if pause == "TEST_SHARD_PAUSE_S":
            return run.status == MatchRun.Status.RUNNING and run.shards_total > 0
        return run.shards_total and run.shards_done == run.shards_total

    wait_for(inside, timeout=60, what=f"the run to reach {moment}", log=log)
    time.sleep(1.5)  # well inside the pause
    kill_worker(doomed)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.RUNNING
    assert MatchRun.objects.active() == previous  # served throughout

    started = time.monotonic()
    workers()
    run = run_ended(run, log)
    assert time.monotonic() - started < RECOVERY_TIMEOUT_S
    assert run.recoveries >= 1
    assert_completed_once(run)
    # And nothing blocks the next run.
    following = run_ended(services.start_run(trigger="api"), log, timeout=60)
    assert following.status == MatchRun.Status.SUCCEEDED, following.error
