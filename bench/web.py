"""Server time of the web pages with 10,000 cities: prints figures, never a test.

Loads 10,000 cities and a full scoring run (the same loader as ``bench/api.py``) into a bench
database of its own, signs in as the editor of a busy recipient city, and requests every page
of the web UI through Django's WSGI handler (every middleware, the session, the templates; no
socket), several times each. Prints, per page, the SQL queries it ran and the median and p95
server time.

    .venv/bin/python bench/web.py
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_webbench .venv/bin/python bench/web.py

The database named in BENCH_DATABASE_URL (default ``cm_webbench``) is created if missing; its
cities and run are reused when they are already there (``--reload`` loads them again). Never
point it at a database whose data you want to keep. Target: every page's p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import api as api_bench  # noqa: E402  (the loader of bench/api.py)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cm_webbench"
TARGET_MS = 100


def best_match_of_busiest_recipient():
    """The top match of the recipient with the most matches in the active run."""
    from django.db.models import Count

    from matching.models import Match, MatchRun

    run = MatchRun.objects.get(is_active=True)
    busiest = (
        Match.objects.filter(run=run)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .order_by("-n", "recipient_id")
        .first()
    )
    return (
        Match.objects.select_related("run", "donor", "recipient")
        .filter(run=run, recipient_id=busiest["recipient_id"])
        .order_by("recipient_rank")
        .first()
    )


def pages(match) -> list[tuple[str, str]]:
    """The pages to time, for the editor of the match's recipient."""
    run, city, area = match.run, match.recipient, match.top_areas[0]["area"]
    return [
        ("My city", "/"),
        ("city list", "/cities/"),
        ("city list, filtered", f"/cities/?needs={area}&region={city.region}"),
        ("city list, page 200", "/cities/?page=200"),
        ("city page", f"/cities/{city.slug}/"),
        ("city edit", f"/cities/{city.slug}/edit/"),
        ("city map", f"/cities/{city.slug}/map/"),
        ("matches", "/matches/"),
        ("matches, by area", f"/matches/?policy_area={area}"),
        ("matches, recipient", f"/matches/?recipient={city.pk}&ordering=recipient_rank"),
        ("matches, page 100", "/matches/?page=100"),
        ("match page", match.get_absolute_url()),
        ("citizen brief", match.get_absolute_url() + "brief/"),
        ("runs", "/runs/"),
        ("run page", f"/runs/{run.pk}/"),
    ]


def signed_in_caller():
    """Call the WSGI application as a server would, with the session of the city's editor."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    user, _ = get_user_model().objects.get_or_create(username="web-bench")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    handler, factory = api_bench.server_application(), RequestFactory()

    def call(path: str) -> None:
        environ = factory.get(path, HTTP_COOKIE=cookie).environ
        environ["wsgi.input"] = io.BytesIO(b"")
        status = []
        body = b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"{path} answered {status[0]}: {body[:300]!r}")

    return call, user


def measure(rounds: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from matching.models import Match

    call, user = signed_in_caller()
    match = best_match_of_busiest_recipient()
    match.recipient.editors.add(user)
    listed = pages(match)
    stored = Match.objects.filter(run=match.run).count()
    print(f"editor of {match.recipient} ({stored:,} matches in the run)")
    queries = {}
    for name, path in listed:
        call(path)  # warm up
        with CaptureQueriesContext(connection) as captured:
            call(path)
        queries[name] = len(captured)
    timings: dict[str, list[float]] = {name: [] for name, _ in listed}
    cpu: dict[str, list[float]] = {name: [] for name, _ in listed}
    load_before = os.getloadavg()[0]
    for _ in range(rounds):
        for name, path in listed:
            started, started_cpu = time.perf_counter(), time.process_time()
            call(path)
            timings[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
    # The machine may be shared: the load says how far the wall-clock times can be trusted,
    # and the CPU time of this process (Python and templates, not the database) does not
    # depend on it.
    load = (load_before + os.getloadavg()[0]) / 2
    print(f"== {rounds} requests per page, pages in turn; load average {load:.1f} ==")
    print(f"{'page':22} {'queries':>8} {'median ms':>10} {'p95 ms':>10} {'CPU ms':>8}")
    worst = 0.0
    for name, _ in listed:
        p95 = api_bench.percentile(timings[name], 0.95)
        worst = max(worst, p95)
        median = statistics.median(timings[name])
        cpu_median = statistics.median(cpu[name])
        print(f"{name:22} {queries[name]:8d} {median:10.1f} {p95:10.1f} {cpu_median:8.1f}")
    verdict = "met" if worst < TARGET_MS else "NOT met"
    print(f"target (every page's p95 < {TARGET_MS} ms): {verdict} (worst p95 {worst:.1f} ms)")


def analyze() -> None:
    """Table statistics, as autovacuum gathers them soon after a load: without them PostgreSQL
    plans the match queries for a near-empty table (seconds instead of milliseconds)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure_concurrent(database_url: str) -> None:
    """gunicorn with 2 workers under wrk: the match browser and the city list, signed in."""
    import concurrency
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="web-bench")
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    paths = [("matches", "/matches/"), ("city list", "/cities/"), ("My city", "/")]
    with concurrency.gunicorn(database_url) as base:
        concurrency.run_table(base, paths, header=f"Cookie: {cookie}", targets={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=10_000, help="Cities to load (10,000).")
    parser.add_argument("--rounds", type=int, default=40, help="Requests per page (40).")
    parser.add_argument("--reload", action="store_true", help="Load cities and run again.")
    parser.add_argument("--concurrent", action="store_true", help="Also gunicorn under wrk.")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL"),
        help="Redis for the cache, as in production (default: local memory).",
    )
    args = parser.parse_args()
    api_bench.setup(args.database_url, args.redis_url)
    api_bench.load(args.cities, reload=args.reload)
    analyze()
    measure(args.rounds)
    if args.concurrent:
        measure_concurrent(args.database_url)


if __name__ == "__main__":
    main()
