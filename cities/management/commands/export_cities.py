"""``manage.py export_cities FILE``: write every city in the import format (CSV or JSON)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cities.importing import export_cities
from cities.models import City
from toolkit.progress import progress_bars


class Command(BaseCommand):
    help = (
        "Export city profiles to FILE in the import format: CSV or JSON by the file's "
        "extension (or --format). import_cities reads the file back unchanged."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Where to write: a .csv or .json file.")
        parser.add_argument("--format", choices=["csv", "json"], help="Overrides the extension.")
        parser.add_argument(
            "--curated-only", action="store_true", help="Leave out synthetic demo cities."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw a progress bar."
        )

    def handle(self, *args, file: str, **options) -> None:
        path = Path(file)
        fmt = options["format"] or path.suffix.lower().lstrip(".")
        if fmt not in {"csv", "json"}:
            raise CommandError(f"{file}: name a .csv or .json file, or pass --format.")
        cities = City.objects.all()
        if options["curated_only"]:
            cities = cities.filter(is_synthetic=False)
        stream = getattr(self.stderr, "_out", self.stderr)
        try:
            with (
                path.open("w", encoding="utf-8", newline="") as fileobj,
                progress_bars(stream, disable=options["no_progress"]) as bar,
            ):
                count = export_cities(cities, fileobj, fmt=fmt, progress=bar)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}.") from exc
        self.stdout.write(self.style.SUCCESS(f"Exported {count} cities to {file}."))
