"""API latency of every list agencies use: prints figures, never a test.

Loads 10,000 cities (real GeoNames cities with synthetic cooperation profiles, ``cities.demo``)
and a full scoring run into a bench database of its own, then measures, through Django's WSGI
handler (every middleware, authentication, throttling, filters, pagination, serialisation and
JSON rendering; no socket):

1. the narrow page (one recipient, one policy area, 25 per page) against a bare query: the
   same page and its total read by one hand-written SQL query on the same connection, turned
   into the same JSON with ``json.dumps``. Target: API p95 ≤ 15 ms and ≤ 2× the bare p95.
2. the table of issue 12: each filter and ordering of ``/api/matches/`` (and a city's matches
   scored on the fly), ``/api/cities/``, ``/api/best-practices/``, ``/api/partnerships/``,
   median and p95. Target: every p95 ≤ 50 ms.
3. with ``--concurrent``: gunicorn with 2 sync workers (``bench/concurrency.py``) under
   ``wrk -t2 -c8`` for 10 s, the narrow and the broad query (``/api/matches/?page_size=25``):
   requests/s, p50/p99, non-2xx answers, timeouts. Target: ≥ 300 and ≥ 100 requests/s.
   ``wrk`` is the Debian package: ``apt-get install wrk``.

Each list page is measured twice: as readers get it (after its first reader, a page of a
run's match list comes from the list cache, ``toolkit/api/listcache.py``) and built (a URL no
one asked for before, ``fresh()``: the page is read from the database and serialised).

    .venv/bin/python bench/api.py --concurrent
    .venv/bin/python bench/api.py --cities 34000 \
        --database-url postgres://postgres@127.0.0.1:5432/cm_apibench34
    BENCH_REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/api.py --concurrent

The database named in BENCH_DATABASE_URL or ``--database-url`` (default ``cm_apibench``) is
created if missing; its cities and run are reused when they are already there (``--reload``
loads them again); use a database of its own for each ``--cities``. Never point it at a
database whose data you want to keep. The cache is the Redis of ``--redis-url`` (or
BENCH_REDIS_URL; keys prefixed ``bench``), as in production, else local memory.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cm_apibench"
PAGE_SIZE = 25

BARE_SQL = """
SELECT m.id, m.run_id, m.score, m.need_fit, m.evidence, m.reciprocity, m.size, m.industry,
       m.capacity, m.budget, m.language, m.donor_rank, m.recipient_rank, m.top_areas,
       m.practices, m.gives_back, m.existing_partnership,
       d.id, d.name, d.slug, d.country, d.population,
       r.id, r.name, r.slug, r.country, r.population,
       count(*) OVER () AS total
