"""The match browser, the match page ("the score and why") and the citizen brief, with the
cooperation around each match (interest, partnership, marks)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    QueryDict,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cities.countries import country_choices
from cities.models import City
from matching.exports import matches_csv
from matching.filtersets import MatchFilterSet
from matching.models import Match
from matching.services.pairs import Pair, UnknownCity, find_pair
from matching.views.common import area_names, label_areas, runs_state
from matching.views.matches import (
    MATCH_FILTER_TEXT,
    explained,
    my_cities,
    needless,
    side_cities,
    try_weights,
)
from toolkit.i18n import supported
from toolkit.pages import active_filters, filter_form_for_people, paginate_capped, set_choices

from ..querysets import MutualFirst, with_cooperation
from . import context


@login_required
def match_list(request: HttpRequest) -> HttpResponseBase:
    state = runs_state()
    mine = my_cities(request.user)
    query: QueryDict = request.GET
    if not query and mine:
        # An officer lands on their own city's matches, on both sides; "All matches" is
        # ?scope=all (no filter), so the plain address keeps meaning "my city".
        query = QueryDict(f"city={mine[0].pk}")
    filtered = active_filters(request, query)
    filterset = MatchFilterSet(query, queryset=with_cooperation(Match.objects.for_list()))
    # The page already knows the active run: no second query for it.
    filterset.active_run_id = state.active.pk if state.active else None
    form = filter_form_for_people(filterset, MATCH_FILTER_TEXT)
    countries = country_choices(City.objects.countries())
    for side in ("recipient", "donor"):
        set_choices(form.fields[f"{side}_country"], countries)
    valid = filterset.is_valid()
    matches = filterset.qs if valid else Match.objects.none()
    if valid and request.GET.get("format") == "csv":
        return matches_csv(matches)
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
        "top_k": (state.active.weights or {}).get("top_k") if state.active else None,
        "filtered": filtered,
        **page,
    }
    page["page"].object_list = label_areas(list(page["page"].object_list), area_names())
    return render(request, "partnerships/match_list.html", ctx)


def pair_or_404(donor: str, recipient: str) -> Pair:
    """The pair the address names, stored or scored now; 404 only for a city that is gone."""
    try:
        return find_pair(
            donor=donor, recipient=recipient, matches=with_cooperation(Match.objects.for_detail())
        )
    except UnknownCity as error:
        raise Http404(str(error)) from None


def fitting_match(donor: str, recipient: str) -> Match:
    """The pair's match for the pages that act on it (interest, partnership)."""
    match = pair_or_404(donor, recipient).match
    if match is None:
        raise Http404(_("These two cities do not fit: the donor offers none of the needs."))
    return match


def _unfit(request: HttpRequest, pair: Pair) -> HttpResponse:
    return render(request, "partnerships/match_unfit.html", {"pair": pair})


@login_required
def match_detail(request: HttpRequest, donor: str, recipient: str) -> HttpResponse:
    pair = pair_or_404(donor, recipient)
    if pair.match is None:
        return _unfit(request, pair)
    ctx = {
        **explained(pair.match),
        "stored": pair.stored,
        "coop": context.for_match(pair.match, request.user),
        "try": try_weights(pair.match, request.GET),
    }
    return render(request, "partnerships/match_detail.html", ctx)


@login_required
def match_brief(request: HttpRequest, donor: str, recipient: str) -> HttpResponse:
    """The citizen brief, in the language asked for by ``?lang=`` (else the page's language).

    The brief speaks to the citizens of the city, whatever language the officer works in: the
    sentences and figures are made in the brief's language, the header in the page's.
    """
    pair = pair_or_404(donor, recipient)
    if pair.match is None:
        return _unfit(request, pair)
    language = supported(request.GET.get("lang")) or translation.get_language()
    with translation.override(language):
        ctx = {**explained(pair.match), "stored": pair.stored}
    ctx["brief_language"] = language
    return render(request, "partnerships/match_brief.html", ctx)


MOVED_NAMES = {"": "match-detail", "brief": "match-brief", "interest": "interest-send"}
MOVED_NAMES["partnership"] = "partnership-start"


def match_moved(request: HttpRequest, pk: int, page: str = "") -> HttpResponse:
    """An address by row id (earlier links and bookmarks): to the pair's address while the
    row is kept, whatever run it belongs to."""
    match = get_object_or_404(
        Match.objects.select_related("donor", "recipient").only(
            "id", "donor__slug", "recipient__slug"
        ),
        pk=pk,
    )
    target = reverse(
        MOVED_NAMES[page], kwargs={"donor": match.donor.slug, "recipient": match.recipient.slug}
    )
    return HttpResponsePermanentRedirect(target)
