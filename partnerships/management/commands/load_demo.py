"""``manage.py load_demo [--cities N] [--seed S]``: the demo data of every app, for developers.

It lives in the top app because it loads every app's demo data: the cities, organizations and
users of ``cities.demo`` first, then the other apps' loaders. It does not score: ``make run``
runs ``run_scoring --wait`` afterwards. Running it twice gives the same data.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bestpractices.demo import load_demo_practices
from cities import demo
from partnerships.demo import load_demo_rounds
from toolkit.progress import progress_bars

MAX_CITIES = 40_000


class Command(BaseCommand):
    help = (
        "Load demo data: about 30 curated real cities, N synthetic GeoNames cities, "
        "organizations and demo users (printed with their passwords). Needs DEBUG=true."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cities",
            type=int,
            default=demo.DEFAULT_SYNTHETIC_CITIES,
            help="How many synthetic GeoNames cities to load besides the curated ones "
            f"(default {demo.DEFAULT_SYNTHETIC_CITIES}; 34000 loads every one).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help="Seed of the generated cooperation fields (the same seed gives the same data).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw progress bars.")

    def handle(self, *args, cities: int, seed: int, no_progress: bool, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "load_demo creates users with published passwords, so it only runs with "
                "DEBUG=true (a developer's machine). Set DEBUG=true and run it again."
            )
        if not 0 <= cities <= MAX_CITIES:
            raise CommandError(f"--cities must be between 0 and {MAX_CITIES}, not {cities}.")
        started = time.monotonic()
        stream = getattr(self.stderr, "_out", self.stderr)
        with progress_bars(stream, disable=no_progress) as progress:
            result = demo.load_demo(cities=cities, seed=seed, progress=progress)
        # Other apps' demo loaders follow here, each one line.
        self.stdout.write(load_demo_practices().summary())
        self.stdout.write(load_demo_rounds().summary())
        self._report(result, cities, time.monotonic() - started)

    def _report(self, result: demo.DemoResult, asked: int, seconds: float) -> None:
        write = self.stdout.write
        write(
            self.style.SUCCESS(
                f"Loaded {result.curated} curated and {result.synthetic} synthetic cities "
                f"({result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.removed} removed) and "
                f"{result.organizations} organizations in {seconds:.1f} s."
            )
        )
        if result.synthetic < asked:
            write(f"GeoNames holds {result.synthetic} more cities, so that is all of them.")
        write("City data: GeoNames (CC BY 4.0); synthetic profiles are marked as such.")
        write("")
        write("Demo users (for this machine only; DEBUG is on):")
        rows = [("username", "password", "role")] + [
            (user.username, user.password, user.role) for user in result.users
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        line = "+".join("-" * (width + 2) for width in widths)
        write(f"+{line}+")
        for number, row in enumerate(rows):
            write(
                "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
            )
            if number == 0:
                write(f"+{line}+")
        write(f"+{line}+")
        for user in result.users:
            if user.token:
                write(f"API token of {user.username}: {user.token}")
                write(
                    f'  curl -H "Authorization: Token {user.token}" http://127.0.0.1:8000/api/cities/'
                )