FROM matching_match m
JOIN cities_city d ON d.id = m.donor_id
JOIN cities_city r ON r.id = m.recipient_id
WHERE m.run_id = %s AND m.recipient_id = %s AND m.top_area_codes LIKE %s
ORDER BY m.score DESC, m.recipient_id, m.donor_id
LIMIT %s
"""
COMPONENTS = (
    "need_fit", "evidence", "reciprocity", "size", "industry", "capacity", "budget", "language"
)  # fmt: skip


def ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlparse(url)
    admin = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        name = parts.path.lstrip("/")
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def setup(url: str, redis_url: str | None = None) -> None:
    """Point Django at the bench database with tasks in-process, then migrate it. The cache is
    ``redis_url`` (as in production) or, without it, local memory."""
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["OUTBOX_IN_BACKGROUND"] = "false"  # a run started here ends before it returns
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
        os.environ["CACHE_KEY_PREFIX"] = "bench"
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ["DEBUG"] = "false"  # no query log: measure what production runs
    # A server with DEBUG off refuses the development key; the gunicorn of ``--concurrent``
    # takes this one too (bench/web.py's session cookies are checked against it).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymatch.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def load(cities: int, *, reload: bool) -> None:
    """10,000 cities and a full, active run (kept from an earlier bench unless ``reload``)."""
    from cities.demo import curated_rows, load_demo
    from cities.models import City
    from matching import services
    from matching.models import Match, MatchRun

    active = MatchRun.objects.filter(is_active=True).first()
    if not reload and active is not None and City.objects.count() >= cities:
        print(f"reusing {City.objects.count():,} cities and run {active.pk}")
        return
    started = time.perf_counter()
    load_demo(cities=max(cities - len(curated_rows()), 0))
    print(f"loaded {City.objects.count():,} cities in {time.perf_counter() - started:.1f} s")
    MatchRun.objects.filter(status__in=MatchRun.IN_PROGRESS).update(
        status=MatchRun.Status.FAILED, error="Interrupted bench run."
    )
    started = time.perf_counter()
    run = services.start_run(trigger=MatchRun.Trigger.COMMAND)  # runs in-process
    run.refresh_from_db()
    if run.status != MatchRun.Status.SUCCEEDED:
        raise SystemExit(f"run {run.pk} {run.status}: {run.error}")
    stored = Match.objects.filter(run=run).count()
    print(f"run {run.pk}: {stored:,} matches in {time.perf_counter() - started:.1f} s")


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would gather them soon after a run lands."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE matching_match")
        cursor.execute("ANALYZE cities_city")


def cases(count: int) -> list[tuple[int, str]]:
    """Busy recipients of the active run, each with the area most frequent in its matches."""
    from django.db.models import Count

    from matching.models import Match, MatchRun

    run = MatchRun.objects.get(is_active=True)
    recipients = (
        Match.objects.filter(run=run)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .order_by("-n", "recipient_id")[:count]
    )
    chosen = []
    for row in recipients:
        codes = Match.objects.filter(run=run, recipient_id=row["recipient_id"]).values_list(
            "top_area_codes", flat=True
        )
        area, _ = Counter(code for text in codes for code in text.split()).most_common(1)[0]
        chosen.append((row["recipient_id"], area))
    return chosen


def server_application():
    """The WSGI application as a server runs it (``citymatch/wsgi.py``): the engine warmed up
    and what start-up built frozen out of full collections (``toolkit/process.py``)."""
    from citymatch.wsgi import application

    return application


FRESH = iter(range(1, 10**9))


def fresh(path: str) -> str:
    """The path with a parameter of its own that the lists ignore: its page is not in the list
    cache (toolkit/api/listcache.py), so the request builds it, as the first reader would."""
    return f"{path}{'&' if '?' in path else '?'}fresh={next(FRESH)}"


def api_caller():
    """Call the WSGI application as a server would, signed in by token."""
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory
    from rest_framework.authtoken.models import Token
    from rest_framework.throttling import SimpleRateThrottle

    # Keep the throttles (their cache work is part of every request) but let the bench through.
    SimpleRateThrottle.THROTTLE_RATES = {"anon": "1000000/min", "user": "1000000/min"}
    user, _ = get_user_model().objects.get_or_create(username="api-bench")
    token = Token.objects.get_or_create(user=user)[0].key
    handler = server_application()
    factory = RequestFactory()

    def call(recipient: int, area: str, *, built: bool = False) -> bytes:
        query = urlencode({"recipient": recipient, "policy_area": area, "page_size": PAGE_SIZE})
        path = f"/api/matches/?{query}"
        path = fresh(path) if built else path
        environ = factory.get(path, HTTP_AUTHORIZATION=f"Token {token}").environ
        environ["wsgi.input"] = io.BytesIO(b"")
        status = []
        body = b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"API answered {status[0]}: {body[:300]!r}")
        return body

    return call


def bare_caller():
    # Django hands jsonb columns to Python as text (its JSONField decodes them), the top areas
    # as compact text and the components as millionths (matching/fields.py): so here too.
    from django.db import connection

    from matching.fields import MILLIONTHS, parse_top_areas
    from matching.models import MatchRun

    run_id = MatchRun.objects.get(is_active=True).pk

    def call(recipient: int, area: str) -> bytes:
        with connection.cursor() as cursor:
            cursor.execute(BARE_SQL, [run_id, recipient, f"% {area} %", PAGE_SIZE])
            rows = cursor.fetchall()
        results = []
        for row in rows:
            results.append(
                {
                    "id": row[0],
                    "run": row[1],
                    "donor": dict(zip(("id", "name", "slug", "country", "population"), row[17:22], strict=True)),
                    "recipient": dict(zip(("id", "name", "slug", "country", "population"), row[22:27], strict=True)),
                    "score": row[2],
                    "components": {name: value / MILLIONTHS for name, value in zip(COMPONENTS, row[3:11], strict=True)},
                    "donor_rank": row[11],
                    "recipient_rank": row[12],
                    "top_areas": parse_top_areas(row[13]),
                    "practices": json.loads(row[14]),
                    "gives_back": json.loads(row[15]),
                    "existing_partnership": row[16],
                }
            )  # fmt: skip
        total = rows[0][27] if rows else 0
        page = {"count": total, "next": None, "previous": None, "results": results}
        return json.dumps(page).encode()

    return call


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(rounds: int, pairs: list[tuple[int, str]]) -> None:
    from toolkit.api.pagination import COUNT_EXACT_UP_TO

    api, bare = api_caller(), bare_caller()
    # Both must answer the same page.
    for recipient, area in pairs[:5]:
        ours, theirs = json.loads(api(recipient, area)), json.loads(bare(recipient, area))
        # Above COUNT_EXACT_UP_TO the API's count is the planner's estimate (API.md).
        exact = theirs["count"] <= COUNT_EXACT_UP_TO
        counted = ours["count"] == theirs["count"] if exact else ours["count"] > COUNT_EXACT_UP_TO
        if not counted or ours["results"] != theirs["results"]:
            raise SystemExit(f"API and bare query differ for recipient {recipient}, {area}")
    for recipient, area in pairs * 2:  # warm up caches and the connection
        api(recipient, area)
        api(recipient, area, built=True)
        bare(recipient, area)
    calls = {
        "API": api,
        "API built": lambda recipient, area: api(recipient, area, built=True),
        "bare": bare,
    }
    timings: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for index in range(rounds):
        recipient, area = pairs[index % len(pairs)]
        for name, call in calls.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            call(recipient, area)
            timings[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
    print(
        f"== /api/matches/?recipient=…&policy_area=…&page_size={PAGE_SIZE}: {rounds} requests "
        f"each, {len(pairs)} recipient/area pairs, in turn; API: the page as readers get it "
        "(from the list cache after its first reader); API built: a page not in the cache =="
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average during the run: {load} ({os.cpu_count()} CPUs); cache: {cache_name()}")
    bare_p95 = percentile(timings["bare"], 0.95)
    print(f"{'':10} {'median ms':>10} {'p95 ms':>10} {'× bare p95':>11} {'CPU ms':>8}")
    for name, values in timings.items():
        p95 = percentile(values, 0.95)
        cpu_median = statistics.median(cpu[name])
        print(
            f"{name:10} {statistics.median(values):10.2f} {p95:10.2f} {p95 / bare_p95:11.2f} "
            f"{cpu_median:8.2f}"
        )
    api_p95 = percentile(timings["API"], 0.95)
    met = api_p95 <= 15 and api_p95 <= 2 * bare_p95
    print(f"target (API p95 ≤ 15 ms and ≤ 2× bare p95): {'met' if met else 'NOT met'}")
    built_p95 = percentile(timings["API built"], 0.95)
    built_met = built_p95 <= 15 and built_p95 <= 2 * bare_p95
    print(f"  the same for pages built: {'met' if built_met else 'NOT met'}")


def cache_name() -> str:
    from django.conf import settings

    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return f"{backend} {settings.CACHES['default'].get('LOCATION', '')}".strip()


def table_paths() -> list[tuple[str, str]]:
    """The requests of issue 12's table: each filter and ordering agencies start with."""
    from matching.models import Match, MatchRun

    run = MatchRun.objects.get(is_active=True)
    city = (
        Match.objects.filter(run=run, recipient_rank=1)
        .order_by("-score")
        .values_list("recipient_id", flat=True)
        .first()
    )
    return [
        ("matches, default", "/api/matches/?page_size=25"),
        ("matches, donor_country=JP", "/api/matches/?donor_country=JP"),
        ("matches, recipient_country=VN", "/api/matches/?recipient_country=VN"),
        ("matches, ordering=-score", "/api/matches/?ordering=-score"),
        ("matches, ordering=donor_rank", "/api/matches/?ordering=donor_rank"),
        ("city matches, weights (on the fly)", f"/api/cities/{city}/matches/?weights=need_fit:0.5,size:0.2"),
        ("matches, policy_area=waste", "/api/matches/?policy_area=waste"),
        ("matches, min_score=50", "/api/matches/?min_score=50"),
        ("matches, recipient", f"/api/matches/?recipient={city}"),
        ("matches, donor_country=JP&policy_area", "/api/matches/?donor_country=JP&policy_area=waste"),
        ("matches, page 40", "/api/matches/?page=40"),
        ("cities, default", "/api/cities/"),
        ("cities, country=JP", "/api/cities/?country=JP"),
        ("best practices, default", "/api/best-practices/"),
        ("partnerships, default", "/api/partnerships/"),
    ]  # fmt: skip


