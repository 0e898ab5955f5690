"""The match browser, the match page ("the score and why") and the citizen brief, with the
cooperation around each match (interest, partnership, marks)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import translation

from matching.filtersets import MatchFilterSet
from matching.models import Match
from matching.views.common import area_names, label_areas, runs_state
from matching.views.export import matches_csv
from matching.views.matches import MATCH_FILTER_TEXT, explained, my_cities, needless, side_cities
from toolkit.i18n import supported
from toolkit.pages import active_filters, filter_form_for_people, paginate_capped

from ..querysets import MutualFirst, with_cooperation
from . import context


@login_required
def match_list(request: HttpRequest) -> HttpResponseBase:
    state = runs_state()
    filtered = active_filters(request)
    filterset = MatchFilterSet(request.GET, queryset=with_cooperation(Match.objects.for_list()))
    # The page already knows the active run: no second query for it.
    filterset.active_run_id = state.active.pk if state.active else None
    form = filter_form_for_people(filterset, MATCH_FILTER_TEXT)
    valid = filterset.is_valid()
    matches = filterset.qs if valid else Match.objects.none()
    if valid and request.GET.get("format") == "csv":
        return matches_csv(matches)
    mine = my_cities(request.user)
    sides = side_cities(filterset) if valid else {}
    # Pairs where both cities told each other they are interested come first (default order).
    best_first = request.GET.get("ordering", "-score") in ("", "-score")
    rows = MutualFirst(matches) if valid and best_first else matches
    page = paginate_capped(request, rows, counted=matches)
    ctx = {
        "form": form,
        "filters_valid": valid,
        "runs": state,
        "selected_run_id": filterset.selected_run_id if valid else None,
        "side_cities": sides,
        "my_cities": mine,
        "needless": needless(mine, sides, filtered),
        "ordering": request.GET.get("ordering") or "-score",
        "filtered": filtered,
        **page,
    }
    page["page"].object_list = label_areas(list(page["page"].object_list), area_names())
    return render(request, "partnerships/match_list.html", ctx)


def _match(pk: int) -> Match:
    matches = with_cooperation(Match.objects.for_detail())
    return get_object_or_404(matches, pk=pk)


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(pk)
    ctx = {**explained(match), "coop": context.for_match(match, request.user)}
    return render(request, "partnerships/match_detail.html", ctx)


@login_required
def match_brief(request: HttpRequest, pk: int) -> HttpResponse:
    """The citizen brief, in the language asked for by ``?lang=`` (else the page's language).

    The brief speaks to the citizens of the city, whatever language the officer works in: the
    sentences and figures are made in the brief's language, the header in the page's.
    """
    language = supported(request.GET.get("lang")) or translation.get_language()
    with translation.override(language):
        ctx = explained(_match(pk))
    ctx["brief_language"] = language
    return render(request, "partnerships/match_brief.html", ctx)
