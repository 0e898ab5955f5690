"""A city scored on the fly as light rows (the API's ``?weights=``) holds what the pages'
``Match`` instances hold, in the same order."""

from __future__ import annotations

import pytest

from cities.models import City
from matching import services
from matching.api.serializers import CityMatchSerializer
from matching.exports import values_of
from matching.filtersets import MatchFilterSet
from matching.models import Match
from tests.factories import population

from .helpers import run_now

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["recipient", "donor"])
def test_rows_hold_what_the_match_instances_hold(django_capture_on_commit_callbacks, role):
    population(25, seed=11)
    run_now(django_capture_on_commit_callbacks)
    weights = {"need_fit": 0.5, "size": 0.2}
    for city in City.objects.exclude(role="donor" if role == "recipient" else "recipient"):
        instances = services.score_city_against_all(city=city, as_role=role, weights=weights)
        rows = services.score_city_rows(city=city, as_role=role, weights=weights)
        assert [values_of(row) for row in rows] == [values_of(match) for match in instances]
        shown = CityMatchSerializer(rows, many=True).data
        assert shown == CityMatchSerializer(instances, many=True).data
        for row, match in zip(rows, instances, strict=True):
            assert (row.donor_id, row.recipient_id) == (match.donor_id, match.recipient_id)
            assert row.components == match.components
            assert (row.donor.region, row.donor.languages, row.donor.is_synthetic) == (
                match.donor.region,
                match.donor.languages,
                match.donor.is_synthetic,
            )
    assert any(services.score_city_rows(city=city, as_role=role) for city in City.objects.all())
    city = City.objects.exclude(role="donor" if role == "recipient" else "recipient").first()
    lean = services.score_city_rows(city=city, as_role=role, languages=False)
    assert [values_of(row) for row in lean] == [
        values_of(row) for row in services.score_city_rows(city=city, as_role=role)
    ]
    assert {row.donor.languages for row in lean} == {None}


def test_a_city_without_the_role_has_no_rows(django_capture_on_commit_callbacks):
    population(10, seed=2)
    run_now(django_capture_on_commit_callbacks)
    donor = City.objects.filter(role="donor").first()
    assert services.score_city_rows(city=donor, as_role="recipient") == []
    with pytest.raises(ValueError, match="as must be one of"):
        services.score_city_rows(city=donor, as_role="both")


ORDERINGS = [
    None,
    ["score"],
    ["-score"],
    ["donor_rank"],
    ["-donor_rank"],
    ["recipient_rank"],
    ["-recipient_rank"],
    ["recipient_rank", "score"],
]


@pytest.mark.parametrize("role", ["recipient", "donor"])
def test_ranked_rows_are_the_filtered_lists_order_built_by_the_slice(
    django_capture_on_commit_callbacks, django_assert_max_num_queries, role
):
    population(40, seed=5)
    run_now(django_capture_on_commit_callbacks)
    weights = {"need_fit": 0.4, "language": 0.3}
    filterset = MatchFilterSet({}, queryset=Match.objects.none())
    city = max(
        City.objects.exclude(role="donor" if role == "recipient" else "recipient"),
        key=lambda c: len(services.score_city_rows(city=c, as_role=role, weights=weights)),
    )
    every = services.score_city_rows(city=city, as_role=role, weights=weights)
    assert len(every) >= 8
    # Unranked rows (null ranks) tie on every rank ordering: the score and ids decide.
    assert any(row.donor_rank is None for row in every) or any(
        row.recipient_rank is None for row in every
    )
    for ordering in ORDERINGS:
        expected = [pair(row) for row in filterset.order_list(list(every), ordering)]
        ranked = services.ranked_city_rows(
            city=city, as_role=role, weights=weights, ordering=ordering
        )
        assert len(ranked) == len(expected)
        assert [pair(row) for row in ranked] == expected, ordering
        with django_assert_max_num_queries(1):  # the slice's own cities, nothing more
            page = ranked[2:5]
        assert [pair(row) for row in page] == expected[2:5]
        assert pair(ranked[-1]) == expected[-1]
        assert values_of(ranked[0]) == values_of(
            next(row for row in every if pair(row) == expected[0])
        )


def pair(row) -> tuple[int, int]:
    return (row.donor_id, row.recipient_id)
