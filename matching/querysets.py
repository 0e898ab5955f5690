"""How runs and matches are read: every list through one method, in a fixed number of queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import QuerySet

from .vocabulary import COMPONENTS

if TYPE_CHECKING:
    from .models import Match

# The columns every list of matches shows (the browser, My city, the city page and map, the API
# and its CSV), as ``values()`` names them: a page reads these and nothing more. A run holds
# ~1e6 wide rows; reading only these keeps a page of 100 matches at a few kilobytes.
OWN_COLUMNS = (
    "id",
    "run_id",
    "score",
    *COMPONENTS,
    "donor_rank",
    "recipient_rank",
    "size_ratio",
    "top_areas",
    "practices",
    "gives_back",
    "existing_partnership",
)
CITY_COLUMNS = (
    "id",
    "name",
    "slug",
    "country",
    "population",
    "is_synthetic",
    "latitude",
    "longitude",
)
MATCH_COLUMNS = (
    *OWN_COLUMNS,
    *(f"donor__{name}" for name in CITY_COLUMNS),
    *(f"recipient__{name}" for name in CITY_COLUMNS),
)

# The orderings of the match lists whose column holds nulls (a rank outside the top K).
NULLABLE_ORDERINGS = frozenset({"donor_rank", "recipient_rank"})


def ordering_keys(ordering: list[str] | None) -> list[str]:
    """The orderings asked for, then the score (best first) unless asked for: every list of
    matches sorts by these, then by the recipient's and the donor's ids."""
    keys = list(ordering or [])
    if "score" not in {param.lstrip("-") for param in keys}:
        keys.append("-score")
    return keys


class MatchRunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True).first()

    def lists_changed(self) -> int:
        """Raise ``list_version`` of these runs (and so retire their cached list pages); call
        it in the transaction that changes what their lists show."""
        return self.update(list_version=models.F("list_version") + 1)


class MatchQuerySet(models.QuerySet):
    def for_list(self) -> MatchQuerySet:
        """Every list of matches (pages, API, CSV) reads through this: the list columns of the
        match and its two cities, in one query whatever the page size."""
        return self.select_related("donor", "recipient").only(*MATCH_COLUMNS)

    def list_rows(self) -> QuerySet[Match, dict[str, Any]]:
        """The same columns as plain rows: an API page builds no model instances (75 of them
        for a page of 25 cost more than its SQL, bench/api.py)."""
        return self.values(*MATCH_COLUMNS)

    def for_detail(self) -> MatchQuerySet:
        """One match as its page and citizen brief show it: every column, both whole cities
        but their long free-text sources, and the run (its weights explain the score)."""
        return self.select_related("donor", "recipient", "run").defer(
            "donor__sources", "recipient__sources"
        )

    def of_active_run(self) -> MatchQuerySet:
        return self.filter(run__is_active=True)
