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

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection

from bestpractices.services import practices_in_areas

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


def _area_fragments(explained: ExplainedMatches) -> tuple[list[str], list[str]]:
    """Per row: the ``top_areas`` JSON text and the ``top_area_codes`` text (" waste air ")."""
    codes = explained.area_codes
    fragment = {}
    for col, code in enumerate(codes):
        for need in range(4):
            for expertise in range(4):
                fragment[(col, need, expertise)] = json.dumps(
                    {"area": code, "need": need, "expertise": expertise}
                )
    areas = explained.top_areas.tolist()
    needs = explained.top_needs.tolist()
    levels = explained.top_expertise.tolist()
    top_json: list[str] = []
    top_codes: list[str] = []
    for row_areas, row_needs, row_levels in zip(areas, needs, levels, strict=True):
        parts = [
            fragment[(area, need, level)]
            for area, need, level in zip(row_areas, row_needs, row_levels, strict=True)
            if area >= 0
        ]
        top_json.append("[" + ", ".join(parts) + "]")
        names = [codes[area] for area in row_areas if area >= 0]
        top_codes.append(" " + " ".join(names) + " " if names else "")
    return top_json, top_codes


def _gives_back_json(explained: ExplainedMatches) -> list[str]:
    """Per row: the JSON list of area codes where the recipient can help the donor."""
    codes = explained.area_codes
    gives_back = explained.gives_back
    if not gives_back.shape[1]:
        return ["[]"] * len(explained)
    # Each row's set of areas as one integer, so each distinct set is serialised once.
    if gives_back.shape[1] < 63:
        weights = 1 << np.arange(gives_back.shape[1], dtype=np.int64)
        masks = (gives_back.astype(np.int64) @ weights).tolist()
    else:
        weights = [1 << bit for bit in range(gives_back.shape[1])]
        masks = [
            sum(w for w, flag in zip(weights, row, strict=True) if flag)
            for row in gives_back.tolist()
        ]
    cache: dict[int, str] = {}
    result = []
    for mask in masks:
        text = cache.get(mask)
        if text is None:
            text = json.dumps([code for bit, code in enumerate(codes) if mask >> bit & 1])
            cache[mask] = text
        result.append(text)
    return result


def _practices_json(explained: ExplainedMatches) -> list[str]:
    return [
        json.dumps([{"id": pk, "title": title} for pk, title in listed]) if listed else "[]"
        for listed in explained.practices
    ]


# --- PostgreSQL: COPY ---------------------------------------------------------------------


def _copy_text(value: str) -> str:
    """Escape a value for COPY's text format (JSON never holds raw tabs or newlines)."""
    return value.replace("\\", "\\\\")


def _copy_lines(explained: ExplainedMatches, run_id: int) -> Iterator[str]:
    top_json, top_codes = _area_fragments(explained)
    gives_back = _gives_back_json(explained)
    practices = [_copy_text(text) for text in _practices_json(explained)]
    columns = [
        [str(run_id)] * len(explained),
        list(map(str, explained.donor_ids.tolist())),
        list(map(str, explained.recipient_ids.tolist())),
        list(map(repr, explained.score.tolist())),
        *(list(map(repr, column.tolist())) for column in explained.components.T),
        [str(rank) if rank else "\\N" for rank in explained.donor_rank.tolist()],
        [str(rank) if rank else "\\N" for rank in explained.recipient_rank.tolist()],
        list(map(repr, explained.size_ratio.tolist())),
        top_json,
        top_codes,
        practices,
        gives_back,
        ["t" if flag else "f" for flag in explained.existing_partnership.tolist()],
    ]
    for values in zip(*columns, strict=True):
        yield "\t".join(values) + "\n"


def _copy(explained: ExplainedMatches, run_id: int) -> None:
    table = connection.ops.quote_name(Match._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in MATCH_COLUMNS)
    statement = f"COPY {table} ({columns}) FROM STDIN"
    lines = _copy_lines(explained, run_id)
    with connection.cursor() as cursor:
        while True:
            chunk = [line for _, line in zip(range(COPY_CHUNK_ROWS), lines, strict=False)]
            if not chunk:
                break
            cursor.copy_expert(statement, io.StringIO("".join(chunk)))


# --- Everywhere: model instances ----------------------------------------------------------


def match_objects(explained: ExplainedMatches, *, run_id: int | None) -> list[Match]:
    """Unsaved ``Match`` instances (for ``bulk_create`` and for on-the-fly scoring)."""
    top_json, top_codes = _area_fragments(explained)
    gives_back = _gives_back_json(explained)
    component_columns = [column.tolist() for column in explained.components.T]
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
                run_id=run_id,
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


def write_matches(explained: ExplainedMatches, *, run_id: int) -> int:
    """Insert the rows under ``run_id``: COPY on PostgreSQL, ``bulk_create`` elsewhere."""
    if not len(explained):
        return 0
    if settings.USING_POSTGRES and connection.vendor == "postgresql":
        _copy(explained, run_id)
    else:
        Match.objects.bulk_create(
            match_objects(explained, run_id=run_id), batch_size=BULK_CREATE_BATCH
        )
    return len(explained)
