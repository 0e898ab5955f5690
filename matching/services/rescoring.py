"""Scoring one city against all others: after a profile edit, and on the fly for the API.

Both reuse the engine on a one-row block (``score_city``), so one city costs O(N), not a run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from cities.models import City
from matching.scoring import (
    Matches,
    PreparedInputs,
    ScoringParams,
    prepare,
    score_city,
    score_pairs,
)
from toolkit.outbox import services as outbox

from ..inputs import existing_partnership_pairs
from ..models import Match, MatchRun
from .arrays import (
    ScoringInputs,
    current_inputs,
    invalidate_inputs,
    load_inputs,
    patched_inputs,
)
from .bars import run_bars
from .params import params_for, params_from_snapshot
from .runs import RunInProgress, default_profile, start_run
from .writing import ExplainedMatches, explain, match_objects, write_matches

logger = logging.getLogger(__name__)

# An import of more cities than this rescoring them one by one would cost more than a run.
RESCORE_MAX_CITIES = 200
# Ids per IN (...) list: SQLite caps the parameters of one statement.
IN_CHUNK = 900
ROLES = ("recipient", "donor")


def queue_rescoring(*, city_ids: Iterable[int]) -> None:
    """After profiles changed: rescore those cities in the background, or start a full run.

    A few cities are rescored in place (``rescore_cities``); past ``RESCORE_MAX_CITIES`` a full
    run is cheaper and exact. If a run is already in progress nothing more is queued: a run
    rescores, when it finishes, the cities saved after it froze its inputs.
    """
    ids = sorted({int(pk) for pk in city_ids})
    if not ids:
        return
    invalidate_inputs()
    # Again once committed: a reader may have loaded the old profiles meanwhile.
    transaction.on_commit(invalidate_inputs)
    if len(ids) > RESCORE_MAX_CITIES:
        try:
            start_run(trigger=MatchRun.Trigger.PROFILE_CHANGE)
        except RunInProgress:
            logger.info("%d profiles changed during a run; it rescores them when done.", len(ids))
        return
    # Through the outbox, in the edit's transaction: the request commits with the edit, and a
    # broker that is down delays the rescoring (the relay sends it later) but never the edit.
    outbox.enqueue(task="matching.tasks.rescore_cities", kwargs={"city_ids": ids})


def rescore_cities(*, city_ids: Iterable[int]) -> int:
    """Replace the rows of these cities in the ACTIVE run with fresh scores; rows written.

    For each city: score it as recipient against every donor and as donor against every
    recipient with the active run's weights, keep its own top K on each side (exact ranks),
    and also the pairs where it now enters the other city's top K. Then, in one transaction
    that locks the active run, delete the city's old rows of that run and insert the new ones.

    The other cities' ranks are approximate until the next full run: when this city enters a
    donor's top K, that donor's rank for it is computed against the donor's stored rows, but
    the donor's other rows keep their ranks (one of them may now really be rank K + 1). Scores
    are exact.
    """
    ids = sorted({int(pk) for pk in city_ids})
    run = MatchRun.objects.active()
    if not ids or run is None:
        return 0
    inputs = _inputs_for_rescoring(run, ids)
    params = params_from_snapshot(run.weights)
    prepared = prepare(inputs.arrays, params)
    partnerships = existing_partnership_pairs()
    written = 0
    for city_id in ids:
        rows = inputs.rows_of([city_id])
        parts = []
        if len(rows):
            row = int(rows[0])
            for role in ROLES:
                if _has_role(inputs, row, role):
                    scored = score_city(inputs.arrays, row, params, as_role=role, prepared=prepared)
                    parts.append(_keep_for_run(inputs, scored, run, row, role, params.top_k))
        explained = explain(inputs, _concat(parts), partnerships=partnerships) if parts else None
        with transaction.atomic():
            locked = MatchRun.objects.select_for_update().filter(pk=run.pk, is_active=True)
            if not locked.exists():
                # A new run was activated meanwhile; it scored this city itself.
                return written
            Match.objects.filter(run_id=run.pk, donor_id=city_id).delete()
            Match.objects.filter(run_id=run.pk, recipient_id=city_id).delete()
            if explained is not None:
                written += write_matches(explained, run_id=run.pk)
            locked.lists_changed()
    return written


# The profiles a process last rescored with, per active run: (run id, inputs, read at). The
# next edit re-reads only the cities saved since (arrays.patched_inputs) instead of every
# profile; a new run, or a change patching cannot follow, reads everything again. The engine
# keeps the matching preparation (scoring.prepare), so its weights are the run's.
_rescoring_inputs: tuple[tuple, ScoringInputs, datetime] | None = None
_rescoring_lock = threading.Lock()
# Room for clocks: a city saved this long before the last read is read again.
CHANGED_SINCE_MARGIN = timedelta(seconds=5)


def _inputs_for_rescoring(run: MatchRun, city_ids: list[int]) -> ScoringInputs:
    global _rescoring_inputs
    with _rescoring_lock:
        read_at = timezone.now()
        inputs = None
        run_key = (run.pk, run.started_at)
        if _rescoring_inputs is not None and _rescoring_inputs[0] == run_key:
            _, base, base_read_at = _rescoring_inputs
            inputs = patched_inputs(
                base, city_ids=city_ids, changed_since=base_read_at - CHANGED_SINCE_MARGIN
            )
        if inputs is None:
            inputs = load_inputs()
        _rescoring_inputs = (run_key, inputs, read_at)
        return inputs


def warm_rescoring() -> None:
    """Read the profiles for rescoring now (a worker starting), not on the first edit, and
    the bars to enter each city's lists (read from the run's rows when no shared cache kept
    them from its activation: a scan of the run)."""
    run = MatchRun.objects.active()
    if run is not None:
        _inputs_for_rescoring(run, [])
        top_k = params_from_snapshot(run.weights).top_k
        for side in ROLES:
            run_bars(run, side, top_k)


def forget_rescoring_inputs() -> None:
    """Drop the profiles kept for rescoring (the next edit reads every profile)."""
    global _rescoring_inputs
    with _rescoring_lock:
        _rescoring_inputs = None


def _has_role(inputs: ScoringInputs, row: int, role: str) -> bool:
    flags = inputs.arrays.is_recipient if role == "recipient" else inputs.arrays.is_donor
    return bool(flags[row])


def _keep_for_run(
    inputs: ScoringInputs, scored: Matches, run: MatchRun, row: int, role: str, top_k: int
) -> Matches:
    """The city's top K on its side, plus the pairs where it enters the other side's top K.

    The other city's K-th score (its row ranked K when the run was activated, ``run_bars``)
    is the bar to enter its list; a city with fewer than K ranked rows takes anyone. One query:
    the ranked rows of the lists the city enters, to place it among them.
    """
    as_recipient = role == "recipient"
    other_side = "donor" if as_recipient else "recipient"
    rank_field = f"{other_side}_rank"
    own_rank = np.asarray(scored.recipient_rank if as_recipient else scored.donor_rank)
    others = np.asarray(scored.donor if as_recipient else scored.recipient, dtype=np.int64)
    other_ids = inputs.arrays.ids[others]
    scores = np.round(np.asarray(scored.score, dtype=np.float64), 1)
    city_id = int(inputs.arrays.ids[row])
    of_others = Match.objects.filter(run_id=run.pk).exclude(**{f"{role}_id": city_id}).order_by()

    bar_ids, bar_scores, bar_partners = run_bars(run, other_side, top_k)
    bar = np.full(len(other_ids), -np.inf)
    if len(bar_ids):
        at = np.minimum(np.searchsorted(bar_ids, other_ids), len(bar_ids) - 1)
        # No bar: fewer than K in that list. A bar held by this very city frees its place.
        held = (bar_ids[at] == other_ids) & (bar_partners[at] != city_id)
        bar[held] = bar_scores[at][held]
    enters = np.flatnonzero(scores > bar)
    other_rank = np.zeros(len(scores), dtype=np.int64)
    if len(enters):
        ranked: dict[int, list[float]] = {}
        entered_ids = other_ids[enters].tolist()
        for start in range(0, len(entered_ids), IN_CHUNK):
            rows = of_others.filter(
                **{f"{rank_field}__isnull": False},
                **{f"{other_side}_id__in": entered_ids[start : start + IN_CHUNK]},
            ).values_list(f"{other_side}_id", "score")
            for other_id, score in rows:
                ranked.setdefault(other_id, []).append(score)
        for position, other_id in zip(enters.tolist(), entered_ids, strict=True):
            higher = sum(1 for score in ranked.get(other_id, ()) if score > scores[position])
            other_rank[position] = min(higher + 1, top_k)
    own_rank = np.where((own_rank > 0) & (own_rank <= top_k), own_rank, 0)
    keep = (own_rank > 0) | (other_rank > 0)
    donor_rank, recipient_rank = (other_rank, own_rank) if as_recipient else (own_rank, other_rank)
    return Matches(
        **{
            **{name: np.asarray(getattr(scored, name))[keep] for name in _MATCH_FIELDS},
            "donor_rank": donor_rank[keep],
            "recipient_rank": recipient_rank[keep],
        }
    )


_MATCH_FIELDS = (
    "donor",
    "recipient",
    "score",
    "components",
    "donor_rank",
    "recipient_rank",
    "top_areas",
    "gives_back",
)


def _concat(parts: list[Matches]) -> Matches:
    return Matches(
        **{name: np.concatenate([getattr(p, name) for p in parts]) for name in _MATCH_FIELDS}
    )


# The engine's preparation of the cached inputs, per set of parameters: the default profile's
# and the few weightings agencies ask for most. Dropped with the inputs they were made from.
_prepared_cache: dict[tuple, PreparedInputs] = {}
_prepared_for: ScoringInputs | None = None
PREPARED_CACHE_SIZE = 8


def _prepared(inputs: ScoringInputs, params: ScoringParams) -> PreparedInputs:
    global _prepared_for
    if _prepared_for is not inputs:
        _prepared_cache.clear()
        _prepared_for = inputs
    key = (
        tuple(sorted(params.weights.items())),
        params.size_sigma,
        params.default_cost_usd,
        params.top_k,
    )
    prepared = _prepared_cache.get(key)
    if prepared is None:
        if len(_prepared_cache) >= PREPARED_CACHE_SIZE:
            _prepared_cache.pop(next(iter(_prepared_cache)))
        prepared = _prepared_cache[key] = prepare(inputs.arrays, params)
    return prepared


def explained_city(
    *, city: City, as_role: str = "recipient", weights: dict | None = None
) -> ExplainedMatches | None:
    """``city`` scored against every live profile and explained, best first; None when it
    does not have that role (see ``score_city_against_all``, which raises the same errors)."""
    if as_role not in ROLES:
        raise ValueError(f"as must be one of {', '.join(ROLES)}, not {as_role!r}.")
    params = params_for(default_profile(), weights)
    inputs = current_inputs()
    rows = inputs.rows_of([city.pk])
    if not len(rows):
        # Created since the arrays were loaded.
        invalidate_inputs()
        inputs = current_inputs()
        rows = inputs.rows_of([city.pk])
        if not len(rows):
            return None
    row = int(rows[0])
    if not _has_role(inputs, row, as_role):
        return None
    scored = score_city(
        inputs.arrays, row, params, as_role=as_role, prepared=_prepared(inputs, params)
    )
    return explain(inputs, scored, partnerships=existing_partnership_pairs())


def score_city_against_all(
    *, city: City, as_role: str = "recipient", weights: dict | None = None
) -> list[Match]:
    """Score ``city`` against every live profile with ``weights`` over the default profile's.

    Returns unsaved ``Match`` instances (``run=None``), best first, with ``donor`` and
    ``recipient`` attached (fetched in one query) and the full explanation. Raises
    ``InvalidWeights`` (a ValueError naming the problem) for bad weights and ValueError for an
    unknown role. A city without that role gets an empty list.
    """
    explained = explained_city(city=city, as_role=as_role, weights=weights)
    if explained is None:
        return []
    matches = match_objects(explained, run_id=None)
    wanted = {m.donor_id for m in matches} | {m.recipient_id for m in matches}
    # One query: by id, except for a long list on SQLite, whose parameter limit makes reading
    # every city the one-query way there.
    queryset = City.objects.defer("sources")
    if len(wanted) <= IN_CHUNK or connection.vendor == "postgresql":
        queryset = queryset.filter(pk__in=wanted)
    cities = {c.pk: c for c in queryset.order_by()}
    result = []
    for match in matches:
        donor, recipient = cities.get(match.donor_id), cities.get(match.recipient_id)
        if donor is None or recipient is None:
            continue  # deleted since the arrays were loaded
        match.donor, match.recipient = donor, recipient
        result.append(match)
    return result


def flag_existing_partnership(*, first_id: int, second_id: int, cooperating: bool) -> int:
    """Set ``existing_partnership`` on the pair's matches of the active run, both ways round.

    Partnerships call this when a pair starts or stops cooperating, so the run readers see now
    stays in step until the next run (which reads the partnerships itself).
    """
    pair = Q(donor_id=first_id, recipient_id=second_id) | Q(
        donor_id=second_id, recipient_id=first_id
    )
    with transaction.atomic():
        changed = (
            Match.objects.of_active_run().filter(pair).update(existing_partnership=cooperating)
        )
        if changed:
            MatchRun.objects.filter(is_active=True).lists_changed()
    return changed


def score_pair(*, donor: City, recipient: City) -> Match | None:
    """The pair scored now with the active run's weights (the default profile's without one).

    For a pair that the active run does not store (it fell out of both top K lists, or one of
    the cities changed since): an unsaved ``Match`` with both cities and the run attached and
    each city's rank among ALL its partners, kept only where it is within top K as a run would.
    None when the two do not fit (the donor offers nothing the recipient needs, or a city has
    no such role). Two one-city scorings, O(N) each, nothing stored.
    """
    run = MatchRun.objects.active()
    params = params_from_snapshot(run.weights) if run else params_for(default_profile())
    inputs = current_inputs()
    rows = inputs.rows_of(sorted({donor.pk, recipient.pk}))
    if len(rows) < 2:
        invalidate_inputs()
        inputs = current_inputs()
        rows = inputs.rows_of(sorted({donor.pk, recipient.pk}))
        if len(rows) < 2:
            return None
    row_of = {int(inputs.arrays.ids[row]): int(row) for row in rows}
    donor_row, recipient_row = row_of[donor.pk], row_of[recipient.pk]
    prepared = _prepared(inputs, params)
    as_recipient = score_city(
        inputs.arrays, recipient_row, params, as_role="recipient", prepared=prepared
    )
    found = np.flatnonzero(np.asarray(as_recipient.donor) == donor_row)
    if not len(found):
        return None
    position = int(found[0])
    as_donor = score_city(inputs.arrays, donor_row, params, as_role="donor", prepared=prepared)
    donor_side = np.flatnonzero(np.asarray(as_donor.recipient) == recipient_row)

    def within_top(rank: int) -> int:
        return rank if 0 < rank <= params.top_k else 0

    recipient_rank = within_top(position + 1)
    donor_rank = within_top(int(donor_side[0]) + 1 if len(donor_side) else 0)
    one = Matches(
        **{
            **{name: np.asarray(getattr(as_recipient, name))[[position]] for name in _MATCH_FIELDS},
            "donor_rank": np.array([donor_rank], dtype=np.int64),
            "recipient_rank": np.array([recipient_rank], dtype=np.int64),
        }
    )
    explained = explain(inputs, one, partnerships=existing_partnership_pairs())
    (match,) = match_objects(explained, run_id=run.pk if run else None)
    match.donor, match.recipient = donor, recipient
    if run is not None:
        match.run = run
    return match


def score_pair_batch(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Match]:
    """Many (donor id, recipient id) pairs scored now in one batch, with the active run's
    weights (the default profile's without one): unsaved ``Match`` rows by pair, no cities
    attached, ranks unset. Pairs that do not fit, or naming a city not loaded, are absent.
    """
    wanted = list(dict.fromkeys((int(d), int(r)) for d, r in pairs))
    if not wanted:
        return {}
    run = MatchRun.objects.active()
    params = params_from_snapshot(run.weights) if run else params_for(default_profile())
    inputs = current_inputs()
    city_ids = sorted({city for pair in wanted for city in pair})
    if len(inputs.rows_of(city_ids)) < len(city_ids):
        invalidate_inputs()  # a city created since the arrays were loaded
        inputs = current_inputs()
    ids = inputs.arrays.ids
    row_of = {int(ids[row]): int(row) for row in inputs.rows_of(city_ids)}
    known = [(d, r) for d, r in wanted if d in row_of and r in row_of]
    if not known:
        return {}
    scored = score_pairs(
        inputs.arrays,
        np.fromiter((row_of[d] for d, _ in known), dtype=np.int64, count=len(known)),
        np.fromiter((row_of[r] for _, r in known), dtype=np.int64, count=len(known)),
        params,
        prepared=_prepared(inputs, params),
    )
    explained = explain(inputs, scored, partnerships=existing_partnership_pairs())
    return {(m.donor_id, m.recipient_id): m for m in match_objects(explained, run_id=None)}
