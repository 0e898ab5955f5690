"""The rows of a ``values()`` query by their keys, from SQL compiled once per process.

A list page reads its rows by the keys of the page (``toolkit/api/pagination.py``). For the
match lists that query selects 43 columns over three joined tables, and Django compiled it
afresh on every request: 1–2 ms of CPU for SQL that differed only in its 25 keys, more than
PostgreSQL took to answer it (bench/api.py). Here it is compiled once, with the keys as one
array parameter, and each call only executes it and applies the fields' converters, as
``QuerySet.values()`` would.

PostgreSQL only: elsewhere the keys go through the ORM as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    keys_at: int  # the position of the keys' array among the parameters
    names: list[str]
    compiler: SQLCompiler


class RowsByKey:
    """``rows_by_key.fetch(keys)``: the rows of ``make_queryset()`` whose primary key is in
    ``keys``, as dicts named as ``values()`` names them, in no order.

    ``make_queryset`` returns a ``values()`` queryset whose SQL never changes: no filter that
    depends on the request, the language or the time.
    """

    def __init__(self, make_queryset: Callable[[], QuerySet]):
        self.make_queryset = make_queryset
        self._compiled: dict[tuple[str, int], _Compiled] = {}
        self._lock = threading.Lock()

    def fetch(self, keys: Iterable[Any]) -> list[dict]:
        keys = list(keys)
        queryset = self.make_queryset()
        if not keys:
            return []
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            _value_names(queryset.query)
            return list(queryset.filter(pk__in=keys))
        compiled = self._compiled_for(queryset)
        params = list(compiled.params)
        params[compiled.keys_at] = keys
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        # The field converters (JSON, fixed-point components, compact top areas…), as the
        # compiler applies them to the rows it fetches itself.
        converted = compiled.compiler.results_iter(results=[rows])
        names = compiled.names
        return [dict(zip(names, row, strict=True)) for row in converted]

    def _compiled_for(self, queryset: QuerySet) -> _Compiled:
        # A compiler holds the connection of the thread that made it: one per thread.
        key = (queryset.db, id(connections[queryset.db]))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compile(queryset)
            with self._lock:
                self._compiled[key] = compiled
        return compiled

    def _compile(self, queryset: QuerySet) -> _Compiled:
        marker: list[Any] = []
        # ``id IN (SELECT unnest(%s))``: one parameter however many keys, so one SQL text.
        keyed = queryset.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (marker,)))
        query = keyed.query
        compiler = query.get_compiler(keyed.db)
        sql, params = compiler.as_sql()
        positions = [index for index, param in enumerate(params) if param is marker]
        if len(positions) != 1:
            raise ValueError("The queryset's SQL must hold the keys' parameter exactly once.")
        return _Compiled(sql, tuple(params), positions[0], _value_names(query), compiler)


def _value_names(query) -> list[str]:
    """The keys of a ``values()`` row, as ``ValuesIterable`` names them."""
    if query.selected:
        names = list(query.selected)
    else:
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
    if not names:
        raise ValueError("RowsByKey reads values() querysets only.")
    return names
