"""Scoring profiles and weight overrides → the engine's ``ScoringParams``."""

from __future__ import annotations

import math

from matching.scoring import ScoringParams

from ..models import COMPONENTS, DEFAULT_WEIGHTS, ScoringProfile


class InvalidWeights(ValueError):
    """Weights that cannot score: an unknown component, a negative or non-numeric weight."""

    def __init__(self, message: str, *, field: str = "weights"):
        self.field = field
        super().__init__(message)


def params_from_snapshot(snapshot: dict) -> ScoringParams:
    """The parameters a run recorded in ``MatchRun.weights`` (``ScoringProfile.snapshot()``)."""
    weights = {**DEFAULT_WEIGHTS, **(snapshot.get("weights") or {})}
    return ScoringParams(
        weights={name: float(weights[name]) for name in COMPONENTS},
        size_sigma=float(snapshot.get("size_sigma", math.log(4))),
        default_cost_usd=float(snapshot.get("default_cost_usd", 250_000)),
        top_k=int(snapshot.get("top_k", 50)),
    )


def clean_weights(weights: dict | None) -> dict[str, float]:
    """Check an override such as ``{"need_fit": 0.5, "size": 0.2}``; raise ``InvalidWeights``."""
    if not weights:
        return {}
    cleaned: dict[str, float] = {}
    for name, value in weights.items():
        if name not in COMPONENTS:
            raise InvalidWeights(
                f"Unknown component {name!r}; use one of: {', '.join(COMPONENTS)}."
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidWeights(f"The weight of {name} must be a number, not {value!r}.") from None
        if not math.isfinite(number) or number < 0:
            raise InvalidWeights(f"The weight of {name} must be a number ≥ 0, not {value!r}.")
        cleaned[name] = number
    return cleaned


def params_for(profile: ScoringProfile, weights: dict | None = None) -> ScoringParams:
    """The profile's parameters with ``weights`` (checked) replacing some of its weights."""
    snapshot = profile.snapshot()
    merged = {**snapshot["weights"], **clean_weights(weights)}
    if sum(merged.values()) <= 0:
        raise InvalidWeights("At least one weight must be greater than 0.")
    snapshot["weights"] = merged
    return params_from_snapshot(snapshot)
