"""Progress bars (tqdm) for management commands that call the importer, exporter or loader."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

STAGE_LABELS = {
    "check": "Checking rows",
    "compare": "Comparing with stored cities",
    "write": "Writing cities",
    "export": "Exporting cities",
    "demo": "Loading demo cities",
    "engine": "Preparing the scoring engine (compiled once)",
}
STAGE_UNITS = {"engine": " kernels"}


@contextmanager
def progress_bars(stream: Any, *, disable: bool = False) -> Iterator:
    """A ``progress(stage, done, total)`` callback drawing one bar per stage on ``stream``.

    ``stream`` is any text file with ``write`` and ``flush`` (a command's underlying stderr).
    """
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(
                total=total,
                desc=STAGE_LABELS.get(stage, stage),
                unit=STAGE_UNITS.get(stage, " rows"),
                file=stream,
                disable=disable,
                mininterval=0.5,
                dynamic_ncols=True,
            )
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()
