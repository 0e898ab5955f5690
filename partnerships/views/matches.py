"""The match browser, the match page ("the score and why") and the citizen brief."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cities.countries import COUNTRY_NAMES
from cities.models import City, CityAreaLevel, Organization
from cities.views import active_filters, filter_form_for_people

from ..cooperation.interest import MutualFirst
from ..filtersets import MatchFilterSet
from ..models import Match
from . import explain
from .common import area_names, label_areas, paginate_capped, runs_state
from .export import matches_csv
from .practices import published_practices_of

SIDE_FILTERS = ("city", "recipient", "donor")
# What a person reads next to the filters; the FilterSet's own help texts document the API.
MATCH_FILTER_TEXT = {
    "q": ("City name", "Part of either city's name."),
    "policy_area": ("Policy area", "One of the match's top three areas."),
    "min_score": ("Lowest score", "From 0 to 100."),
    "max_score": ("Highest score", "From 0 to 100."),
    "recipient_country": ("Recipient's country", ""),
    "donor_country": ("Donor's country", ""),
    "recipient_region": ("Recipient's region", ""),
    "donor_region": ("Donor's region", ""),
    "size_ratio_max": ("Size ratio at most", "Larger population ÷ smaller; 1 = same size."),
    "language": ("Shared language", "Two-letter code both cities work in, such as en."),
    "sector": ("Economic sector", "At least 10% of either city's economy."),
}


def _my_cities(user) -> list[City]:
    """The user's cities, each flagged ``has_needs`` (one query): for quick links and the
    "complete your needs" empty state."""
    needs = CityAreaLevel.objects.filter(city=OuterRef("pk"), need__gt=0)
    return list(
        user.edited_cities.annotate(has_needs=Exists(needs)).only("id", "name", "slug", "role")
    )


def _side_cities(filterset: MatchFilterSet) -> dict[str, City]:
    """The cities named by id in ``city``/``recipient``/``donor``, to show their names."""
    ids = {side: filterset.form.cleaned_data.get(side) for side in SIDE_FILTERS}
    wanted = {pk for pk in ids.values() if pk}
    if not wanted:
        return {}
    found = City.objects.only("id", "name", "slug").in_bulk(wanted)
    return {side: found[pk] for side, pk in ids.items() if pk in found}


def _needless(my_cities: list[City], side_cities: dict[str, City], filtered: int) -> list[City]:
    """The user's recipient cities without needs that explain an empty list: the city the
    list is filtered on, or all of them when nothing is filtered."""
    needless = [c for c in my_cities if c.is_recipient and not c.has_needs]
    if not filtered:
        return needless
    shown = {city.pk for city in side_cities.values()}
    return [c for c in needless if c.pk in shown]


@login_required
def match_list(request: HttpRequest) -> HttpResponse:
    state = runs_state()
    filtered = active_filters(request)
    filterset = MatchFilterSet(request.GET, queryset=Match.objects.for_list().with_cooperation())
    # The page already knows the active run: no second query for it.
    filterset.active_run_id = state.active.pk if state.active else None
    form = filter_form_for_people(filterset, MATCH_FILTER_TEXT)
    valid = filterset.is_valid()
    matches = filterset.qs if valid else Match.objects.none()
    if valid and request.GET.get("format") == "csv":
        return matches_csv(matches)
    my_cities = _my_cities(request.user)
    side_cities = _side_cities(filterset) if valid else {}
    # Pairs where both cities told each other they are interested come first (default order).
    best_first = request.GET.get("ordering", "-score") in ("", "-score")
    rows = MutualFirst(matches) if valid and best_first else matches
    page = paginate_capped(request, rows, counted=matches)
    ctx = {
        "form": form,
        "filters_valid": valid,
        "runs": state,
        "selected_run_id": filterset.selected_run_id if valid else None,
        "side_cities": side_cities,
        "my_cities": my_cities,
        "needless": _needless(my_cities, side_cities, filtered),
        "ordering": request.GET.get("ordering") or "-score",
        "filtered": filtered,
        **page,
    }
    page["page"].object_list = label_areas(list(page["page"].object_list), area_names())
    return render(request, "partnerships/match_list.html", ctx)


def _supporting_organizations(match: Match, codes: list[str]) -> list[Organization]:
    """Organizations working in one of the match's areas (or in every area) that cover the
    recipient's or the donor's country (no countries listed: worldwide)."""
    candidates = (
        Organization.objects.filter(Q(policy_areas__code__in=codes) | Q(policy_areas__isnull=True))
        .distinct()
        .prefetch_related("policy_areas")
    )
    countries = (match.recipient.country, match.donor.country)
    chosen = [org for org in candidates if any(org.covers_country(c) for c in countries)]
    for org in chosen:
        org.country_names = [COUNTRY_NAMES.get(code, code) for code in org.countries]
    return chosen


def _explained(match: Match) -> dict:
    """Everything the match page and the brief show, in a fixed number of queries."""
    codes = explain.top_area_codes(match)
    names = area_names()
    levels = explain.levels_by_city(
        CityAreaLevel.objects.filter(city__in=[match.donor_id, match.recipient_id]).select_related(
            "policy_area"
        )
    )
    evidence = explain.practice_evidence(published_practices_of(match.donor), codes)
    top = explain.area_rows(match, codes, names, levels)
    back = explain.area_rows(match, list(match.gives_back or []), names, levels)
    cost = explain.costs(match, evidence)
    return {
        "match": match,
        "bars": explain.component_bars(match),
        "top": top,
        "back": back,
        "evidence": evidence,
        "costs": cost,
        "sentences": explain.sentences(match, top, back, evidence, cost),
        "languages": explain.shared_languages(match),
        "organizations": _supporting_organizations(match, codes),
    }


def _match(pk: int) -> Match:
    return get_object_or_404(
        Match.objects.for_list().with_cooperation().select_related("run"), pk=pk
    )


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "partnerships/match_detail.html", _explained(_match(pk)))


@login_required
def match_brief(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "partnerships/match_brief.html", _explained(_match(pk)))
