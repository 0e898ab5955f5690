"""A city scored on the fly for the API, as light rows rather than model instances.

``score_city_against_all`` gives unsaved ``Match`` instances with both cities attached, for the
pages. The API (``/api/cities/{id}/matches/?weights=…``) scores the same way but only filters,
orders and shows the rows: building ~700 ``Match`` and ``City`` instances for that cost 100 ms
at 10,000 cities, forty times the scoring itself (bench/api.py). Here each row is a
``ScoredMatch`` with the same attribute names (the FilterSet's ``filter_list``, the serializer
and the CSV read them alike) and each city a ``CitySummary`` read with ``values()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from cities.models import City

from ..querysets import NULLABLE_ORDERINGS, ordering_keys
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
    "is_synthetic",
    "languages",
)


@dataclass(slots=True)
class CitySummary:
    id: int
    name: str
    slug: str
    country: str
    region: str
    population: int
    is_synthetic: bool
    # Read only when asked for (the ``language`` filter): decoding ~2,000 JSON lists per
    # request at 34,000 cities cost more than the scoring.
    languages: list[str] | None = None


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
    *,
    city: City,
    as_role: str = "recipient",
    weights: dict | None = None,
    languages: bool = True,
) -> list[ScoredMatch]:
    """What ``score_city_against_all`` answers (same rows, same order, same errors), as
    ``ScoredMatch`` rows; rows of cities deleted since the profiles were read are left out.
    ``languages=False`` leaves the cities' ``languages`` unread (None)."""
    explained = explained_city(city=city, as_role=as_role, weights=weights)
    if explained is None or not len(explained):
        return []
    return _built(explained, languages=languages)


def ranked_city_rows(
    *,
    city: City,
    as_role: str = "recipient",
    weights: dict | None = None,
    ordering: list[str] | None = None,
) -> RankedRows | list[ScoredMatch]:
    """The rows of ``score_city_rows`` in the order of a match list (``ordering`` as
    ``MatchOrderingFilter`` takes it: given fields with nulls last, then score, then the
    recipient's and the donor's ids), each row built only when it is read.

    A page of an unfiltered list reads the cities of its own 25 rows, not of every match: at
    34,000 cities a city has ~2,200, and reading and building them all cost more than
    scoring it (bench/api.py). Filters on the cities' attributes need every row: they take
    ``score_city_rows``.
    """
    explained = explained_city(city=city, as_role=as_role, weights=weights)
    if explained is None or not len(explained):
        return []
    return RankedRows(explained, list_order(explained, ordering))


def list_order(explained: ExplainedMatches, ordering: list[str] | None) -> np.ndarray:
    """Row positions in the order ``MatchFilterSet.order_list`` gives the same rows."""
    # np.lexsort sorts by its last key first: the ids break ties, the first param decides.
    keys: list[np.ndarray] = [explained.donor_ids, explained.recipient_ids]
    for param in reversed(ordering_keys(ordering)):
        field = param.lstrip("-")
        values = np.asarray(getattr(explained, field), dtype=np.float64)
        key = -values if param.startswith("-") else values
        if field in NULLABLE_ORDERINGS:
            key = np.where(values == 0, np.inf, key)  # 0, not ranked (null): last either way
        keys.append(key)
    return np.lexsort(keys)


class RankedRows(Sequence[ScoredMatch]):
    """A city's matches scored on the fly, in list order; a slice reads its own cities and
    builds its own rows (Django's paginator takes ``len()`` and one slice)."""

    def __init__(self, explained: ExplainedMatches, order: np.ndarray):
        self.explained = explained
        self.order = order

    def __len__(self) -> int:
        return len(self.order)

    @overload
    def __getitem__(self, index: int) -> ScoredMatch: ...

    @overload
    def __getitem__(self, index: slice) -> list[ScoredMatch]: ...

    def __getitem__(self, index: int | slice) -> ScoredMatch | list[ScoredMatch]:
        if isinstance(index, slice):
            return _built(self.explained.take(self.order[index]), languages=False)
        rows = _built(self.explained.take(self.order[[index]]), languages=False)
        if not rows:
            raise IndexError(index)  # its city was deleted meanwhile
        return rows[0]

    def __iter__(self) -> Iterator[ScoredMatch]:
        return iter(self[:])


def _built(explained: ExplainedMatches, *, languages: bool) -> list[ScoredMatch]:
    wanted = sorted(set(explained.donor_ids.tolist()) | set(explained.recipient_ids.tolist()))
    fields = SUMMARY_FIELDS if languages else SUMMARY_FIELDS[:-1]
    cities = {row["id"]: CitySummary(**row) for row in _cities(wanted).values(*fields)}
    return [
        row
        for row in _rows(explained, cities)
        if row is not None  # a city deleted since the arrays were loaded
    ]


def _cities(ids: list[int]) -> QuerySet[City]:
    """The cities of these ids, in no order. On PostgreSQL the ids go as one array: Django
    prepares each of ~2,000 parameters of an IN list one by one."""
    if connection.vendor == "postgresql":
        return City.objects.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))
    return City.objects.filter(pk__in=ids).order_by()


def _rows(explained: ExplainedMatches, cities: dict[int, CitySummary]):
    codes = explained.area_codes
    components = explained.components.tolist()
    top = zip(
        explained.top_areas.tolist(),
        explained.top_needs.tolist(),
        explained.top_expertise.tolist(),
        strict=True,
    )
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
        areas, needs, expertises = next(top)
        donor, recipient = cities.get(donor_id), cities.get(recipient_id)
        if donor is None or recipient is None:
            yield None
            continue
        top_areas = [
            {"area": codes[area], "need": need, "expertise": expertise}
            for area, need, expertise in zip(areas, needs, expertises, strict=True)
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
