"""CityMatch's scoring engine: numpy and compiled numba kernels, no Django (see SCORING.md and
engine.py).

``score_block`` scores a block of recipients against every donor and keeps top K both ways;
``merge_blocks`` joins blocks into the final ``Matches``; ``score_all`` does a whole run in
this process; ``score_city`` scores one city against all others. ``warm_up`` compiles or loads
the kernels: call it when a process starts, before it serves anything.
"""

from .blas import single_threaded_blas
from .engine import (
    block_memory_bytes,
    clear_prepared,
    merge_blocks,
    plan_block_rows,
    prepare,
    score_all,
    score_block,
    score_city,
    score_pairs,
)
from .exact import PreparedInputs, score_from_components
from .kernels import cache_directory
from .tiles import PruningStats
from .types import COMPONENTS, BlockResult, CityArrays, Matches, ScoringParams
from .warmup import warm_up

__all__ = [
    "COMPONENTS",
    "BlockResult",
    "CityArrays",
    "Matches",
    "PreparedInputs",
    "PruningStats",
    "ScoringParams",
    "block_memory_bytes",
    "cache_directory",
    "clear_prepared",
    "merge_blocks",
    "plan_block_rows",
    "prepare",
    "score_all",
    "score_block",
    "score_city",
    "score_pairs",
    "score_from_components",
    "single_threaded_blas",
    "warm_up",
]
