"""Importing city files: checked whole first, all or nothing, idempotent, in bulk."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cities.importing import CityImportError, import_cities
from cities.models import City, CityAreaLevel, CitySector
from cities.signals import city_profiles_changed
from tests.factories import CityFactory

from .helpers import KITAKYUSHU, city_row, csv_bytes, json_bytes, upload

pytestmark = pytest.mark.django_db


def run_import(data: bytes, filename: str = "cities.csv", **kwargs):
    return import_cities(upload(data), filename=filename, **kwargs)


def import_errors(data: bytes, filename: str = "cities.csv") -> list[str]:
    with pytest.raises(CityImportError) as caught:
        run_import(data, filename)
    return [str(error) for error in caught.value.errors]


def profile(city: City) -> tuple[dict, dict, dict]:
    levels = CityAreaLevel.objects.filter(city=city).select_related("policy_area")
    expertise = {row.policy_area.code: row.expertise for row in levels if row.expertise}
    needs = {row.policy_area.code: row.need for row in levels if row.need}
    sectors = {
        row.sector.code: row.share
        for row in CitySector.objects.filter(city=city).select_related("sector")
    }
    return expertise, needs, sectors


def test_csv_import_creates_a_city_with_its_whole_profile():
    result = run_import(csv_bytes([KITAKYUSHU]))

    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    city = City.objects.get(name="Kitakyushu", country="JP")
    assert result.city_ids == [city.pk]
    assert city.slug == "kitakyushu-jp"
    assert city.region == "AS"
    assert (city.latitude, city.longitude, city.population) == (33.88, 130.88, 940978)
    assert city.role == "donor"
    assert city.languages == ["en", "ja"]
    assert city.has_international_department is True
    assert (city.international_staff, city.years_of_cooperation) == (12, 30)
    assert city.absorptive_capacity == 5
    assert (city.cooperation_budget_usd, city.cofunding_usd) == (800_000, 0)
    assert profile(city) == (
        {"waste": 3, "air": 3, "water": 2},
        {"economy": 2, "education": 1},
        {"C": 0.3, "E": 0.1, "H": 0.1},
    )
    assert city.is_synthetic is False


def test_a_byte_order_mark_is_tolerated():
    result = run_import(csv_bytes([KITAKYUSHU], bom=True))
    assert result.created == 1
    assert City.objects.get().name == "Kitakyushu"


def test_json_accepts_objects_lists_and_the_csv_strings():
    rows = [
        {
            "name": "Osaka",
            "country": "JP",
            "latitude": 34.69,
            "longitude": 135.5,
            "population": 2753862,
            "role": "both",
            "languages": ["ja", "en"],
            "has_international_department": True,
            "expertise": {"water": 3, "waste": 2},
            "needs": "adaptation:1",
            "sectors": {"C": 0.25},
        },
        dict(KITAKYUSHU),
    ]
    result = run_import(json_bytes(rows), "cities.json")

    assert result.created == 2
    osaka = City.objects.get(name="Osaka")
    assert osaka.languages == ["en", "ja"]
    assert osaka.international_staff == 0
    assert profile(osaka) == ({"water": 3, "waste": 2}, {"adaptation": 1}, {"C": 0.25})
    assert profile(City.objects.get(name="Kitakyushu"))[0] == {"waste": 3, "air": 3, "water": 2}


def test_one_bad_row_among_a_thousand_rejects_the_file_and_writes_nothing(profile_signals):
    rows = [city_row(n) for n in range(1000)]
    rows[699]["population"] = "-12"
    data = csv_bytes(rows)

    with pytest.raises(CityImportError) as caught:
        run_import(data)

    # The header is row 1, so the 700th city is row 701.
    assert [str(error) for error in caught.value.errors] == [
        "row 701, population: must be a positive integer"
    ]
    assert caught.value.errors[0].row == 701
    assert City.objects.count() == 0
    assert CityAreaLevel.objects.count() == 0
    assert profile_signals == []


def test_the_report_names_every_bad_row_and_field():
    rows = [city_row(n) for n in range(8)]
    rows[0]["population"] = "lots"
    rows[1]["expertise"] = "waste:3;wste:2"
    rows[2]["needs"] = "air:4"
    rows[3]["role"] = "sponsor"
    rows[4]["country"] = "XX"
    rows[5]["name"] = "Town 0"  # the same city as the first row
    rows[6]["latitude"] = "95"
    rows[6]["languages"] = "en;xx"
    rows[7]["sectors"] = "C:-1;Z:0.2"

    errors = import_errors(csv_bytes(rows))

    assert errors == [
        "row 2, population: must be a positive integer",
        "row 3, expertise: unknown policy area 'wste'",
        "row 4, needs: the level of 'air' must be 0, 1, 2 or 3, not '4'",
        "row 5, role: 'sponsor' is not a role (use donor, recipient or both)",
        "row 6, country: unknown country code 'XX' (use ISO 3166-1 alpha-2, such as JP)",
        "row 7, name: Town 0 (JP) is already on row 2",
        "row 8, latitude: must be a number from -90 to 90",
        "row 8, languages: not ISO 639-1 language codes: xx",
        "row 9, sectors: the share of 'C' must be a number ≥ 0, not '-1'; "
        "unknown ISIC section 'Z' (use a letter A to U)",
    ]
    assert City.objects.count() == 0


def test_json_rows_are_numbered_from_one():
    rows = [dict(KITAKYUSHU), dict(KITAKYUSHU, name="Osaka", absorptive_capacity=9)]
    assert import_errors(json_bytes(rows), "cities.json") == [
        "row 2, absorptive_capacity: must be a whole number from 0 to 5"
    ]


def test_a_missing_column_is_named():
    columns = [column for column in KITAKYUSHU if column != "population"]
    row = {key: value for key, value in KITAKYUSHU.items() if key != "population"}
    assert import_errors(csv_bytes([row], columns)) == ["file, population: missing column"]


def test_a_json_object_without_a_required_key_is_reported_on_its_row():
    row = {key: value for key, value in KITAKYUSHU.items() if key != "role"}
    assert import_errors(json_bytes([dict(KITAKYUSHU), row]), "cities.json") == [
        "row 2, role: missing column",
        "row 2, name: Kitakyushu (JP) is already on row 1",
    ]


def test_a_row_lacking_columns_does_not_hide_the_other_rows_errors():
    lacking = {key: value for key, value in KITAKYUSHU.items() if key not in {"role", "country"}}
    bad_population = dict(KITAKYUSHU, name="Osaka", population="-5")
    bad_level = dict(KITAKYUSHU, name="Kobe", expertise="waste:9")
    errors = import_errors(json_bytes([bad_population, lacking, bad_level]), "cities.json")
    assert [error.split(":")[0] for error in errors] == [
        "row 1, population",
        "row 2, country",
        "row 2, role",
        "row 3, expertise",
    ]


def test_an_unknown_column_is_refused_rather_than_ignored():
    columns = [*KITAKYUSHU, "populaton"]
    errors = import_errors(csv_bytes([dict(KITAKYUSHU, populaton="1")], columns))
    assert len(errors) == 1
    assert errors[0].startswith("file, populaton: unknown column")


def test_a_row_with_more_cells_than_the_header_is_reported():
    data = (
        csv_bytes([KITAKYUSHU]) + b"Osaka,JP,34.7,135.5,2753862,both,ja,true,1,1,1,1,1,,,,extra\n"
    )
    assert import_errors(data) == ["row 3: has 17 cells but the header has 16 columns"]


def test_files_that_cannot_be_read_are_refused():
    assert import_errors(b"\xff\xfe\x00bad", "cities.csv") == [
        "file: is not UTF-8 text (byte 0 cannot be read)"
    ]
    assert import_errors(b"[{", "cities.json")[0].startswith("file: is not valid JSON")
    assert import_errors(b"", "cities.csv") == ["file: is empty (a header row is needed)"]
    assert import_errors(b'{"name": "x"}', "cities.json") == [
        "file: must hold a JSON list of city objects"
    ]


def test_reimporting_the_same_file_changes_nothing(
    profile_signals, django_capture_on_commit_callbacks
):
    data = csv_bytes([KITAKYUSHU, city_row(1), city_row(2)])
    with django_capture_on_commit_callbacks(execute=True):
        first = run_import(data)
    stamps = dict(City.objects.values_list("name", "updated_at"))
    levels = sorted(CityAreaLevel.objects.values_list("id", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        second = run_import(data)

    assert (first.created, second.created, second.updated, second.unchanged) == (3, 0, 0, 3)
    assert second.city_ids == []
    assert dict(City.objects.values_list("name", "updated_at")) == stamps
    assert sorted(CityAreaLevel.objects.values_list("id", flat=True)) == levels
    assert profile_signals == [(first.city_ids, "import")]


def test_a_changed_row_updates_only_that_city(profile_signals, django_capture_on_commit_callbacks):
    run_import(csv_bytes([KITAKYUSHU, city_row(1)]))
    stamps = dict(City.objects.values_list("name", "updated_at"))
    changed = dict(KITAKYUSHU, needs="economy:3", population="941000")
    profile_signals.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = run_import(csv_bytes([changed, city_row(1)]))

    kitakyushu = City.objects.get(name="Kitakyushu")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert result.city_ids == [kitakyushu.pk]
    assert profile_signals == [([kitakyushu.pk], "import")]
    assert kitakyushu.population == 941_000
    assert profile(kitakyushu)[1] == {"economy": 3}
    assert kitakyushu.updated_at > stamps["Kitakyushu"]
    assert City.objects.get(name="Town 1").updated_at == stamps["Town 1"]


def test_a_change_of_levels_alone_counts_as_an_update():
    run_import(csv_bytes([KITAKYUSHU]))
    result = run_import(csv_bytes([dict(KITAKYUSHU, expertise="waste:2")]))
    assert (result.updated, result.unchanged) == (1, 0)
    assert profile(City.objects.get())[0] == {"waste": 2}


def test_columns_left_out_keep_the_stored_values():
    run_import(csv_bytes([KITAKYUSHU]))
    columns = ["name", "country", "latitude", "longitude", "population", "role", "expertise"]
    row = {column: KITAKYUSHU[column] for column in columns} | {"expertise": "air:1"}

    result = run_import(csv_bytes([row], columns))

    city = City.objects.get()
    assert result.updated == 1
    assert city.international_staff == 12
    assert city.languages == ["en", "ja"]
    assert profile(city) == (
        {"air": 1},
        {"economy": 2, "education": 1},
        {"C": 0.3, "E": 0.1, "H": 0.1},
    )


def test_a_new_city_without_a_languages_column_gets_its_country_languages():
    columns = ["name", "country", "latitude", "longitude", "population", "role"]
    row = {column: KITAKYUSHU[column] for column in columns} | {"name": "Hue", "country": "VN"}
    run_import(csv_bytes([row], columns))
    city = City.objects.get()
    assert "vi" in city.languages
    assert city.international_staff == 0
    assert profile(city) == ({}, {}, {})


def test_empty_cells_mean_empty_values():
    row = dict(
        KITAKYUSHU,
        languages="",
        has_international_department="",
        international_staff="",
        expertise="",
        needs="",
        sectors="",
    )
    run_import(csv_bytes([row]))
    city = City.objects.get()
    assert city.languages == []
    assert city.has_international_department is False
    assert city.international_staff == 0
    assert profile(city) == ({}, {}, {})


def test_slugs_are_unique_and_deterministic():
    CityFactory(name="Saint Denis", country="RE", slug="saint-denis-fr")
    rows = [
        city_row(name="Saint-Denis", country="FR"),
        city_row(name="Saint Denis", country="FR"),
        city_row(name="Đà Nẵng", country="VN"),
    ]
    run_import(csv_bytes(rows))
    slugs = dict(City.objects.values_list("name", "slug").filter(country__in=["FR", "VN"]))
    assert slugs == {
        "Saint-Denis": "saint-denis-fr-2",
        "Saint Denis": "saint-denis-fr-3",
        "Đà Nẵng": "da-nang-vn",
    }


def test_an_existing_city_keeps_its_slug_when_updated():
    city = CityFactory(name="Kitakyushu", country="JP", slug="kitakyushu")
    run_import(csv_bytes([KITAKYUSHU]))
    city.refresh_from_db()
    assert city.slug == "kitakyushu"
    assert city.population == 940978


def test_a_geonames_id_of_another_city_is_refused():
    CityFactory(name="Kokura", country="JP", geonames_id=1859307)
    columns = [*KITAKYUSHU, "geonames_id"]
    errors = import_errors(csv_bytes([dict(KITAKYUSHU, geonames_id="1859307")], columns))
    assert errors == ["row 2, geonames_id: 1859307 already belongs to Kokura (JP)"]
    assert not City.objects.filter(name="Kitakyushu").exists()


def test_the_rescoring_request_commits_or_rolls_back_with_the_import(
    profile_signals, django_capture_on_commit_callbacks
):
    from toolkit.outbox.models import Message

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        run_import(csv_bytes([KITAKYUSHU]))
        raise RuntimeError("the import's transaction fails after the signal")
    assert len(profile_signals) == 1  # sent inside the transaction…
    assert not City.objects.exists() and not Message.objects.exists()  # …and rolled back
    assert callbacks == []

    result = run_import(csv_bytes([KITAKYUSHU]))
    message = Message.objects.get()
    assert (message.task, message.kwargs) == (
        "matching.tasks.rescore_cities",
        {"city_ids": result.city_ids},
    )


def import_queries(data: bytes) -> list[str]:
    """The import's own statements (not those of the rescoring its signal asks for)."""
    receivers, city_profiles_changed.receivers = city_profiles_changed.receivers, []
    city_profiles_changed.sender_receivers_cache.clear()
    try:
        with CaptureQueriesContext(connection) as queries:
            run_import(data)
    finally:
        city_profiles_changed.receivers = receivers
        city_profiles_changed.sender_receivers_cache.clear()
    kinds = [query["sql"].split(None, 1)[0].upper() for query in queries]
    return [kind for kind in kinds if kind not in {"SAVEPOINT", "RELEASE"}]


@pytest.mark.parametrize("size", [1, 300])
def test_an_import_costs_the_same_queries_for_one_row_or_many(postgres, size):
    # The database work is per chunk of 2,000 rows, never per row.
    baseline = import_queries(csv_bytes([city_row(10_000)]))
    City.objects.all().delete()
    assert import_queries(csv_bytes([city_row(n) for n in range(size)])) == baseline


def test_only_inserts_grow_with_the_rows_on_sqlite_batches():
    # SQLite caps the parameters of one statement, so Django splits a bulk insert into
    # batches; every other statement stays one per chunk on any database.
    baseline = import_queries(csv_bytes([city_row(10_000)]))
    City.objects.all().delete()
    many = import_queries(csv_bytes([city_row(n) for n in range(300)]))
    assert [kind for kind in many if kind != "INSERT"] == [
        kind for kind in baseline if kind != "INSERT"
    ]


def test_a_reimport_of_many_rows_costs_a_fixed_number_of_queries():
    data = csv_bytes([city_row(n) for n in range(300)])
    run_import(data)
    # Taxonomy (2), stored cities, levels and shares (3); nothing is written.
    assert import_queries(data) == ["SELECT"] * 5
