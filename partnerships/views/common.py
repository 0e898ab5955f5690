"""Small helpers the pages share: the state of the runs, names for codes, a capped paginator."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf.locale import LANG_INFO
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from cities.filtersets import policy_area_choices
from cities.models import City

from ..models import Match, MatchRun

LEVEL_EXPERTISE = {0: "none", 1: "some", 2: "proven", 3: "leading"}
LEVEL_NEED = {0: "none", 1: "low", 2: "medium", 3: "high"}
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
    return LANG_INFO.get(code, {}).get("name", code)


def top_matches(run: MatchRun | None, city: City, *, side: str, limit: int) -> list[Match]:
    """The city's best matches on one side of the active run, by that side's rank.

    ``side="recipient"``: the donors that could help the city; ``"donor"``: the recipients it
    could help. One query on the (run, side, rank) index.
    """
    if run is None:
        return []
    rank = f"{side}_rank"
    return list(
        Match.objects.for_list()
        .with_cooperation()
        .filter(run=run, **{side: city, f"{rank}__isnull": False})
        .order_by(rank)[:limit]
    )


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows: an exact count of a million matches costs more than a page
    (with 10,000 cities, counting to 10,000 took 90 ms; to 1,000, under 10 ms). Forty pages are
    more than anyone reads: past them the page asks for narrower filters.

    ``capped`` tells the page to say "more than …"; the CSV export still has every row.
    ``counted`` is the queryset to count when the rows come from a wrapper around it (the
    mutually interested pairs first): the same rows, in another order.
    """

    cap = 1_000
    capped = False

    def __init__(self, object_list, per_page: int, *, counted: QuerySet | None = None) -> None:
        super().__init__(object_list, per_page)
        self.counted = counted if counted is not None else object_list

    @cached_property
    def count(self) -> int:
        # Only ids, in no order: the count needs neither the page's annotations nor a sort.
        found = self.counted.order_by().values("pk")[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)


def paginate_capped(
    request: HttpRequest, rows, per_page: int = 25, *, counted: QuerySet | None = None
) -> dict:
    paginator = CappedPaginator(rows, per_page, counted=counted)
    page = paginator.get_page(request.GET.get("page"))
    page_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return {"page": page, "page_range": page_range}


def label_areas(matches: list[Match], names: dict[str, str]) -> list[Match]:
    """Give each match ``area_labels``: the names of its top areas, for the templates."""
    for match in matches:
        match.area_labels = [names.get(item["area"], item["area"]) for item in match.top_areas]
    return matches
