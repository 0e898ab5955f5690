"""Engine output → ``Match`` rows: the explanation of every score, and the fast way in.

The engine returns row indices and numbers; this module turns them into what a reader sees
(city ids, policy-area codes, the donor's practices, whether a partnership already exists) and
writes them. On PostgreSQL the rows go in through ``COPY`` (binary format) in chunks, which is
an order of magnitude faster than INSERTs for the hundreds of thousands of rows of a run; SQLite, the
one-machine default, gets one ``executemany`` of plain tuples on its own cursor (no model
instances), in the caller's transaction.

Explanation strings are assembled from small lookup tables (one JSON fragment per area, need
and expertise level) instead of serialising a dict per row, because a run writes ~1e6 rows.
"""

from __future__ import annotations

import itertools
import json
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection

from bestpractices.services import practices_in_areas
from toolkit.pgcopy import BINARY_HEADER, BINARY_TRAILER, copy_chunks

from ..fields import MILLIONTHS, parse_top_areas
from ..models import COMPONENTS, Match
from .arrays import ScoringInputs

COPY_CHUNK_ROWS = 20_000
BULK_CREATE_BATCH = 2_000
# The columns written, in the order of the COPY statement: the fixed-width ones first (one
# numpy record per row in COPY's binary format), then those of varying length.
INTEGER_COLUMNS = ("run_id", "donor_id", "recipient_id")
FLOAT_COLUMNS = ("score", "size_ratio")
# The components, as integer millionths (``fields.MillionthsField``).
MILLIONTHS_COLUMNS = COMPONENTS
MATCH_COLUMNS = (
    *INTEGER_COLUMNS,
    *FLOAT_COLUMNS,
    *MILLIONTHS_COLUMNS,
    "existing_partnership",
    "donor_rank",
    "recipient_rank",
    "top_areas",
    "top_area_codes",
    "practices",
    "gives_back",
)


@dataclass
class ExplainedMatches:
    """Column-wise matches with everything a ``Match`` row holds, aligned by position."""

    donor_ids: np.ndarray
    recipient_ids: np.ndarray
    score: np.ndarray
    components: np.ndarray  # (M, 8), in the order of COMPONENTS
    donor_rank: np.ndarray  # 0 = not in the donor's top K (stored as NULL)
    recipient_rank: np.ndarray
    size_ratio: np.ndarray
    top_areas: np.ndarray  # (M, 3) column indices, -1 padded
    top_needs: np.ndarray  # (M, 3) the recipient's need in each top area
    top_expertise: np.ndarray  # (M, 3) the donor's expertise in each top area
    gives_back: np.ndarray  # (M, A) bool
    practices: list[list[tuple[int, str]]]  # per row: the donor's practices in the top areas
    existing_partnership: np.ndarray  # (M,) bool
    area_codes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.donor_ids)

    def without_cities(self, city_ids: set[int]) -> ExplainedMatches:
        """The rows that involve none of ``city_ids`` (cities deleted since the scoring)."""
        if not city_ids:
            return self
        gone = np.fromiter(city_ids, dtype=np.int64)
        keep = ~(np.isin(self.donor_ids, gone) | np.isin(self.recipient_ids, gone))
        return self.take(np.flatnonzero(keep))

    def take(self, rows: np.ndarray) -> ExplainedMatches:
        """These rows (positions), in this order."""
        values = {
            name: getattr(self, name)[rows]
            for name in self.__dataclass_fields__
            if isinstance(getattr(self, name), np.ndarray)
        }
        return ExplainedMatches(
            **values,
            practices=[self.practices[row] for row in rows.tolist()],
            area_codes=self.area_codes,
        )