def measure_table(rounds: int) -> None:
    """Median and p95 of each request of the table, through Django's handler, in turn: as
    readers get it (a list page from the cache after its first reader) and built (a page
    not in the cache, ``fresh()``)."""
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory
    from rest_framework.authtoken.models import Token

    user, _ = get_user_model().objects.get_or_create(username="api-bench")
    token = Token.objects.get_or_create(user=user)[0].key
    handler, factory = server_application(), RequestFactory()

    def call(path: str) -> None:
        environ = factory.get(path, HTTP_AUTHORIZATION=f"Token {token}").environ
        environ["wsgi.input"] = io.BytesIO(b"")
        status = []
        body = b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"{path} answered {status[0]}: {body[:300]!r}")

    paths = table_paths()
    for _, path in paths:
        call(path)  # warm up
        call(fresh(path))
    timings: dict[tuple[str, bool], list[float]] = {}
    cpu: dict[tuple[str, bool], list[float]] = {}
    for _ in range(rounds):
        for name, path in paths:
            for built in (False, True):
                url = fresh(path) if built else path
                started, started_cpu = time.perf_counter(), time.process_time()
                call(url)
                timings.setdefault((name, built), []).append((time.perf_counter() - started) * 1000)
                cpu.setdefault((name, built), []).append((time.process_time() - started_cpu) * 1000)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"== each list, {rounds} requests each in turn; load average {load} ==")
    # On a shared machine the wall-clock times follow the load; the CPU time of this process
    # (Django and Python, not the database) does not.
    print(f"{'':44} {'as read':>32} {'built':>32}")
    print(f"{'request':44}" + f" {'median ms':>10} {'p95 ms':>10} {'CPU ms':>10}" * 2)
    worst = {False: 0.0, True: 0.0}
    for name, _ in paths:
        figures = []
        for built in (False, True):
            values = timings[(name, built)]
            p95 = percentile(values, 0.95)
            worst[built] = max(worst[built], p95)
            cpu_median = statistics.median(cpu[(name, built)])
            figures.append(f"{statistics.median(values):10.1f} {p95:10.1f} {cpu_median:10.1f}")
        print(f"{name:44} {' '.join(figures)}")
    for built, label in ((False, "as read"), (True, "built")):
        verdict = "met" if worst[built] <= 50 else "NOT met"
        print(f"target (every p95 ≤ 50 ms), {label}: {verdict} (worst {worst[built]:.1f} ms)")


