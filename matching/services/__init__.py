"""Writes and domain actions of matching: runs, rescoring, on-the-fly scoring.

Views, API views, the admin, tasks and management commands call these functions; none of them
holds a rule of its own. Modules:

- ``arrays``: profiles → the engine's arrays (and the per-process cache for on-the-fly scoring);
- ``failures``: why a run failed, in the reader's language;
- ``runs``: the life of a full run (start, shards, all-or-nothing activation, failures, retention);
- ``rescoring``: one city against all (after a profile edit, and for the API's ``?weights=``);
- ``scored_rows``: one city against all as light rows, for the API's ``?weights=``;
- ``writing``: explanations and the COPY / bulk_create writer;
- ``params``: profiles and weight overrides → engine parameters;
- ``profiles``: saving scoring profiles (one default).
"""

from ..inputs import existing_partnership_pairs
from ..vocabulary import InvalidWeights, clean_weights
from .arrays import ScoringInputs, current_inputs, invalidate_inputs, load_inputs
from .failures import describe_failure
from .heartbeats import keep_beating
from .params import params_for, params_from_snapshot
from .profiles import save_profile, validate_profile
from .rescoring import (
    RESCORE_MAX_CITIES,
    flag_existing_partnership,
    queue_rescoring,
    rescore_cities,
    score_city_against_all,
    score_pair_batch,
)
from .retention import KEEP_RUNS, drop_old_runs
from .runs import (
    RunInProgress,
    default_profile,
    fail_run,
    fail_stale_runs,
    finish_run,
    prepare_run,
    recover_lost_runs,
    score_shard,
    start_run,
)
from .scored_rows import ScoredMatch, ranked_city_rows, score_city_rows

__all__ = [
    "KEEP_RUNS",
    "RESCORE_MAX_CITIES",
    "InvalidWeights",
    "RunInProgress",
    "ScoredMatch",
    "ScoringInputs",
    "clean_weights",
    "current_inputs",
    "default_profile",
    "describe_failure",
    "drop_old_runs",
    "existing_partnership_pairs",
    "fail_run",
    "fail_stale_runs",
    "flag_existing_partnership",
    "finish_run",
    "invalidate_inputs",
    "keep_beating",
    "load_inputs",
    "params_for",
    "params_from_snapshot",
    "prepare_run",
    "queue_rescoring",
    "recover_lost_runs",
    "rescore_cities",
    "score_city_against_all",
    "ranked_city_rows",
    "score_city_rows",
    "score_pair_batch",
    "save_profile",
    "score_shard",
    "start_run",
    "validate_profile",
]
