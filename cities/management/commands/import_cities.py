"""``manage.py import_cities FILE``: create and update cities from a CSV or JSON file."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError

from cities.importing import CityImportError, import_cities, may_import
from toolkit.progress import progress_bars


class Command(BaseCommand):
    help = (
        "Import city profiles from a CSV or JSON file (the format of API.md). The whole file is "
        "checked first: one bad row rejects it, with a report naming every bad row and field. "
        "Runs with an admin's rights unless --as USER is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="A .csv or .json file.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw progress bars.")
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USER",
            help="Import with this user's rights (rows they may not write are refused); "
            "without it, with an admin's.",
        )

    def handle(
        self, *args, file: str, no_progress: bool, username: str | None = None, **options
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        user = None
        if username:
            try:
                user = get_user_model().objects.get(username=username, is_active=True)
            except ObjectDoesNotExist:
                raise CommandError(f"--as {username}: no active user of that name.") from None
            if not may_import(user):
                raise CommandError(
                    f"--as {username}: only admins, agency users and the editors of a city "
                    "may import cities."
                )
        stream = getattr(self.stderr, "_out", self.stderr)
        try:
            with path.open("rb") as fileobj, progress_bars(stream, disable=no_progress) as bar:
                result = import_cities(fileobj, filename=path.name, user=user, progress=bar)
        except CityImportError as exc:
            lines = "\n".join(f"  {error}" for error in exc.errors)
            raise CommandError(
                f"{file} was not imported; nothing was written. Fix these rows:\n{lines}"
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {file}: {result}."))
