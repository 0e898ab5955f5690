"""Bulk inserts without a model instance per row: PostgreSQL's COPY, multi-row INSERT elsewhere.

``bulk_create`` builds and prepares one instance per row, which for hundreds of thousands of
rows costs more than the database does. COPY has no SQL to parse per row, and psycopg2
releases the GIL while the server parses a chunk, so formatting the next chunk (Python, in a
thread) overlaps with loading this one.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Iterable, Sequence

from django.db.backends.base.base import BaseDatabaseWrapper

NULL = "\\N"
# psycopg2 reads a chunk's buffer this many bytes at a time.
READ_BYTES = 1 << 20


def copy_text(value: str) -> str:
    """A text value in COPY's text format: backslash, tab, newline and CR escaped."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def copy_statement(
    connection: BaseDatabaseWrapper,
    table: str,
    columns: Sequence[str],
    *,
    binary: bool = False,
    freeze: bool = False,
) -> str:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(name) for name in columns)}) FROM STDIN"
    options = [*(["FORMAT binary"] if binary else []), *(["FREEZE"] if freeze else [])]
    return statement + f" WITH ({', '.join(options)})" if options else statement


# COPY's binary format (PostgreSQL docs, "COPY", "Binary Format"): a signature, flags and a
# header extension length; every row is a field count and (length, bytes) per field, length
# -1 for NULL; the file ends with a field count of -1.
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
BINARY_TRAILER = b"\xff\xff"


_DONE = object()


def copy_chunks(
    connection: BaseDatabaseWrapper,
    table: str,
    columns: Sequence[str],
    chunks: Iterable[str] | Iterable[bytes],
    *,
    binary: bool = False,
    freeze: bool = False,
) -> None:
    """COPY ``chunks`` (each many lines of COPY's text format) into ``table`` on PostgreSQL.

    ``binary``: each chunk is a whole stream in COPY's binary format instead (BINARY_HEADER,
    rows, BINARY_TRAILER), which the server reads without parsing numbers from text.

    ``freeze``: the rows are written already frozen and their pages marked all-visible, so
    nothing rewrites them to set hint bits later and index builds skip the per-row visibility
    test. Only for a table created in the current transaction (PostgreSQL refuses otherwise);
    other transactions that already hold a snapshot would see the rows once the table is
    visible to them.

    The chunks are produced in a thread while the server loads the previous one; the queue
    holds at most two, so memory stays bounded whatever the number of rows. An error on
    either side stops both and is raised here.
    """
    statement = copy_statement(connection, table, columns, binary=binary, freeze=freeze)
    pending: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        pending.put(chunk, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            pending.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            pending.put(exc)

    producer = threading.Thread(target=produce, name="copy-formatter", daemon=True)
    producer.start()
    try:
        with connection.cursor() as cursor:
            while (chunk := pending.get()) is not _DONE:
                if isinstance(chunk, BaseException):
                    raise chunk
                stream = io.BytesIO(chunk) if binary else io.StringIO(chunk)
                cursor.copy_expert(statement, stream, READ_BYTES)
    finally:
        stop.set()
        producer.join()


def insert_numbers(
    connection: BaseDatabaseWrapper,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[int | float, ...]],
) -> None:
    """Insert tuples of ints and floats (checked already: no quoting needed) into ``table``.

    COPY on PostgreSQL; on other databases multi-row INSERTs within the parameter limit.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        text = "".join("\t".join(map(repr, row)) + "\n" for row in rows)
        copy_chunks(connection, table, columns, [text])
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    limit = connection.features.max_query_params
    per_statement = min(5000, limit // len(columns)) if limit else 5000
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({names}) VALUES "
                + ", ".join([placeholder] * len(batch)),
                [value for row in batch for value in row],
            )
