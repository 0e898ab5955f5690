"""End-to-end scoring on PostgreSQL: prints figures, never a test.

Loads N demo cities (real GeoNames cities with synthetic cooperation profiles, ``cities.demo``)
into a bench database of its own, then times a full run the way ``run_scoring`` does it (tasks
in-process: load the profiles, freeze them, score the shards, merge, COPY the matches, activate
in one transaction) and the single-city work a profile edit and the API cause. Each index
build and the ANALYZE of the run's table are timed as statements; ``--runs`` repeats the full
run and prints each phase's best, which a busy machine disturbs least.

    .venv/bin/python bench/scoring_e2e.py --cities 10000
    .venv/bin/python bench/scoring_e2e.py --cities 10000 --runs 3 --database-url postgres://postgres@127.0.0.1:5432/cm_bench
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_bench .venv/bin/python bench/scoring_e2e.py

The database named in BENCH_DATABASE_URL (default ``cm_bench``) is created if missing and its
cities replaced; never point it at a database whose data you want to keep.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cm_bench"


def _ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def _setup(url: str) -> None:
    """Point Django at the bench database, tasks in-process, then migrate it."""
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("CELERY_BROKER_URL", None)  # the run's tasks execute in this process
    os.environ["OUTBOX_IN_BACKGROUND"] = "false"  # ... in this thread, under the timers
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymatch.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


class Timer:
    """Wall time spent in named service steps (wraps them for the bench only)."""

    def __init__(self):
        self.spent: dict[str, float] = {}

    def wrap(self, module, name: str, label: str) -> None:
        real = getattr(module, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)


@contextmanager
def clock():
    started = time.perf_counter()
    result = {}
    yield result
    result["s"] = time.perf_counter() - started


class StatementTimer:
    """Wall time of each index build and of the ANALYZE of a run's table, as the server runs
    them (a Django execute wrapper: the tasks run in this thread)."""

    LABELS = (
        (re.compile(r"ADD CONSTRAINT \S+ (PRIMARY KEY|UNIQUE) (\(.*\))"), "{0} {1}"),
        (re.compile(r"^CREATE (?:UNIQUE )?INDEX .* USING btree (\(.*\))"), "index {0}"),
        (re.compile(r"^ANALYZE "), "ANALYZE"),
    )

    def __init__(self):
        self.spent: dict[str, float] = {}

    def __call__(self, execute, sql, params, many, context):
        label = None
        for pattern, template in self.LABELS:
            if found := pattern.search(sql):
                label = template.format(*(group.lower() for group in found.groups()))
                break
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if label is not None:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - started


def _full_run(timer: Timer, statements: StatementTimer, best: dict[str, float]) -> None:
    """One full run, its phases printed (and each phase's lowest so far kept in ``best``)."""
    from django.db import connection

    from matching import services
    from matching.models import MatchRun

    # A run in progress from an interrupted bench would refuse the new one.
    MatchRun.objects.filter(status__in=MatchRun.IN_PROGRESS).update(
        status=MatchRun.Status.FAILED, error="Interrupted bench run."
    )
    with clock() as whole, connection.execute_wrapper(statements):
        run = services.start_run(trigger="command")
    run.refresh_from_db()
    if run.status != MatchRun.Status.SUCCEEDED:
        raise SystemExit(f"Run {run.pk} {run.status}: {run.error}")
    print(
        f"full run {run.pk}: {whole['s']:.2f} s wall ({run.duration_s:.2f} s started→active), "
        f"{run.cities:,} cities, {run.shards_total} shards, {run.pairs_scored:,} pairs, "
        f"{run.matches_stored:,} matches stored "
        f"({run.pairs_scored / whole['s'] / 1e6:.1f} M pairs/s end to end), "
        f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}"
    )
    phases = dict(timer.spent)
    phases["rest"] = whole["s"] - sum(timer.spent.values())
    database = ("COPY", "build indexes", "attach partition", "drop old runs", "rest")
    phases["PostgreSQL side"] = sum(phases.get(label, 0.0) for label in database)
    for label, seconds in phases.items():
        note = {
            "rest": " (shard staging, activation, queries)",
            "PostgreSQL side": " (COPY, indexes, attach, drop old runs, rest)",
        }.get(label, "")
        print(f"  {label:<16} {seconds:6.2f} s{note}")
        if label == "build indexes":
            for statement, spent in statements.spent.items():
                print(f"      {statement:<66} {spent:6.2f} s")
    copy_s = timer.spent.get("COPY", 0.0)
    if copy_s:
        print(f"  COPY throughput  {run.matches_stored / copy_s:,.0f} rows/s")
    for label, seconds in phases.items():
        best[label] = min(seconds, best.get(label, seconds))
    for statement, seconds in statements.spent.items():
        label = f"    {statement}"
        best[label] = min(seconds, best.get(label, seconds))


