"""Scoring profiles and weight overrides → the engine's ``ScoringParams``."""

from __future__ import annotations

from matching.scoring import ScoringParams
from matching.vocabulary import (
    COMPONENTS,
    DEFAULT_COST_USD,
    DEFAULT_SIZE_SIGMA,
    DEFAULT_TOP_K,
    DEFAULT_WEIGHTS,
    merged_weights,
)

from ..models import ScoringProfile


def params_from_snapshot(snapshot: dict) -> ScoringParams:
    """The parameters a run recorded in ``MatchRun.weights`` (``ScoringProfile.snapshot()``)."""
    weights = {**DEFAULT_WEIGHTS, **(snapshot.get("weights") or {})}
    return ScoringParams(
        weights={name: float(weights[name]) for name in COMPONENTS},
        size_sigma=float(snapshot.get("size_sigma", DEFAULT_SIZE_SIGMA)),
        default_cost_usd=float(snapshot.get("default_cost_usd", DEFAULT_COST_USD)),
        top_k=int(snapshot.get("top_k", DEFAULT_TOP_K)),
    )


def params_for(profile: ScoringProfile, weights: dict | None = None) -> ScoringParams:
    """The profile's parameters with ``weights`` (checked) replacing some of its weights."""
    snapshot = profile.snapshot()
    snapshot["weights"] = merged_weights(snapshot["weights"], weights)
    return params_from_snapshot(snapshot)
