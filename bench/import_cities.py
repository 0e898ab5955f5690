"""How long ``import_cities`` takes for a big file: into a fresh database, then again.

Usage (PostgreSQL, as in the figures the project quotes):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_foundation DEBUG=true
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py load_demo --cities 34000
    .venv/bin/python manage.py export_cities /tmp/cities.csv
    .venv/bin/python bench/import_cities.py /tmp/cities.csv

The bench makes its own fresh database (``<name>_bench_import``, migrated, dropped at the end),
times the import of FILE into it, then the re-import of the same file (which must change
nothing), and prints the seconds. Listeners of ``city_profiles_changed`` (the rescoring that
an import starts) are detached while timing: this measures the import alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymatch.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="A city file (CSV or JSON), e.g. an export.")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from cities.importing import import_cities
    from cities.models import City, CityAreaLevel, CitySector
    from cities.signals import city_profiles_changed

    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_bench_import".replace("/", "_")
    print(f"database: {connection.vendor}; file: {args.file} ({args.file.stat().st_size:,} bytes)")
    # Other work on the machine slows the wall clock; the load average puts figures in context.
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    bench_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    receivers, city_profiles_changed.receivers = city_profiles_changed.receivers, []
    city_profiles_changed.sender_receivers_cache.clear()
    try:
        for label in ("import into the fresh database", "re-import of the same file"):
            started, cpu_started = time.perf_counter(), time.process_time()
            with args.file.open("rb") as fileobj:
                result = import_cities(fileobj, filename=args.file.name)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            print(f"{label}: {seconds:.1f} s, of which {cpu:.1f} s Python CPU ({result})")
        print(
            f"stored: {City.objects.count():,} cities, {CityAreaLevel.objects.count():,} "
            f"expertise/need rows, {CitySector.objects.count():,} sector shares"
        )
    finally:
        city_profiles_changed.receivers = receivers
        city_profiles_changed.sender_receivers_cache.clear()
        connection.creation.destroy_test_db(bench_name, verbosity=0)


if __name__ == "__main__":
    main()
