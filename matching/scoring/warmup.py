"""Compiling (the first time) or loading from the disk cache every kernel of the engine, on
tiny inputs, with the exact dtypes and layouts the engine passes: where a process starts
(``migrate``, a worker, the web server) so that no request waits for a compiler."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .kernels import (
    CollectBuffers,
    ListArrays,
    chunk_side,
    collect_tile,
    complete_tile,
    distribute,
    terms_of,
    tile_side,
)
from .merging import warm_up_merging
from .pairs import warm_up_pairs

WARM_UP_STEPS = 5


def warm_up(progress: Callable[[int, int], None] | None = None) -> None:
    """Compile (first time) or load from the disk cache every kernel, on tiny inputs.

    Takes a fraction of a second once the cache holds them; several seconds the first time.
    ``progress(done, total)`` is called after each of the ``WARM_UP_STEPS`` steps.
    """

    def step(done: int) -> None:
        if progress is not None:
            progress(done, WARM_UP_STEPS)

    warm_up_pairs()
    step(1)
    rows, columns = 2, 3
    chunk = chunk_side(
        np.arange(rows),
        np.ones((rows, 1)),
        np.ones((rows, 1)),
        np.zeros(rows),
        np.zeros(rows),
    )
    tile = tile_side(
        np.arange(columns),
        np.ones((columns, 1)),
        np.ones((columns, 1)),
        np.zeros(1),
        np.zeros(1),
        np.zeros(columns),
    )
    terms = terms_of(
        size_by_exp=True,
        size_log_weight=1.0,
        uses_language=True,
        language_weight=0.1,
        budget_weight=0.1,
    )
    scores = np.zeros((rows, columns), dtype=np.float32)
    complete_tile(scores, chunk, tile, terms, mask_unfit=True)
    step(2)
    buffers = CollectBuffers(rows * columns)
    count, _ = collect_tile(
        scores,
        np.arange(rows),
        chunk,
        tile,
        terms,
        recipient_admission=np.zeros(rows),
        donor_admission=np.zeros(columns),
        complete=False,
        prune=True,
        out=buffers,
    )
    step(3)
    lists = [
        ListArrays(
            np.zeros((owners, 2), dtype=np.float32),
            np.zeros((owners, 2), dtype=np.int32),
            np.zeros(owners, dtype=np.int64),
        )
        for owners in (rows, columns)
    ]
    distribute(
        count,
        buffers,
        chunk_rows=np.arange(rows),
        tile_rows=np.arange(columns),
        tile_positions=np.arange(columns),
        recipient_lists=lists[0],
        donor_lists=lists[1],
    )
    step(4)
    warm_up_merging()
    step(5)
