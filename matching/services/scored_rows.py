"""A city scored on the fly for the API, as light rows rather than model instances.

``score_city_against_all`` gives unsaved ``Match`` instances with both cities attached, for the
pages. The API (``/api/cities/{id}/matches/?weights=…``) scores the same way but only filters,
orders and shows the rows: building ~700 ``Match`` and ``City`` instances for that cost 100 ms
at 10,000 cities, forty times the scoring itself (bench/api.py). Here each row is a
``ScoredMatch`` with the same attribute names (the FilterSet's ``filter_list``, the serializer
and the CSV read them alike) and each city a ``CitySummary`` read with ``values()``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cities.models import City

from ..vocabulary import COMPONENTS
from .rescoring import explained_city
from .writing import ExplainedMatches

# The engine's column order of the components, unpacked by name below.
assert COMPONENTS == (
    "need_fit", "evidence", "reciprocity", "size", "industry", "capacity", "budget", "language"
)  # fmt: skip

# What the match lists show of a city and filter on (filtersets.MatchFilterSet.filter_list).
SUMMARY_FIELDS = (
    "id",
    "name",
    "slug",
    "country",
    "region",
    "population",
    "languages",
    "is_synthetic",
)


@dataclass(slots=True)
class CitySummary:
    id: int
    name: str
    slug: str
    country: str
    region: str
    population: int
    languages: list[str]
    is_synthetic: bool


@dataclass(slots=True)
class ScoredMatch:
    """A match scored on the fly: the attributes of a ``Match`` the lists read."""

    donor: CitySummary
    recipient: CitySummary
    score: float
    need_fit: float
    evidence: float
    reciprocity: float
    size: float
    industry: float
    capacity: float
    budget: float
    language: float
    donor_rank: int | None
    recipient_rank: int | None
    size_ratio: float
    top_areas: list[dict]
    practices: list[dict]
    gives_back: list[str]
    existing_partnership: bool
    id: None = None
    run_id: None = None

    @property
    def donor_id(self) -> int:
        return self.donor.id

    @property
    def recipient_id(self) -> int:
        return self.recipient.id

    @property
    def components(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in COMPONENTS}


def score_city_rows(
    *, city: City, as_role: str = "recipient", weights: dict | None = None
) -> list[ScoredMatch]:
    """What ``score_city_against_all`` answers (same rows, same order, same errors), as
    ``ScoredMatch`` rows; rows of cities deleted since the profiles were read are left out."""
    explained = explained_city(city=city, as_role=as_role, weights=weights)
    if explained is None or not len(explained):
        return []
    wanted = set(explained.donor_ids.tolist()) | set(explained.recipient_ids.tolist())
    cities = {
        row["id"]: CitySummary(**row)
        for row in City.objects.filter(pk__in=wanted).order_by().values(*SUMMARY_FIELDS)
    }
    return [
        row
        for row in _rows(explained, cities)
        if row is not None  # a city deleted since the arrays were loaded
    ]


def _rows(explained: ExplainedMatches, cities: dict[int, CitySummary]):
    codes = explained.area_codes
    components = explained.components.tolist()
    gives_back = _gives_back_lists(explained)
    for row, (donor_id, recipient_id, score, donor_rank, recipient_rank, ratio) in enumerate(
        zip(
            explained.donor_ids.tolist(),
            explained.recipient_ids.tolist(),
            explained.score.tolist(),
            explained.donor_rank.tolist(),
            explained.recipient_rank.tolist(),
            explained.size_ratio.tolist(),
            strict=True,
        )
    ):
        donor, recipient = cities.get(donor_id), cities.get(recipient_id)
        if donor is None or recipient is None:
            yield None
            continue
        top_areas = [
            {"area": codes[area], "need": need, "expertise": expertise}
            for area, need, expertise in zip(
                explained.top_areas[row].tolist(),
                explained.top_needs[row].tolist(),
                explained.top_expertise[row].tolist(),
                strict=True,
            )
            if area >= 0
        ]
        need_fit, evidence, reciprocity, size, industry, capacity, budget, language = components[
            row
        ]
        yield ScoredMatch(
            donor=donor,
            recipient=recipient,
            score=score,
            need_fit=need_fit,
            evidence=evidence,
            reciprocity=reciprocity,
            size=size,
            industry=industry,
            capacity=capacity,
            budget=budget,
            language=language,
            donor_rank=donor_rank or None,
            recipient_rank=recipient_rank or None,
            size_ratio=ratio,
            top_areas=top_areas,
            practices=[{"id": pk, "title": title} for pk, title in explained.practices[row]],
            gives_back=list(gives_back[row]),
            existing_partnership=bool(explained.existing_partnership[row]),
        )


def _gives_back_lists(explained: ExplainedMatches) -> list[tuple[str, ...]]:
    """Per row, the codes of the areas where the recipient can help the donor (each distinct
    combination worked out once)."""
    codes = np.asarray(explained.area_codes, dtype=object)
    seen: dict[bytes, tuple[str, ...]] = {}
    result = []
    for flags in np.asarray(explained.gives_back, dtype=bool):
        key = flags.tobytes()
        found = seen.get(key)
        if found is None:
            found = seen[key] = tuple(codes[flags].tolist())
        result.append(found)
    return result