def explain(
    inputs: ScoringInputs, matches, *, partnerships: set[tuple[int, int]]
) -> ExplainedMatches:
    """Add city ids, levels, practices and the partnership flag to the engine's ``Matches``."""
    arrays = inputs.arrays
    donor_rows = np.asarray(matches.donor, dtype=np.int64)
    recipient_rows = np.asarray(matches.recipient, dtype=np.int64)
    donor_ids = arrays.ids[donor_rows]
    recipient_ids = arrays.ids[recipient_rows]
    population = np.asarray(arrays.population, dtype=np.float64)
    donor_pop, recipient_pop = population[donor_rows], population[recipient_rows]
    size_ratio = np.maximum(donor_pop, recipient_pop) / np.minimum(donor_pop, recipient_pop)

    top_areas = np.asarray(matches.top_areas, dtype=np.int64).reshape(len(donor_rows), 3)
    padded = top_areas < 0
    safe_areas = np.where(padded, 0, top_areas)
    top_needs = np.where(padded, 0, arrays.needs[recipient_rows[:, None], safe_areas])
    top_expertise = np.where(padded, 0, arrays.expertise[donor_rows[:, None], safe_areas])

    practices = _practices_per_row(inputs, donor_rows, donor_ids, top_areas)
    if partnerships:
        existing = np.fromiter(
            (
                (int(d), int(r)) in partnerships
                for d, r in zip(donor_ids, recipient_ids, strict=True)
            ),
            dtype=bool,
            count=len(donor_ids),
        )
    else:
        existing = np.zeros(len(donor_ids), dtype=bool)
    return ExplainedMatches(
        donor_ids=donor_ids,
        recipient_ids=recipient_ids,
        # The engine computes in float32; the database keeps what a reader sees: the score to
        # one decimal (SCORING.md) and the components to six.
        score=np.round(np.asarray(matches.score, dtype=np.float64), 1),
        components=np.round(
            np.asarray(matches.components, dtype=np.float64).reshape(-1, len(COMPONENTS)), 6
        ),
        donor_rank=np.asarray(matches.donor_rank, dtype=np.int64),
        recipient_rank=np.asarray(matches.recipient_rank, dtype=np.int64),
        size_ratio=size_ratio,
        top_areas=top_areas,
        top_needs=top_needs.astype(np.int64),
        top_expertise=top_expertise.astype(np.int64),
        gives_back=np.asarray(matches.gives_back, dtype=bool).reshape(
            len(donor_rows), len(inputs.area_codes)
        ),
        practices=practices,
        existing_partnership=existing,
        area_codes=inputs.area_codes,
    )


def _practices_per_row(
    inputs: ScoringInputs, donor_rows: np.ndarray, donor_ids: np.ndarray, top_areas: np.ndarray
) -> list[list[tuple[int, str]]]:
    """The donor's published practices in each row's top areas, asked for in one query.

    Only (donor, area) cells whose published-practice count is positive are looked up, so a
    run over a sparse catalogue asks about a few hundred cells, not a million rows.
    """
    empty: list[tuple[int, str]] = []
    rows = len(donor_rows)
    result = [empty] * rows
    if not rows or not inputs.arrays.practices.any():
        return result
    counts = inputs.arrays.practices[donor_rows[:, None], np.where(top_areas < 0, 0, top_areas)]
    has_practice = (counts > 0) & (top_areas >= 0)
    wanted_rows = np.flatnonzero(has_practice.any(axis=1))
    if not len(wanted_rows):
        return result
    codes = inputs.area_codes
    cells = {
        (int(donor_ids[row]), codes[area])
        for row in wanted_rows.tolist()
        for area, present in zip(top_areas[row].tolist(), has_practice[row].tolist(), strict=True)
        if present
    }
    found = practices_in_areas(cells)
    for row in wanted_rows.tolist():
        donor_id = int(donor_ids[row])
        listed: list[tuple[int, str]] = []
        seen: set[int] = set()
        for area, present in zip(top_areas[row].tolist(), has_practice[row].tolist(), strict=True):
            if not present:
                continue
            for practice_id, title in found.get((donor_id, codes[area]), ()):
                # A practice filed under two top areas is listed once.
                if practice_id not in seen:
                    seen.add(practice_id)
                    listed.append((practice_id, title))
        result[row] = listed
    return result


# --- Column values ------------------------------------------------------------------------


