"""Small helpers the match pages share: the state of the runs, names for codes, top matches."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf.locale import LANG_INFO
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from cities.filtersets import policy_area_choices
from cities.models import City

from ..models import Match, MatchRun

TOP_ON_CITY_PAGE = 10


@dataclass(frozen=True)
class RunsState:
    """The run readers see (the active one) and the run being computed, if any."""

    active: MatchRun | None
    in_progress: MatchRun | None


def runs_state() -> RunsState:
    """Both runs in one query (at most one of each exists: database constraints)."""
    runs = list(
        MatchRun.objects.filter(Q(is_active=True) | Q(status__in=MatchRun.IN_PROGRESS)).order_by(
            "-created_at", "-id"
        )
    )
    active = next((run for run in runs if run.is_active), None)
    in_progress = next((run for run in runs if run.in_progress), None)
    return RunsState(active=active, in_progress=in_progress)


def area_names() -> dict[str, str]:
    """Policy area code → name, from the taxonomy cache the filters keep (no query when warm)."""
    return dict(policy_area_choices())


def language_name(code: str) -> str:
    """The language's name in the active language (Django's catalogues translate them)."""
    name = LANG_INFO.get(code, {}).get("name")
    return gettext(name) if name else code


def top_matches(
    run: MatchRun | None,
    city: City,
    *,
    side: str,
    limit: int,
    matches: QuerySet[Match] | None = None,
) -> list[Match]:
    """The city's best matches on one side of the active run, by that side's rank.

    ``side="recipient"``: the donors that could help the city; ``"donor"``: the recipients it
    could help. One query on the (run, side, rank) index. ``matches``: the rows to read them
    from, when a page annotates them (default ``Match.objects.for_list()``).
    """
    if run is None:
        return []
    rank = f"{side}_rank"
    rows = matches if matches is not None else Match.objects.for_list()
    return list(
        rows.filter(run=run, **{side: city, f"{rank}__isnull": False}).order_by(rank)[:limit]
    )


def label_areas(matches: list[Match], names: dict[str, str]) -> list[Match]:
    """Give each match ``area_labels``: the names of its top areas, for the templates."""
    for match in matches:
        match.area_labels = [names.get(item["area"], item["area"]) for item in match.top_areas]
    return matches
