"""PostgreSQL: each run's matches in a partition of their own (migration 0007).

Loading ~1e6 rows into a table that already has its indexes costs a B-tree insertion per row
and index, most at random places; loading them into a bare table and then building each index
in one sorted pass costs a fraction of that. So a run:

1. creates ``matching_match_run_<id>`` shaped like the match table, plus a CHECK on its
   run id (which spares the ATTACH a scan of the rows),
2. COPYs its matches into it and adds the parent's constraints and indexes,
3. attaches it as the partition for its run id, in the transaction that activates the run.

All of it is one transaction: until it commits nobody sees the new table, and if anything
fails nothing is left behind. Dropping an old run drops its partition, at once. Rows of runs
without a partition (rescoring only adds rows to runs that have one; tests write some) live in
the DEFAULT partition.
"""

from __future__ import annotations

import re

from django.db import DatabaseError, connection, transaction

from ..models import Match

PARENT = Match._meta.db_table
# Columns the match lists filter on without an index of their own (matching/filtersets.py).
FILTERED_COLUMNS = ("score", "top_area_codes", "existing_partnership")
_RUN_TABLE = re.compile(rf"^{PARENT}_run_(\d+)$")
# PostgreSQL's SQLSTATE for "must be owner of sequence".
INSUFFICIENT_PRIVILEGE = "42501"


def partitioned() -> bool:
    """Whether the match table is partitioned here (PostgreSQL, migrated)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))",
            [PARENT],
        )
        return bool(cursor.fetchone()[0])


def run_table(run_id: int) -> str:
    return f"{PARENT}_run_{int(run_id)}"


def create_run_table(run_id: int) -> str:
    """A bare table for the run's matches (columns, defaults and CHECKs of the parent)."""
    table = run_table(run_id)
    quoted, parent = connection.ops.quote_name(table), connection.ops.quote_name(PARENT)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quoted}")
        cursor.execute(
            f"CREATE TABLE {quoted} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(
            f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(table + '_run')} "
            f"CHECK (run_id = {int(run_id)})"
        )
    return table


def reserve_ids(count: int) -> int | None:
    """Reserve ``count`` consecutive ids of the match table's sequence; the first of them, or
    None when the database user may not (then each row draws its own id, as before).

    A run's table is loaded with its ids in the rows (``writing.write_matches``): drawing one
    from the sequence per row was a fifth of the server's work in the COPY. Call it outside
    the run's transaction: the reservation holds every other ``nextval`` of the sequence (a
    rescoring's COPY) until its transaction ends. ``LOCK TABLE`` refuses sequences; ``ALTER
    SEQUENCE`` takes the lock that keeps them out, here restating the sequence's increment, so
    no other session draws an id between the ``nextval`` and the ``setval``. It needs the
    sequence's owner (the user that migrated the database). Ids a failed run reserved stay
    unused, like any sequence's values of a rolled back transaction.
    """
    if count < 1:
        raise ValueError("Reserve at least one id.")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # No wait for the disk: WAL is replayed in order, so a run whose commit survives a
            # crash has its reservation survive too.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [PARENT])
            (sequence,) = cursor.fetchone()
            cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 1")
            cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [sequence, sequence, count])
            (last,) = cursor.fetchone()
    except DatabaseError as exc:
        if getattr(exc.__cause__, "pgcode", None) != INSUFFICIENT_PRIVILEGE:
            raise
        return None
    return int(last) - count + 1


def index_run_table(run_id: int) -> None:
    """Give the loaded table the parent's constraints and indexes, so ATTACH adopts them."""
    table = run_table(run_id)
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY conname",
            [PARENT],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY i.indexrelid",
            [PARENT],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        # Each index is one sort of the run's rows: with the default 64 MB a 34,000-city run's
        # sorts spill to disk. For this transaction only.
        cursor.execute("SET LOCAL maintenance_work_mem TO '256MB'")
        for number, (_, definition) in enumerate(constraints):
            name = connection.ops.quote_name(f"{table}_c{number}")
            cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {name} {definition}")
        for number, definition in enumerate(indexes):
            # "CREATE INDEX match_order ON ONLY public.matching_match USING btree (...)"
            columns = definition[definition.index(" USING ") :]
            unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
            name = connection.ops.quote_name(f"{table}_i{number}")
            cursor.execute(f"CREATE {unique}INDEX {name} ON {quoted}{columns}")
        # Statistics before the first reader: the lists' plans and their estimated counts
        # (toolkit/api/pagination.py) need them, and autovacuum comes minutes later. Only the
        # columns the lists filter and order by (every indexed column, and FILTERED_COLUMNS):
        # half the work of all of them. An ANALYZE of some columns leaves the table's count of
        # changes as it was, so autovacuum still analyses the whole table soon after.
        cursor.execute(
            "SELECT DISTINCT a.attname FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s::regclass",
            [PARENT],
        )
        columns = sorted({row[0] for row in cursor.fetchall()} | set(FILTERED_COLUMNS))
        names = ", ".join(connection.ops.quote_name(name) for name in columns)
        cursor.execute(f"ANALYZE {quoted} ({names})")


def attach_run_table(run_id: int) -> None:
    quoted = connection.ops.quote_name(run_table(run_id))
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {connection.ops.quote_name(PARENT)} ATTACH PARTITION {quoted} "
            f"FOR VALUES IN ({int(run_id)})"
        )


def run_partitions() -> dict[int, str]:
    """Run id → name of every run partition attached to the match table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    return {int(m.group(1)): name for name in names if (m := _RUN_TABLE.match(name))}


def drop_run_partitions(run_ids) -> int:
    """Drop the partitions of these runs (all their matches, without a row-by-row DELETE)."""
    wanted = {int(pk) for pk in run_ids}
    dropped = 0
    with connection.cursor() as cursor:
        for run_id, name in run_partitions().items():
            if run_id in wanted:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(name)}")
                dropped += 1
    return dropped
