"""The import_cities and export_cities management commands."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from cities.models import City
from tests.factories import CityFactory

from .helpers import KITAKYUSHU, city_row, csv_bytes

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_cities_reports_counts_and_draws_progress_bars(tmp_path):
    path = tmp_path / "cities.csv"
    path.write_bytes(csv_bytes([KITAKYUSHU, *(city_row(n) for n in range(50))]))

    out, err = run("import_cities", str(path))

    assert "51 created, 0 updated, 0 unchanged (51 cities)" in out
    assert "Checking rows: 100%" in err
    assert "Writing cities: 100%" in err
    assert "51/51" in err
    assert City.objects.count() == 51

    out, _ = run("import_cities", str(path), "--no-progress")
    assert "0 created, 0 updated, 51 unchanged" in out


def test_import_cities_lists_every_bad_row_and_writes_nothing(tmp_path):
    rows = [city_row(n) for n in range(5)]
    rows[1]["population"] = "0"
    rows[3]["role"] = "giver"
    path = tmp_path / "cities.csv"
    path.write_bytes(csv_bytes(rows))

    with pytest.raises(CommandError) as caught:
        run("import_cities", str(path))

    message = str(caught.value)
    assert "nothing was written" in message
    assert "row 3, population: must be a positive integer" in message
    assert "row 5, role: 'giver' is not a role (use donor, recipient or both)" in message
    assert City.objects.count() == 0


def test_import_cities_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run("import_cities", str(tmp_path / "missing.csv"))


def test_export_cities_writes_csv_or_json_by_extension(tmp_path):
    CityFactory(name="Kitakyushu", expertise={"waste": 3})
    CityFactory(name="Generated", is_synthetic=True)

    out, err = run("export_cities", str(tmp_path / "all.csv"))
    assert "Exported 2 cities" in out
    assert "Exporting cities: 100%" in err
    lines = (tmp_path / "all.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("name,country,latitude,longitude,population,role")
    assert len(lines) == 3

    run("export_cities", str(tmp_path / "curated.json"), "--curated-only")
    cities = json.loads((tmp_path / "curated.json").read_text(encoding="utf-8"))
    assert [city["name"] for city in cities] == ["Kitakyushu"]
    assert cities[0]["expertise"] == {"waste": 3}


def test_export_then_import_from_the_shell_changes_nothing(tmp_path):
    CityFactory(name="Kitakyushu", expertise={"waste": 3}, sectors={"E": 0.2})
    path = tmp_path / "cities.txt"
    run("export_cities", str(path), "--format", "json")
    out, _ = run("import_cities", str(path))
    assert "0 created, 0 updated, 1 unchanged" in out


def test_export_cities_refuses_an_unknown_format(tmp_path):
    with pytest.raises(CommandError, match=r"\.csv or \.json"):
        run("export_cities", str(tmp_path / "cities.xlsx"))