def measure_concurrent(database_url: str, pairs: list[tuple[int, str]]) -> None:
    """gunicorn with 2 workers under wrk: the narrow query and the broad default list."""
    import concurrency
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user, _ = get_user_model().objects.get_or_create(username="api-bench")
    token = Token.objects.get_or_create(user=user)[0].key
    recipient, area = pairs[0]
    paths = [
        ("narrow: recipient & policy_area, 25", f"/api/matches/?recipient={recipient}&policy_area={area}&page_size=25"),
        ("broad: /api/matches/?page_size=25", "/api/matches/?page_size=25"),
    ]  # fmt: skip
    built = [(f"{name}, built", path) for name, path in paths]
    targets = {paths[0][0]: 300, paths[1][0]: 100}
    with concurrency.gunicorn(database_url) as base:
        concurrency.run_table(
            base,
            paths + built,
            header=f"Authorization: Token {token}",
            targets=targets,
            fresh=tuple(name for name, _ in built),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=10_000, help="Cities to load (10,000).")
    parser.add_argument("--rounds", type=int, default=1000, help="Requests per side (1,000).")
    parser.add_argument("--pairs", type=int, default=50, help="Recipient/area pairs (50).")
    parser.add_argument("--reload", action="store_true", help="Load cities and run again.")
    parser.add_argument("--table-rounds", type=int, default=30, help="Requests per list (30).")
    parser.add_argument("--concurrent", action="store_true", help="Also gunicorn under wrk.")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL"),
        help="Redis for the cache, as in production (default: local memory).",
    )
    args = parser.parse_args()
    setup(args.database_url, args.redis_url)
    load(args.cities, reload=args.reload)
    analyze()
    pairs = cases(args.pairs)
    measure(args.rounds, pairs)
    measure_table(args.table_rounds)
    if args.concurrent:
        measure_concurrent(args.database_url, pairs)


if __name__ == "__main__":
    main()