def _distinct(keys: np.ndarray, render) -> tuple[list, np.ndarray]:
    """``render(key)`` once per distinct key, and each row's position in that list.

    A run has ~1e6 rows but only a few thousand distinct explanations (three areas with two
    levels each, a set of areas): rendering each once and indexing beats a dict per row.
    """
    if not len(keys):
        return [], np.empty(0, dtype=np.int64)
    unique, inverse = np.unique(keys, return_inverse=True, axis=0 if keys.ndim > 1 else None)
    return [render(key) for key in unique.tolist()], inverse.reshape(-1)


def _distinct_texts(keys: np.ndarray, render) -> np.ndarray:
    """``render(key)`` for every row, computed once per distinct key (an object array)."""
    rendered, inverse = _distinct(keys, render)
    texts = np.empty(len(rendered), dtype=object)
    texts[:] = rendered
    return texts[inverse]


def _area_keys(explained: ExplainedMatches):
    """One integer per row for its top areas and levels, and the two renderings of a key.

    Returns (keys, top_text, top_codes): ``top_text(key)`` is the stored ``top_areas`` text
    ("waste:3:2 air:2:1", ``fields.TopAreasField``), ``top_codes(key)`` the
    ``top_area_codes`` text (" waste air ").
    """
    codes = explained.area_codes
    slot_base = 16 * (len(codes) + 1)
    # One integer per slot: (area + 1, need, expertise), 0 for an empty slot; three per row.
    slots = np.where(
        explained.top_areas >= 0,
        (explained.top_areas + 1) * 16 + explained.top_needs * 4 + explained.top_expertise,
        0,
    )
    keys = (slots[:, 0] * slot_base + slots[:, 1]) * slot_base + slots[:, 2]

    # Each slot's rendering, by slot value (0 and the values below 16 are empty slots).
    slot_texts = [""] * slot_base
    slot_codes = [""] * slot_base
    for slot in range(16, slot_base):
        code = codes[slot // 16 - 1]
        slot_texts[slot] = f"{code}:{slot // 4 % 4}:{slot % 4}"
        slot_codes[slot] = code
    square = slot_base * slot_base

    def slots_of(key: int) -> tuple[int, int, int]:
        return key // square, key // slot_base % slot_base, key % slot_base

    def top_text(key: int) -> str:
        return " ".join([slot_texts[slot] for slot in slots_of(key) if slot])

    def top_codes(key: int) -> str:
        names = [slot_codes[slot] for slot in slots_of(key) if slot]
        return " " + " ".join(names) + " " if names else ""

    return keys, top_text, top_codes


def _area_texts(explained: ExplainedMatches) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the stored ``top_areas`` text and the ``top_area_codes`` text (" waste air ")."""
    keys, top_text, top_codes = _area_keys(explained)
    return _distinct_texts(keys, top_text), _distinct_texts(keys, top_codes)


def _gives_back_texts(explained: ExplainedMatches, encode=None) -> np.ndarray:
    """Per row: the JSON list of area codes where the recipient can help the donor.

    ``encode``: applied to each distinct text (once, not per row).
    """
    rendered, inverse = _distinct_gives_back(explained, encode)
    texts = np.empty(len(rendered), dtype=object)
    texts[:] = rendered
    return texts[inverse]


def _distinct_gives_back(explained: ExplainedMatches, encode=None) -> tuple[list, np.ndarray]:
    """``_distinct`` of the rows' gives_back lists (JSON text, or ``encode`` of it)."""
    codes = explained.area_codes
    gives_back = explained.gives_back
    finish = encode or (lambda text: text)
    if gives_back.shape[1] < 63:
        # Eight flags per byte, the bytes read as one little-endian integer per row.
        packed = np.packbits(gives_back, axis=1, bitorder="little")
        padded = np.zeros((len(packed), 8), dtype=np.uint8)
        padded[:, : packed.shape[1]] = packed
        keys = padded.view("<u8").reshape(-1).astype(np.int64)
        return _distinct(
            keys,
            lambda mask: finish(json.dumps([c for bit, c in enumerate(codes) if mask >> bit & 1])),
        )
    return _distinct(
        gives_back,
        lambda row: finish(json.dumps([c for c, flag in zip(codes, row, strict=True) if flag])),
    )


def _practices_texts(explained: ExplainedMatches) -> list[str]:
    return [
        json.dumps([{"id": pk, "title": title} for pk, title in listed]) if listed else "[]"
        for listed in explained.practices
    ]


# --- PostgreSQL: COPY in binary format -------------------------------------------------
#
# The server reads binary numbers as they are, where the text format made it parse ten floats
# and three integers per row (and Python print them). Each row is a fixed-width record (field
# count, then length and big-endian value of every integer, float and boolean column) built
# for all rows at once by numpy, followed by the fields of varying length, each rendered once
# per distinct value.


def _record_dtype(integers: tuple[str, ...]) -> np.dtype:
    return np.dtype(
        [("fields", ">i2")]
        + [item for name in integers for item in ((f"{name}_size", ">i4"), (name, ">i8"))]
        + [item for name in FLOAT_COLUMNS for item in ((f"{name}_size", ">i4"), (name, ">f8"))]
        + [item for name in MILLIONTHS_COLUMNS for item in ((f"{name}_size", ">i4"), (name, ">i4"))]
        + [("existing_partnership_size", ">i4"), ("existing_partnership", "u1")]
    )


_FIXED_RECORD = _record_dtype(INTEGER_COLUMNS)
# With the row's id first: a run's own table is loaded with ids reserved beforehand
# (``partitions.reserve_ids``), so the server does not draw each row's id from the sequence.
_FIXED_RECORD_WITH_ID = _record_dtype(("id", *INTEGER_COLUMNS))
_NULL_FIELD = struct.pack(">i", -1)
JSONB_VERSION = b"\x01"


def _field(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def _jsonb_field(text: str) -> bytes:
    return _field(JSONB_VERSION + text.encode())


def _fixed_records(
    explained: ExplainedMatches,
    run_id: int,
    part: slice | np.ndarray,
    ids: np.ndarray | None = None,
) -> bytes:
    """The fixed-width fields of rows ``part``, one big-endian record per row; with ``ids``
    (one per row of ``part``), the id field first (``_FIXED_RECORD_WITH_ID``).

    Filled in native byte order from a template holding the constant fields (a chunk's records
    stay in cache), then byte-swapped at once: several times faster than assigning to the
    fields of a big-endian array.
    """
    native = (_FIXED_RECORD if ids is None else _FIXED_RECORD_WITH_ID).newbyteorder("=")
    template = np.zeros(1, dtype=native)
    template["fields"] = len(MATCH_COLUMNS) + (ids is not None)
    template["run_id"] = run_id
    for name in native.names or ():
        if name.endswith("_size"):
            template[name] = native[name.removesuffix("_size")].itemsize
    donor_ids = explained.donor_ids[part]
    records = np.repeat(template, len(donor_ids))
    if ids is not None:
        records["id"] = ids
    records["donor_id"] = donor_ids
    records["recipient_id"] = explained.recipient_ids[part]
    records["score"] = explained.score[part]
    millionths = np.rint(explained.components[part] * MILLIONTHS)
    for column, name in enumerate(MILLIONTHS_COLUMNS):
        records[name] = millionths[:, column]
    records["size_ratio"] = explained.size_ratio[part]
    records["existing_partnership"] = explained.existing_partnership[part]
    return records.byteswap().tobytes() if sys.byteorder == "little" else records.tobytes()


def _rank_fields(explained: ExplainedMatches) -> np.ndarray:
    """Per row: the donor_rank and recipient_rank fields (0 = not in that top K = NULL)."""
    base = int(max(explained.donor_rank.max(initial=0), explained.recipient_rank.max(initial=0)))
    base += 1

    def rank(value: int) -> bytes:
        return _field(struct.pack(">i", value)) if value else _NULL_FIELD

    keys = explained.donor_rank * base + explained.recipient_rank
    return _distinct_texts(keys, lambda key: rank(key // base) + rank(key % base))


def _tail_fields(explained: ExplainedMatches) -> np.ndarray:
    """Per row: the fields after the ranks (top_areas, top_area_codes, practices, gives_back)
    as one bytes object, rendered once per distinct combination of the three explanations."""
    keys, top_text, top_codes = _area_keys(explained)
    areas, area_rows = _distinct(
        keys, lambda key: _field(top_text(key).encode()) + _field(top_codes(key).encode())
    )
    gives_back, gives_back_rows = _distinct_gives_back(explained, encode=_jsonb_field)
    # Most rows list no practice: only the others are rendered.
    practices = [_jsonb_field("[]")]
    practice_rows = np.zeros(len(explained), dtype=np.int64)
    found: dict[str, int] = {}
    for row, listed in enumerate(explained.practices):
        if listed:
            text = json.dumps([{"id": pk, "title": title} for pk, title in listed])
            if text not in found:
                found[text] = len(practices)
                practices.append(_jsonb_field(text))
            practice_rows[row] = found[text]
    combined = (area_rows * len(practices) + practice_rows) * len(gives_back) + gives_back_rows

    def render(key: int) -> bytes:
        rest, gives = divmod(key, len(gives_back))
        area, practice = divmod(rest, len(practices))
        return areas[area] + practices[practice] + gives_back[gives]

    return _distinct_texts(combined, render)


def heap_order(explained: ExplainedMatches) -> np.ndarray:
    """The rows in the order of the lists' default index (score descending, then recipient and
    donor): loaded in that order, the index is built from presorted rows (the sort finds them
    in order and stops) and a page of the default list reads neighbouring table pages."""
    return np.lexsort((explained.donor_ids, explained.recipient_ids, -explained.score))


def _copy_chunks(
    explained: ExplainedMatches, run_id: int, first_id: int | None = None
) -> Iterator[bytes]:
    """The rows as streams in COPY's binary format, ``COPY_CHUNK_ROWS`` rows per stream,
    in ``heap_order``; with ``first_id``, each row's id first, ascending in that order (so the
    primary key's index is built from presorted rows too)."""
    ranks = _rank_fields(explained)
    tails = _tail_fields(explained)
    order = heap_order(explained)
    width = (_FIXED_RECORD if first_id is None else _FIXED_RECORD_WITH_ID).itemsize
    for start in range(0, len(explained), COPY_CHUNK_ROWS):
        part = order[start : start + COPY_CHUNK_ROWS]
        ids = (
            None if first_id is None else np.arange(first_id + start, first_id + start + len(part))
        )
        fixed = _fixed_records(explained, run_id, part, ids)
        fixed_rows = [fixed[at : at + width] for at in range(0, len(fixed), width)]
        fields = zip(fixed_rows, ranks[part].tolist(), tails[part].tolist(), strict=True)
        yield BINARY_HEADER + b"".join(itertools.chain.from_iterable(fields)) + BINARY_TRAILER


# --- SQLite: one executemany of plain tuples ------------------------------------------
#
# ``bulk_create`` spent most of a run's writing on building and converting ~1e5 model
# instances; here every column is converted once for all rows (numpy to Python values, each
# distinct JSON text rendered once) and the rows go to SQLite's own ``executemany``, in the
# order of the run's main index (best score first), with a larger page cache for the load.

SQLITE_LOAD_CACHE_KIB = 64 * 1024


def sqlite_rows(explained: ExplainedMatches, run_id: int) -> Iterator[tuple]:
    """The rows as tuples of the values SQLite stores, in the order of ``MATCH_COLUMNS``,
    best score first."""
    order = np.lexsort((explained.donor_ids, explained.recipient_ids, -explained.score))
    top_json, top_codes = _area_texts(explained)
    practices = _practices_texts(explained)
    return zip(
        itertools.repeat(run_id, len(order)),
        explained.donor_ids[order].tolist(),
        explained.recipient_ids[order].tolist(),
        explained.score[order].tolist(),
        explained.size_ratio[order].tolist(),
        *np.rint(explained.components[order] * MILLIONTHS).astype(np.int64).T.tolist(),
        explained.existing_partnership[order].tolist(),
        [rank or None for rank in explained.donor_rank[order].tolist()],
        [rank or None for rank in explained.recipient_rank[order].tolist()],
        top_json[order].tolist(),
        top_codes[order].tolist(),
        [practices[row] for row in order.tolist()],
        _gives_back_texts(explained)[order].tolist(),
        strict=True,
    )


def _write_sqlite(explained: ExplainedMatches, run_id: int) -> None:
    """Insert every row with one ``executemany`` inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("The matches of a run are written inside its transaction.")
    table = connection.ops.quote_name(Match._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in MATCH_COLUMNS)
    marks = ", ".join("?" * len(MATCH_COLUMNS))
    connection.ensure_connection()
    cursor = connection.connection.cursor()  # sqlite3's own: no per-row wrapping
    (cache_size,) = cursor.execute("PRAGMA cache_size").fetchone()
    try:
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_LOAD_CACHE_KIB}")
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", sqlite_rows(explained, run_id)
        )
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
        cursor.close()


# --- Everywhere: model instances ----------------------------------------------------------


def match_objects(explained: ExplainedMatches, *, run_id: int | None) -> list[Match]:
    """Unsaved ``Match`` instances (for ``bulk_create`` and for on-the-fly scoring)."""
    top_texts, top_codes = _area_texts(explained)
    gives_back = _gives_back_texts(explained)
    component_columns = [column.tolist() for column in explained.components.T]
    # Matches scored on the fly belong to no run (they are never saved): ``run`` stays unset.
    of_run = {"run_id": run_id} if run_id is not None else {}
    objects = []
    for row, (donor_id, recipient_id, score, donor_rank, recipient_rank, ratio) in enumerate(
        zip(
            explained.donor_ids.tolist(),
            explained.recipient_ids.tolist(),
            explained.score.tolist(),
            explained.donor_rank.tolist(),
            explained.recipient_rank.tolist(),
            explained.size_ratio.tolist(),
            strict=True,
        )
    ):
        objects.append(
            Match(
                **of_run,
                donor_id=donor_id,
                recipient_id=recipient_id,
                score=score,
                **{
                    name: column[row]
                    for name, column in zip(COMPONENTS, component_columns, strict=True)
                },
                donor_rank=donor_rank or None,
                recipient_rank=recipient_rank or None,
                size_ratio=ratio,
                top_areas=parse_top_areas(top_texts[row]),
                top_area_codes=top_codes[row],
                practices=[{"id": pk, "title": title} for pk, title in explained.practices[row]],
                gives_back=json.loads(gives_back[row]),
                existing_partnership=bool(explained.existing_partnership[row]),
            )
        )
    return objects


def write_matches(
    explained: ExplainedMatches,
    *,
    run_id: int,
    table: str | None = None,
    first_id: int | None = None,
) -> int:
    """Insert the rows under ``run_id``: COPY on PostgreSQL, ``executemany`` on SQLite,
    ``bulk_create`` elsewhere.

    ``table``: on PostgreSQL, COPY into that table (a run's partition being loaded, created in
    this transaction: the rows go in frozen, ``copy_chunks``) instead of the match table.
    ``first_id``: on PostgreSQL, the rows get the ids ``first_id``, ``first_id + 1``, ... in
    the order they are loaded, instead of one ``nextval`` each from the server (a fifth of
    the COPY's work on the server); the caller has reserved them (``partitions.reserve_ids``).
    """
    if not len(explained):
        return 0
    if settings.USING_POSTGRES and connection.vendor == "postgresql":
        copy_chunks(
            connection,
            table or Match._meta.db_table,
            MATCH_COLUMNS if first_id is None else ("id", *MATCH_COLUMNS),
            _copy_chunks(explained, run_id, first_id),
            binary=True,
            freeze=table is not None,
        )
    elif connection.vendor == "sqlite":
        _write_sqlite(explained, run_id)
    else:
        Match.objects.bulk_create(
            match_objects(explained, run_id=run_id), batch_size=BULK_CREATE_BATCH
        )
    return len(explained)