def e2e_section(
    cities: int, *, seed: int = 2024, url: str = DEFAULT_URL, rescores: int = 5, runs_count: int = 1
) -> None:
    _setup(url)
    from cities.demo import load_demo
    from cities.models import City
    from matching import services
    from matching.services import partitions, runs, writing

    print(
        f"== End-to-end run on PostgreSQL ({urlparse(url).path.lstrip('/')}), tasks in-process =="
    )
    with clock() as loading:
        load_demo(cities=cities, seed=seed)
    total = City.objects.count()
    print(f"demo load: {total:,} cities in {loading['s']:.1f} s (not part of the run)")

    with clock() as profiles:
        inputs = services.load_inputs()
    print(f"load profiles (arrays from the database): {profiles['s']:.2f} s")
    del inputs

    # The first task of a process imports the apps' task modules, and Celery's Django fix-up
    # runs the system checks (which import every URL module): a worker does that once, when it
    # starts, so it is not part of a run.
    from citymatch.celery import app

    with clock() as importing:
        app.loader.import_default_modules()
    print(
        f"task modules imported: {importing['s']:.2f} s (once per process; a worker does it "
        "when it starts)"
    )
    timer = Timer()
    timer.wrap(runs, "load_inputs", "load profiles")
    timer.wrap(runs, "freeze", "freeze inputs")
    timer.wrap(runs, "score_block", "score shards")
    timer.wrap(runs, "merge_blocks", "merge blocks")
    timer.wrap(runs, "explain", "explain")
    timer.wrap(writing, "copy_chunks", "COPY")
    timer.wrap(partitions, "index_run_table", "build indexes")
    timer.wrap(partitions, "attach_run_table", "attach partition")
    timer.wrap(runs, "drop_old_runs", "drop old runs")
    best: dict[str, float] = {}
    for _ in range(runs_count):
        timer.spent.clear()
        statements = StatementTimer()
        _full_run(timer, statements, best)
    if runs_count > 1:
        print(f"best of {runs_count} runs (each phase's lowest):")
        for label, seconds in best.items():
            print(f"  {label:<70} {seconds:6.2f} s")

    both = list(
        City.objects.filter(role=City.Role.BOTH)
        .order_by("?")
        .values_list("pk", flat=True)[:rescores]
    )
    from matching.services.rescoring import warm_rescoring

    with clock() as warming:
        warm_rescoring()
    print(
        f"profiles read for rescoring: {warming['s']:.2f} s (once per worker process and run; "
        "a worker does it when it starts)"
    )
    timings = []
    for city_id in both:
        with clock() as one:
            services.rescore_cities(city_ids=[city_id])
        timings.append(one["s"])
    if timings:
        print(
            f"single-city rescore (both roles, active run): median {statistics.median(timings):.3f} s, "
            f"max {max(timings):.3f} s over {len(timings)} cities"
        )
    if both:
        city = City.objects.get(pk=both[0])
        with clock() as cold:
            matches = services.score_city_against_all(city=city)
        with clock() as warm:
            services.score_city_against_all(city=city, weights={"need_fit": 0.5, "size": 0.2})
        with clock() as warm_default:
            services.score_city_against_all(city=city)
        print(
            f"on-the-fly scoring ({len(matches):,} matches): first call {cold['s']:.3f} s "
            f"(loads arrays), new weights {warm['s']:.3f} s, cached {warm_default['s']:.3f} s"
        )


def run_e2e_subprocess(cities: int) -> None:
    """The section in a process of its own (its Django setup and memory stay there)."""
    import subprocess

    result = subprocess.run([sys.executable, __file__, "--cities", str(cities)], check=False)
    if result.returncode:
        print(f"(end-to-end section failed with exit code {result.returncode})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cities", type=int, default=10_000, help="synthetic demo cities")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--runs", type=int, default=1, help="full runs in a row (each phase's best is printed)"
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    try:
        _ensure_database(args.database_url)
    except Exception as exc:  # no PostgreSQL here: say so instead of a traceback
        print(f"== End-to-end run skipped: PostgreSQL at {args.database_url} unreachable ({exc})")
        return
    e2e_section(args.cities, seed=args.seed, url=args.database_url, runs_count=args.runs)


if __name__ == "__main__":
    main()
