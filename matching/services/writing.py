"""Engine output → ``Match`` rows: the explanation of every score, and the fast way in.

The engine returns row indices and numbers; this module turns them into what a reader sees
(city ids, policy-area codes, the donor's practices, whether a partnership already exists) and
writes them. On PostgreSQL the rows go in through ``COPY`` in chunks, which is an order of
magnitude faster than INSERTs for the hundreds of thousands of rows of a run; SQLite, the
one-machine default, gets ``bulk_create``.

Explanation strings are assembled from small lookup tables (one JSON fragment per area, need
and expertise level) instead of serialising a dict per row, because a run writes ~1e6 rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection

from bestpractices.services import practices_in_areas
from toolkit.pgcopy import NULL, copy_chunks, copy_text

from ..models import COMPONENTS, Match
from .arrays import ScoringInputs

COPY_CHUNK_ROWS = 20_000
BULK_CREATE_BATCH = 2_000
# The columns written, in the order of the COPY statement.
MATCH_COLUMNS = (
    "run_id",
    "donor_id",
    "recipient_id",
    "score",
    *COMPONENTS,
    "donor_rank",
    "recipient_rank",
    "size_ratio",
    "top_areas",
    "top_area_codes",
    "practices",
    "gives_back",
    "existing_partnership",
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
        rows = np.flatnonzero(keep)
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


def _distinct_texts(keys: np.ndarray, render) -> np.ndarray:
    """``render(key)`` for every row, computed once per distinct key (an object array).

    A run has ~1e6 rows but only a few thousand distinct explanations (three areas with two
    levels each, a set of areas): rendering each once and indexing beats a dict per row.
    """
    if not len(keys):
        return np.empty(0, dtype=object)
    unique, inverse = np.unique(keys, return_inverse=True, axis=0 if keys.ndim > 1 else None)
    texts = np.empty(len(unique), dtype=object)
    texts[:] = [render(key) for key in unique.tolist()]
    return texts[inverse.reshape(-1)]


def _area_texts(explained: ExplainedMatches) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the ``top_areas`` JSON text and the ``top_area_codes`` text (" waste air ")."""
    codes = explained.area_codes
    slot_base = 16 * (len(codes) + 1)
    # One integer per slot: (area + 1, need, expertise), 0 for an empty slot; three per row.
    slots = np.where(
        explained.top_areas >= 0,
        (explained.top_areas + 1) * 16 + explained.top_needs * 4 + explained.top_expertise,
        0,
    )
    keys = (slots[:, 0] * slot_base + slots[:, 1]) * slot_base + slots[:, 2]

    def slots_of(key: int) -> list[tuple[int, int, int]]:
        found = []
        for _ in range(3):
            key, slot = divmod(key, slot_base)
            if slot:
                found.append((slot // 16 - 1, slot // 4 % 4, slot % 4))
        return found[::-1]

    def top_json(key: int) -> str:
        return json.dumps(
            [{"area": codes[a], "need": n, "expertise": e} for a, n, e in slots_of(key)]
        )

    def top_codes(key: int) -> str:
        names = [codes[a] for a, _, _ in slots_of(key)]
        return " " + " ".join(names) + " " if names else ""

    return _distinct_texts(keys, top_json), _distinct_texts(keys, top_codes)


def _gives_back_texts(explained: ExplainedMatches) -> np.ndarray:
    """Per row: the JSON list of area codes where the recipient can help the donor."""
    codes = explained.area_codes
    gives_back = explained.gives_back
    if gives_back.shape[1] < 63:
        keys = gives_back.astype(np.int64) @ (1 << np.arange(gives_back.shape[1], dtype=np.int64))
        return _distinct_texts(
            keys, lambda mask: json.dumps([c for bit, c in enumerate(codes) if mask >> bit & 1])
        )
    return _distinct_texts(
        gives_back, lambda row: json.dumps([c for c, flag in zip(codes, row, strict=True) if flag])
    )


def _practices_texts(explained: ExplainedMatches) -> list[str]:
    return [
        json.dumps([{"id": pk, "title": title} for pk, title in listed]) if listed else "[]"
        for listed in explained.practices
    ]


# --- PostgreSQL: COPY ---------------------------------------------------------------------


def _copy_chunks(explained: ExplainedMatches, run_id: int) -> Iterator[str]:
    """The rows in COPY's text format, ``COPY_CHUNK_ROWS`` rows per string."""
    top_json, top_codes = _area_texts(explained)
    gives_back = _gives_back_texts(explained)
    practices = [copy_text(text) for text in _practices_texts(explained)]
    run = str(run_id)

    def ranks(values: np.ndarray) -> list[str]:
        return [str(rank) if rank else NULL for rank in values.tolist()]

    for start in range(0, len(explained), COPY_CHUNK_ROWS):
        part = slice(start, start + COPY_CHUNK_ROWS)
        columns = [
            [run] * len(explained.donor_ids[part]),
            list(map(str, explained.donor_ids[part].tolist())),
            list(map(str, explained.recipient_ids[part].tolist())),
            list(map(repr, explained.score[part].tolist())),
            *(list(map(repr, column.tolist())) for column in explained.components[part].T),
            ranks(explained.donor_rank[part]),
            ranks(explained.recipient_rank[part]),
            list(map(repr, explained.size_ratio[part].tolist())),
            top_json[part].tolist(),
            top_codes[part].tolist(),
            practices[part],
            gives_back[part].tolist(),
            ["t" if flag else "f" for flag in explained.existing_partnership[part].tolist()],
        ]
        yield "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


# --- Everywhere: model instances ----------------------------------------------------------


def match_objects(explained: ExplainedMatches, *, run_id: int | None) -> list[Match]:
    """Unsaved ``Match`` instances (for ``bulk_create`` and for on-the-fly scoring)."""
    top_json, top_codes = _area_texts(explained)
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
                top_areas=json.loads(top_json[row]),
                top_area_codes=top_codes[row],
                practices=[{"id": pk, "title": title} for pk, title in explained.practices[row]],
                gives_back=json.loads(gives_back[row]),
                existing_partnership=bool(explained.existing_partnership[row]),
            )
        )
    return objects


def write_matches(explained: ExplainedMatches, *, run_id: int, table: str | None = None) -> int:
    """Insert the rows under ``run_id``: COPY on PostgreSQL, ``bulk_create`` elsewhere.

    ``table``: on PostgreSQL, COPY into that table (a run's partition being loaded) instead
    of the match table.
    """
    if not len(explained):
        return 0
    if settings.USING_POSTGRES and connection.vendor == "postgresql":
        copy_chunks(
            connection,
            table or Match._meta.db_table,
            MATCH_COLUMNS,
            _copy_chunks(explained, run_id),
        )
    else:
        Match.objects.bulk_create(
            match_objects(explained, run_id=run_id), batch_size=BULK_CREATE_BATCH
        )
    return len(explained)
