"""The parts of the match pages (browser, match page, citizen brief) that concern matching:
the browser's filter labels and side cities, and everything the match page explains.

``partnerships.views.matches`` serves those pages and adds the cooperation around a match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from bestpractices.models import BestPractice
from cities.countries import COUNTRY_NAMES
from cities.models import City, CityAreaLevel, Organization

from ..filtersets import MatchFilterSet
from ..models import Match
from ..services import score_city_against_all
from ..vocabulary import COMPONENTS, DEFAULT_WEIGHTS, InvalidWeights, clean_weights
from .common import area_names
from .explain import (
    COMPONENT_TEXT,
    area_rows,
    component_bars,
    costs,
    levels_by_city,
    practice_evidence,
    sentences,
    shared_languages,
    top_area_codes,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class NeedsFlag(TypedDict):
    """What my_cities() adds to each city: does it have a need in some area?"""

    has_needs: bool


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    # A city as my_cities() reads it.
    FlaggedCity = WithAnnotations[City, NeedsFlag]


SIDE_FILTERS = ("city", "recipient", "donor")
# What a person reads next to the filters; the FilterSet's own help texts document the API.
MATCH_FILTER_TEXT: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "q": (_("City name"), _("Part of either city's name.")),
    "policy_area": (_("Policy area"), _("One of the match's top three areas.")),
    "min_score": (_("Lowest score"), _("From 0 to 100.")),
    "max_score": (_("Highest score"), _("From 0 to 100.")),
    "recipient_country": (_("Recipient's country"), ""),
    "donor_country": (_("Donor's country"), ""),
    "recipient_region": (_("Recipient's region"), ""),
    "donor_region": (_("Donor's region"), ""),
    "size_ratio_max": (_("Size ratio at most"), _("Larger population ÷ smaller; 1 = same size.")),
    "language": (_("Shared language"), _("Two-letter code both cities work in, such as en.")),
    "sector": (_("Economic sector"), _("At least a tenth of either city's economy.")),
}


def my_cities(user) -> list[FlaggedCity]:
    """The user's cities, each flagged ``has_needs`` (one query): for quick links and the
    "complete your needs" empty state."""
    needs = CityAreaLevel.objects.filter(city=OuterRef("pk"), need__gt=0)
    return list(
        user.edited_cities.annotate(has_needs=Exists(needs)).only("id", "name", "slug", "role")
    )


def side_cities(filterset: MatchFilterSet) -> dict[str, City]:
    """The cities named by id in ``city``/``recipient``/``donor``, to show their names."""
    ids = {side: filterset.form.cleaned_data.get(side) for side in SIDE_FILTERS}
    wanted = {pk for pk in ids.values() if pk}
    if not wanted:
        return {}
    found = City.objects.only("id", "name", "slug").in_bulk(wanted)
    return {side: found[pk] for side, pk in ids.items() if pk in found}


def needless(
    my_cities: list[FlaggedCity], side_cities: dict[str, City], filtered: int
) -> list[FlaggedCity]:
    """The user's recipient cities without needs that explain an empty list: the city the
    list is filtered on, or all of them when nothing is filtered."""
    needless = [c for c in my_cities if c.is_recipient and not c.has_needs]
    if not filtered:
        return needless
    shown = {city.pk for city in side_cities.values()}
    return [c for c in needless if c.pk in shown]


def supporting_organizations(match: Match, codes: list[str]) -> list[Organization]:
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


def explained(match: Match) -> dict:
    """Everything the match page and the brief show, in a fixed number of queries."""
    codes = top_area_codes(match)
    names = area_names()
    levels = levels_by_city(
        CityAreaLevel.objects.filter(city__in=[match.donor_id, match.recipient_id]).select_related(
            "policy_area"
        )
    )
    practices = BestPractice.objects.published().filter(city=match.donor).for_match_page()
    evidence = practice_evidence(list(practices), codes)
    top = area_rows(match, codes, names, levels)
    back = area_rows(match, list(match.gives_back or []), names, levels)
    cost = costs(match, evidence)
    return {
        "match": match,
        "bars": component_bars(match),
        "top": top,
        "back": back,
        "evidence": evidence,
        "costs": cost,
        "sentences": sentences(match, top, back, evidence, cost),
        "languages": shared_languages(match),
        "organizations": supporting_organizations(match, codes),
    }


TRY_TOP = 5


def try_weights(match: Match, query: Mapping[str, str]) -> dict:
    """The match page's "try other weights" panel: the recipient rescored now with the
    weights typed in (``w_<component>``, over the default profile's), through the service the
    API scores on the fly with; nothing is stored. Without weights typed in, the inputs show
    the weights of the run the match comes from."""
    snapshot = match.run.weights if match.run_id and isinstance(match.run.weights, dict) else {}
    current = {**DEFAULT_WEIGHTS, **(snapshot.get("weights") or {})}
    typed = {
        name: query[f"w_{name}"].strip()
        for name in COMPONENTS
        if query.get(f"w_{name}", "").strip()
    }
    inputs = [
        {"name": name, "label": COMPONENT_TEXT[name][0], "value": typed.get(name, current[name])}
        for name in COMPONENTS
    ]
    panel: dict = {"inputs": inputs, "tried": bool(typed), "errors": [], "top": []}
    if not typed:
        return panel
    try:
        weights = clean_weights(typed)
        scored = score_city_against_all(city=match.recipient, as_role="recipient", weights=weights)
    except InvalidWeights as problem:
        panel["errors"] = problem.messages
        return panel
    position = next((i for i, m in enumerate(scored) if m.donor_id == match.donor_id), None)
    panel.update(
        top=scored[:TRY_TOP],
        rank=None if position is None else position + 1,
        score=None if position is None else scored[position].score,
        donors=len(scored),
    )
    return panel
