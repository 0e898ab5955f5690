"""Reading the match list while runs activate, and deleting cities while a run finishes, on a
real worker, real Redis and real PostgreSQL (issue 17: atomic switch, consistent reads)."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection, transaction

from cities import services as city_services
from cities.models import City
from matching import services
from matching.models import Match, MatchRun
from tests.api_clients import token_client
from tests.factories import population

from .test_scoring_worker import RUN_TIMEOUT_S, follow

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

READER_QUERIES = (
    {"page_size": 25},
    {"page_size": 10, "ordering": "donor_rank"},
    {"page_size": 25, "page": 2, "min_score": 0},
)


class Reader(threading.Thread):
    """Reads one list page again and again until told to stop; keeps what each answer said."""

    def __init__(self, user, query: dict, stop: threading.Event):
        super().__init__(daemon=True)
        self.user, self.query, self.stop = user, query, stop
        self.pages: list[tuple[int, int, set]] = []  # status, count, runs on the page
        self.failures: list[str] = []

    def run(self) -> None:
        client = token_client(self.user)
        try:
            while not self.stop.is_set():
                response = client.get("/api/matches/", self.query)
                if response.status_code != 200:
                    self.failures.append(f"{response.status_code}: {response.content[:300]!r}")
                    continue
                body = response.json()
                runs = {row["run"] for row in body["results"]}
                self.pages.append((response.status_code, body["count"], runs))
        except Exception as exc:  # the test reports it
            self.failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()


def test_readers_never_see_an_empty_or_mixed_page_while_runs_activate(celery_worker):
    population(60, seed=11)
    first, _ = follow(services.start_run(trigger="api"), celery_worker["log"])
    assert first.status == MatchRun.Status.SUCCEEDED, first.error
    user = get_user_model().objects.create_user("reader")
    stop = threading.Event()
    readers = [Reader(user, query, stop) for query in READER_QUERIES]
    for reader in readers:
        reader.start()
    runs = [first]
    try:
        # Four switches: the first run falls out of "keep three" while pages are being read.
        for _ in range(4):
            run, _ = follow(services.start_run(trigger="api"), celery_worker["log"])
            assert run.status == MatchRun.Status.SUCCEEDED, run.error
            runs.append(run)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    close_old_connections()

    stored = {run.pk: run.matches_stored for run in runs}
    for reader in readers:
        assert reader.failures == [], reader.failures[:3]
        assert len(reader.pages) > 10
        for _, count, page_runs in reader.pages:
            # Never empty, never rows of two runs, and the count of the page's own run.
            assert len(page_runs) == 1, page_runs
            (run_id,) = page_runs
            assert count == stored[run_id]
        seen_runs = {run_id for *_, page_runs in reader.pages for run_id in page_runs}
        assert len(seen_runs) >= 2, "the readers read across no switch"
    assert MatchRun.objects.active() == runs[-1]
    assert not MatchRun.objects.filter(pk=first.pk).exists()


def _advisory_lock_waited_on() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


def test_cities_deleted_while_a_run_finishes_leave_no_orphans(celery_worker):
    cities = population(80, seed=12)
    both = [city for city in cities if city.role == City.Role.BOTH]
    held, looped = both[:2], both[2:12]
    gone = [city.pk for city in (*held, *looped)]  # Django clears a deleted city's pk
    holding = threading.Event()
    outcome: list[str] = []

    def delete_across_the_activation() -> None:
        """Deletes a city in a transaction kept open until the run's activation waits for it,
        then another one, then commits."""
        try:
            with transaction.atomic():
                city_services.delete_city(city=held[0])
                holding.set()
                deadline = time.monotonic() + RUN_TIMEOUT_S
                while not _advisory_lock_waited_on():
                    if time.monotonic() > deadline:
                        raise TimeoutError("the activation never waited for the deletion")
                    time.sleep(0.05)
                city_services.delete_city(city=held[1])
            outcome.append("committed")
        except Exception as exc:
            outcome.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    holder = threading.Thread(target=delete_across_the_activation, daemon=True)
    holder.start()
    assert holding.wait(timeout=10)
    run = services.start_run(trigger="api")
    # Meanwhile other cities go one by one: before the inputs freeze, while shards score,
    # and (queued behind the activation's lock) right after it.
    for city in looped:
        city_services.delete_city(city=city)
        time.sleep(0.05)
    run, _ = follow(run, celery_worker["log"])
    holder.join(timeout=RUN_TIMEOUT_S)
    assert outcome == ["committed"]

    assert run.status == MatchRun.Status.SUCCEEDED, run.error
    assert not City.objects.filter(pk__in=gone).exists()
    existing = City.objects.values_list("pk", flat=True)
    rows = Match.objects.filter(run=run)
    # A deletion queued behind the activation removes its city's rows after the run counted.
    assert 0 < rows.count() <= run.matches_stored
    assert not rows.exclude(donor_id__in=existing).exists()
    assert not rows.exclude(recipient_id__in=existing).exists()

    client = token_client(get_user_model().objects.create_user("agency-reader"))
    for city_id in (*gone, 50_000):
        for side in ("donor", "recipient", "city"):
            response = client.get("/api/matches/", {side: city_id})
            assert response.status_code == 200, response.content[:300]
            assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client.get("/api/matches/").json()["count"] == rows.count()
