"""Writing matches: COPY on PostgreSQL, executemany on SQLite, the same rows either way."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.db.models import JSONField
from django.test.utils import CaptureQueriesContext

from matching.models import Match
from matching.scoring import score_all
from matching.services import load_inputs, params_from_snapshot
from matching.services.writing import (
    MATCH_COLUMNS,
    explain,
    match_objects,
    sqlite_rows,
    write_matches,
)
from tests.factories import BestPracticeFactory, MatchRunFactory, population

pytestmark = pytest.mark.django_db

FIELDS = [f.attname for f in Match._meta.concrete_fields if f.attname not in {"id", "run_id"}]


def scored_population():
    cities = population(25, seed=9)
    for city in cities[:6]:
        BestPracticeFactory(
            city=city, areas=["waste", "air", "water"], title=f"Tab\tand \\ «{city.pk}»"
        )
    run = MatchRunFactory()
    inputs = load_inputs()
    matches = score_all(inputs.arrays, params_from_snapshot(run.weights), workers=1)
    partnered = next(
        (int(inputs.ids[d]), int(inputs.ids[r]))
        for d, r in zip(matches.donor, matches.recipient, strict=True)
    )
    explained = explain(inputs, matches, partnerships={partnered})
    return run, explained, partnered


def rows(run) -> dict:
    return {
        (m["donor_id"], m["recipient_id"]): m for m in Match.objects.filter(run=run).values(*FIELDS)
    }


def test_copy_writes_the_rows_bulk_create_would(postgres):
    run, explained, partnered = scored_population()
    with CaptureQueriesContext(connection) as queries:
        written = write_matches(explained, run_id=run.pk)
    assert written == len(explained) > 0
    assert not any("INSERT" in q["sql"] for q in queries.captured_queries)  # COPY, not INSERT

    other = MatchRunFactory()
    Match.objects.bulk_create(match_objects(explained, run_id=other.pk))
    copied, created = rows(run), rows(other)
    assert copied.keys() == created.keys()
    for pair, row in created.items():
        assert copied[pair] == row, pair
    assert any(row["practices"] for row in copied.values())
    assert any(
        "\\" in p["title"] and "\t" in p["title"]
        for row in copied.values()
        for p in row["practices"]
    )


def test_sqlite_rows_hold_what_bulk_create_would_store():
    run, explained, partnered = scored_population()
    objects = {(m.donor_id, m.recipient_id): m for m in match_objects(explained, run_id=run.pk)}
    rows = [dict(zip(MATCH_COLUMNS, row, strict=True)) for row in sqlite_rows(explained, run.pk)]
    assert len(rows) == len(objects) == len(explained) > 0
    assert [row["score"] for row in rows] == sorted((row["score"] for row in rows), reverse=True)
    for row in rows:
        obj = objects[(row["donor_id"], row["recipient_id"])]
        for name, value in row.items():
            field = Match._meta.get_field(name.removesuffix("_id"))
            expected = getattr(obj, name)
            if isinstance(field, JSONField):
                # The text Django's JSONField writes on SQLite.
                assert value == json.dumps(expected), name
            else:
                # What the model field stores (millionths, the compact top areas...).
                stored = field.get_db_prep_save(expected, connection)
                assert value == stored and type(value) is type(stored), name
    assert any(row["existing_partnership"] for row in rows) and any(
        row["practices"] != "[]" for row in rows
    )


def test_sqlite_writes_every_row_in_one_statement_and_rolls_back_with_its_transaction(settings):
    if settings.USING_POSTGRES:
        pytest.skip("the executemany path is SQLite's")
    run, explained, partnered = scored_population()
    with transaction.atomic():
        assert write_matches(explained, run_id=run.pk) == len(explained)
    other = MatchRunFactory()
    Match.objects.bulk_create(match_objects(explained, run_id=other.pk))
    assert rows(run) == rows(other)

    again = MatchRunFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        write_matches(explained, run_id=again.pk)
        raise RuntimeError("the activation failed")
    assert not Match.objects.filter(run=again).exists()


def test_the_explanation_of_every_row(postgres):
    run, explained, partnered = scored_population()
    write_matches(explained, run_id=run.pk)
    for match in Match.objects.filter(run=run).select_related("donor", "recipient"):
        codes = [area["area"] for area in match.top_areas]
        assert match.top_area_codes == (" " + " ".join(codes) + " " if codes else "")
        assert 1 <= len(codes) <= 3  # a stored pair always meets a need
        big, small = sorted([match.donor.population, match.recipient.population], reverse=True)
        assert match.size_ratio == pytest.approx(big / small)
        assert (match.donor_rank or match.recipient_rank) is not None
        assert match.existing_partnership == ((match.donor_id, match.recipient_id) == partnered)


def test_a_formatting_error_during_copy_writes_nothing(postgres, monkeypatch):
    from django.db import transaction

    from matching.services import writing

    run, explained, _ = scored_population()
    real_chunks = writing._copy_chunks

    def chunks_then_error(*args):
        chunks = real_chunks(*args)
        yield next(chunks)
        raise ValueError("bad row")

    monkeypatch.setattr(writing, "COPY_CHUNK_ROWS", 10)
    monkeypatch.setattr(writing, "_copy_chunks", chunks_then_error)
    with pytest.raises(ValueError, match="bad row"), transaction.atomic():
        write_matches(explained, run_id=run.pk)
    assert not Match.objects.filter(run=run).exists()


def test_top_areas_are_stored_as_compact_text_and_read_as_dicts(postgres):
    run, explained, _ = scored_population()
    write_matches(explained, run_id=run.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT donor_id, recipient_id, top_areas FROM matching_match WHERE run_id = %s",
            [run.pk],
        )
        stored = {(donor, recipient): text for donor, recipient, text in cursor.fetchall()}
    read = {
        (m["donor_id"], m["recipient_id"]): m["top_areas"]
        for m in Match.objects.filter(run=run).values("donor_id", "recipient_id", "top_areas")
    }
    assert stored.keys() == read.keys()
    for pair, text in stored.items():
        expected = " ".join(f"{a['area']}:{a['need']}:{a['expertise']}" for a in read[pair])
        assert text == expected, pair
        assert all(set(area) == {"area", "need", "expertise"} for area in read[pair])


def test_copy_loads_the_rows_in_the_default_list_order(postgres):
    from matching.services import partitions

    run, explained, _ = scored_population()
    # A run's own table, as a run loads it (fresh pages: no free space of earlier rows).
    table = partitions.create_run_table(run.pk)
    write_matches(explained, run_id=run.pk, table=table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT score, recipient_id, donor_id FROM {connection.ops.quote_name(table)} "
            "ORDER BY ctid"
        )
        physical = cursor.fetchall()
    assert len(physical) == len(explained)
    assert physical == sorted(physical, key=lambda row: (-row[0], row[1], row[2]))


@pytest.mark.parametrize(
    "areas",
    [
        [],
        [{"area": "waste", "need": 3, "expertise": 0}],
        [
            {"area": "low-carbon", "need": 1, "expertise": 2},
            {"area": "air_quality", "need": 0, "expertise": 3},
            {"area": "w2", "need": 2, "expertise": 1},
        ],
    ],
)
def test_top_areas_text_round_trip(areas):
    from matching.fields import format_top_areas, parse_top_areas

    assert parse_top_areas(format_top_areas(areas)) == areas


@pytest.mark.parametrize("code", ["", "two words", "a:b"])
def test_top_areas_refuse_codes_the_text_cannot_hold(code):
    from matching.fields import format_top_areas

    with pytest.raises(ValueError, match="top_areas"):
        format_top_areas([{"area": code, "need": 1, "expertise": 1}])


def test_reserved_ids_are_consecutive_and_drawn_by_no_one_else(postgres):
    from matching.services import partitions

    first = partitions.reserve_ids(5)
    second = partitions.reserve_ids(3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('matching_match', 'id'))")
        (following,) = cursor.fetchone()
    assert second >= first + 5
    assert following >= second + 3
    with pytest.raises(ValueError):
        partitions.reserve_ids(0)


def test_a_user_that_may_not_reserve_ids_leaves_them_to_the_sequence(postgres):
    from matching.services import partitions

    with connection.cursor() as cursor:
        # Rolled back with the test's transaction, like the role itself.
        cursor.execute("CREATE ROLE citymatch_test_not_owner")
        cursor.execute(
            "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO citymatch_test_not_owner"
        )
        cursor.execute("SET LOCAL ROLE citymatch_test_not_owner")
        try:
            assert partitions.reserve_ids(5) is None
        finally:
            cursor.execute("RESET ROLE")
