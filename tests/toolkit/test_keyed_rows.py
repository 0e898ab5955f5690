"""RowsByKey: a page's rows by their keys, from SQL compiled once per process."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler

from matching.models import Match
from tests.factories import MatchFactory, MatchRunFactory
from toolkit.keyed_rows import RowsByKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(db):
    run = MatchRunFactory(is_active=True)
    return [MatchFactory(run=run, score=score) for score in (40.5, 71.25, 88.0)]


def by_id(rows) -> dict:
    return {row["id"]: row for row in rows}


def test_rows_are_those_of_values_with_every_converter(stored):
    keys = [match.pk for match in stored[:2]]
    rows = RowsByKey(Match.objects.list_rows).fetch(keys)
    assert by_id(rows) == by_id(Match.objects.list_rows().filter(pk__in=keys))
    first = by_id(rows)[stored[0].pk]
    # Converted as the ORM converts them: fixed-point components, JSON, compact top areas.
    assert first["need_fit"] == pytest.approx(stored[0].need_fit)
    assert isinstance(first["top_areas"], list) and first["top_areas"][0]["area"]
    assert isinstance(first["practices"], list)


def test_the_sql_is_compiled_once_then_only_executed(
    stored, monkeypatch, django_assert_num_queries
):
    rows_by_key = RowsByKey(Match.objects.list_rows)
    rows_by_key.fetch([stored[0].pk])
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )
    with django_assert_num_queries(1):
        rows = rows_by_key.fetch([match.pk for match in stored])
    assert sorted(by_id(rows)) == sorted(match.pk for match in stored)
    if connection.vendor == "postgresql":
        assert compiled == []


def test_no_keys_read_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert RowsByKey(Match.objects.list_rows).fetch([]) == []


def test_only_values_querysets_are_taken(stored):
    with pytest.raises(ValueError, match="values"):
        RowsByKey(Match.objects.all).fetch([stored[0].pk])
