"""The bar to enter each city's top K in a run: its K-th score, kept for rescoring.

When a profile edit rescores one city, that city may enter other cities' lists; whether it
does depends on their K-th score. Reading those from the run's rows means scanning a million
of them, so the run's activation computes them from the merged matches (free) and caches them.
"""

from __future__ import annotations

import numpy as np
from django.core.cache import cache

from matching.scoring import Matches

from ..models import Match, MatchRun

BARS_KEY = "partnerships:run-bars:{run_id}:{side}"
BARS_TIMEOUT_S = 7 * 24 * 3600


Bars = tuple[np.ndarray, np.ndarray, np.ndarray]  # city ids ascending, K-th score, its partner


def bars_of(matches: Matches, ids: np.ndarray, top_k: int) -> dict[str, Bars]:
    """For each side, every city's K-th score in merged run matches (and who holds rank K)."""
    result = {}
    for side, partner in (("donor", "recipient"), ("recipient", "donor")):
        at_k = np.flatnonzero(np.asarray(getattr(matches, f"{side}_rank")) == top_k)
        owners = ids[np.asarray(getattr(matches, side))[at_k]]
        order = np.argsort(owners, kind="stable")
        result[side] = (
            owners[order],
            np.asarray(matches.score, dtype=np.float64)[at_k][order],
            ids[np.asarray(getattr(matches, partner))[at_k]][order],
        )
    return result


def store_run_bars(run_id: int, bars: dict[str, Bars]) -> None:
    """Keep a run's bars for its rescorings (they cost nothing to compute at activation)."""
    for side, value in bars.items():
        cache.set(BARS_KEY.format(run_id=run_id, side=side), value, BARS_TIMEOUT_S)


def run_bars(run: MatchRun, side: str, top_k: int) -> Bars:
    """(city ids ascending, K-th score, the partner holding rank K) on ``side`` of ``run``.

    From the cache when the run's activation put them there, else read once from the rows
    ranked K (a scan of the run, then cached).
    """
    key = BARS_KEY.format(run_id=run.pk, side=side)
    bars = cache.get(key)
    if bars is None:
        partner = "recipient" if side == "donor" else "donor"
        rows = (
            Match.objects.filter(run_id=run.pk, **{f"{side}_rank": top_k})
            .order_by(f"{side}_id")
            .values_list(f"{side}_id", "score", f"{partner}_id")
        )
        table = np.array(list(rows), dtype=np.float64).reshape(-1, 3)
        bars = (table[:, 0].astype(np.int64), table[:, 1], table[:, 2].astype(np.int64))
        cache.set(key, bars, BARS_TIMEOUT_S)
    return bars
