"""The scoring model's names and defaults (SCORING.md), in one place (no Django, no numpy).

The engine, the scoring profiles, the run snapshots, the API's ``?weights=`` and the pages all
read these; nothing else spells a component name or a default out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# The eight components of SCORING.md, in the order every array and table uses.
COMPONENTS: tuple[str, ...] = (
    "need_fit",
    "evidence",
    "reciprocity",
    "size",
    "industry",
    "capacity",
    "budget",
    "language",
)
DEFAULT_WEIGHTS: dict[str, float] = {
    "need_fit": 0.30,
    "evidence": 0.15,
    "reciprocity": 0.15,
    "size": 0.10,
    "industry": 0.10,
    "capacity": 0.10,
    "budget": 0.05,
    "language": 0.05,
}
# σ of the size component in natural-log units: 0.61 when one city is four times the other.
DEFAULT_SIZE_SIGMA = math.log(4)
# Cost assumed for a donor without published practices (USD).
DEFAULT_COST_USD = 250_000
# Matches kept per city and side.
DEFAULT_TOP_K = 50
MAX_TOP_K = 500


# Larger weights only make the others irrelevant; they are refused as a typing mistake.
MAX_WEIGHT = 1e6


class InvalidWeights(ValueError):
    """Weights that cannot score; ``messages`` names each problem."""

    def __init__(self, messages: list[str] | str, *, field: str = "weights"):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.field = field
        super().__init__(" ".join(self.messages))


def _weight_problem(name: str, value: object) -> str | None:
    if name not in COMPONENTS:
        return f"Unknown weight {name!r}; use one of: {', '.join(COMPONENTS)}."
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"{name}: {value!r} is not a number."
    if not math.isfinite(number) or number > MAX_WEIGHT:
        return f"{name}: {value!r} is not a usable weight."
    if number < 0:
        return f"{name}: a weight cannot be negative ({value})."
    return None


def clean_weights(weights: Mapping[str, object] | None) -> dict[str, float]:
    """Check an override such as ``{"need_fit": 0.5, "size": 0.2}``; raise ``InvalidWeights``
    naming every bad entry."""
    problems = [
        problem
        for name, value in (weights or {}).items()
        if (problem := _weight_problem(name, value)) is not None
    ]
    if problems:
        raise InvalidWeights(problems)
    return {name: float(value) for name, value in (weights or {}).items()}  # type: ignore[arg-type]


def parse_weights(text: str) -> dict[str, float]:
    """``need_fit:0.5,size:0.2`` (the API's ``?weights=``) → checked weights."""
    pairs: dict[str, object] = {}
    problems: list[str] = []
    for part in filter(None, (item.strip() for item in text.split(","))):
        name, colon, number = (piece.strip() for piece in part.partition(":"))
        if not colon:
            problems.append(f"{part!r} is not name:number, such as need_fit:0.5.")
        elif (problem := _weight_problem(name, number)) is not None:
            problems.append(problem)
        else:
            pairs[name] = number
    if problems:
        raise InvalidWeights(problems)
    return clean_weights(pairs)


def merged_weights(base: Mapping[str, float], override: Mapping[str, object] | None) -> dict:
    """``base`` with the checked ``override`` on top; at least one weight must stay above 0."""
    merged = {**base, **clean_weights(override)}
    if sum(merged.values()) <= 0:
        raise InvalidWeights("At least one weight must be greater than 0.")
    return merged
