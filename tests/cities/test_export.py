"""Exporting cities in the import format, and reading the export back unchanged."""

import csv
import io
import json

import pytest

from cities.importing import COLUMNS, EXTRA_COLUMNS, escape_cell, export_cities, import_cities
from cities.models import City, CityAreaLevel, CitySector
from tests.factories import CityFactory

pytestmark = pytest.mark.django_db


def make_cities() -> None:
    CityFactory(
        name="Kitakyushu",
        country="JP",
        latitude=33.85181,
        longitude=130.85034,
        population=940_978,
        role="donor",
        languages=["ja", "en"],
        expertise={"waste": 3, "air": 3, "water": 2},
        needs={"economy": 2},
        sectors={"C": 0.3, "E": 0.1},
        geonames_id=1859307,
        sources="City of Kitakyushu, Environment Bureau.\nKITA.",
    )
    CityFactory(
        name="Medellín",
        country="CO",
        latitude=6.245,
        longitude=-75.57151,
        population=1_999_979,
        role="both",
        languages=["es"],
        has_international_department=False,
        international_staff=0,
        absorptive_capacity=4,
        cooperation_budget_usd=0,
        cofunding_usd=123_456,
        expertise={"transport": 3},
        needs={"air": 2, "adaptation": 1},
        sectors={"F": 1 / 3},
        is_synthetic=True,
    )
    CityFactory(name='=HYPERLINK("http://x")', country="US", languages=[], longitude=-3.5)


def snapshot() -> dict:
    """Every imported field of every city, levels and shares included."""
    cities = {}
    for city in City.objects.all():
        cities[(city.name, city.country)] = {
            "fields": [
                city.latitude,
                city.longitude,
                city.population,
                city.role,
                city.languages,
                city.has_international_department,
                city.international_staff,
                city.years_of_cooperation,
                city.absorptive_capacity,
                city.cooperation_budget_usd,
                city.cofunding_usd,
                city.is_synthetic,
                city.geonames_id,
                city.sources,
                city.region,
            ],
            "levels": sorted(
                CityAreaLevel.objects.filter(city=city).values_list(
                    "policy_area__code", "expertise", "need"
                )
            ),
            "sectors": sorted(
                CitySector.objects.filter(city=city).values_list("sector__code", "share")
            ),
        }
    return cities


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_imports_back_into_an_empty_database_unchanged(fmt):
    make_cities()
    before = snapshot()
    out = io.StringIO()
    assert export_cities(City.objects.all(), out, fmt=fmt) == 3

    City.objects.all().delete()
    result = import_cities(io.BytesIO(out.getvalue().encode()), filename=f"cities.{fmt}")

    assert result.created == 3
    assert snapshot() == before


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_imported_over_its_own_cities_changes_nothing(fmt):
    make_cities()
    stamps = dict(City.objects.values_list("name", "updated_at"))
    out = io.StringIO()
    export_cities(City.objects.all(), out, fmt=fmt)

    result = import_cities(io.BytesIO(out.getvalue().encode()), filename=f"cities.{fmt}")

    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert dict(City.objects.values_list("name", "updated_at")) == stamps


def test_csv_export_has_the_api_columns_and_escapes_formula_cells():
    make_cities()
    CityFactory(name="@SUM(A1)", country="FR", sources="-2+3\nfrom a spreadsheet")
    out = io.StringIO()
    export_cities(City.objects.all(), out, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))

    assert list(rows[0]) == list(COLUMNS + EXTRA_COLUMNS)
    by_country = {row["country"]: row for row in rows}
    assert by_country["US"]["name"] == '\'=HYPERLINK("http://x")'
    assert by_country["FR"]["name"] == "'@SUM(A1)"
    assert by_country["FR"]["sources"] == "'-2+3\nfrom a spreadsheet"
    # A negative number is data, not a formula: it stays a number.
    assert by_country["US"]["longitude"] == "-3.5"
    assert by_country["CO"]["longitude"] == "-75.57151"
    japan = by_country["JP"]
    assert japan["expertise"] == "waste:3;air:3;water:2"
    assert japan["needs"] == "economy:2"
    assert japan["sectors"] == "C:0.3;E:0.1"
    assert japan["languages"] == "en;ja"
    assert japan["has_international_department"] == "true"
    assert by_country["CO"]["is_synthetic"] == "true"
    assert japan["geonames_id"] == "1859307"
    assert by_country["CO"]["geonames_id"] == ""


def test_json_export_writes_objects_and_lists():
    make_cities()
    out = io.StringIO()
    export_cities(City.objects.filter(country="JP"), out, fmt="json")
    (city,) = json.loads(out.getvalue())
    assert city["expertise"] == {"waste": 3, "air": 3, "water": 2}
    assert city["languages"] == ["en", "ja"]
    assert city["population"] == 940_978
    assert city["name"] == "Kitakyushu"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+31 10", "'+31 10"),
        ("-x", "'-x"),
        ("@cmd", "'@cmd"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("'=already", "''=already"),
        ("Osaka", "Osaka"),
        ("'quoted", "'quoted"),
    ],
)
def test_formula_cells_are_escaped_so_the_import_reads_them_back(text, escaped):
    assert escape_cell(text) == escaped
    CityFactory(name=text, country="JP")
    out = io.StringIO()
    export_cities(City.objects.all(), out, fmt="csv")
    City.objects.all().delete()
    import_cities(io.BytesIO(out.getvalue().encode()), filename="cities.csv")
    assert City.objects.get().name == text.strip()


def test_export_reports_progress():
    make_cities()
    calls = []
    export_cities(City.objects.all(), io.StringIO(), progress=lambda *args: calls.append(args))
    assert calls == [("export", 3, 3)]
