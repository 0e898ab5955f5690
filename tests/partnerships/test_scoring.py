"""What partnerships change in scoring: the existing-partnership flag in the next run and on
rescoring, and concluded partnerships with good outcomes raising the donor's capacity."""

from __future__ import annotations

import math

import pytest

from matching import services
from matching.models import Match, MatchRun
from partnerships.models import Partnership
from partnerships.services import pipeline
from partnerships.services.scoring import (
    EXPERIENCE_YEARS_PER_PARTNERSHIP,
    active_partnership_pairs,
    experience_years,
)
from tests.factories import CityFactory, PartnershipFactory, UserFactory

Status = Partnership.Status


def run_now(capture) -> MatchRun:
    """A full run, its on-commit work done in-process (Celery is eager in unit tests)."""
    with capture(execute=True):
        run = services.start_run(trigger=MatchRun.Trigger.COMMAND)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED
    return run


@pytest.fixture
def cities(db):
    """A novice donor (no department, no staff, no years) and two recipients."""
    donor = CityFactory(
        name="Novice",
        role="donor",
        expertise={"waste": 3},
        has_international_department=False,
        international_staff=0,
        years_of_cooperation=0,
    )
    first = CityFactory(name="First", role="recipient", needs={"waste": 3}, absorptive_capacity=5)
    second = CityFactory(name="Second", role="recipient", needs={"waste": 2}, absorptive_capacity=5)
    return donor, first, second


def pair(run, donor, recipient) -> Match:
    return Match.objects.get(run=run, donor=donor, recipient=recipient)


def test_only_active_partnerships_count_both_ways_round(db):
    pairs = {}
    for status in Status.values:
        partnership = PartnershipFactory(status=status)
        pairs[status] = (partnership.donor_id, partnership.recipient_id)
    found = active_partnership_pairs()
    for status, (donor_id, recipient_id) in pairs.items():
        active = status in Partnership.ACTIVE
        assert ((donor_id, recipient_id) in found) is active, status
        assert ((recipient_id, donor_id) in found) is active, status
    assert services.existing_partnership_pairs() == found


def test_an_active_partnership_is_flagged_in_the_next_run(
    django_capture_on_commit_callbacks, cities
):
    donor, first, second = cities
    user = UserFactory(is_staff=True)
    partnership = PartnershipFactory(donor=donor, recipient=first)
    run = run_now(django_capture_on_commit_callbacks)
    assert not pair(run, donor, first).existing_partnership  # proposed is not active yet

    pipeline.change_status(
        user=user, partnership=partnership, to_status=Status.AGREED, override=True
    )
    # The current run is updated at once…
    assert pair(run, donor, first).existing_partnership
    # …and the next run computes it itself.
    run = run_now(django_capture_on_commit_callbacks)
    assert pair(run, donor, first).existing_partnership
    assert not pair(run, donor, second).existing_partnership
    assert run.matches.filter(existing_partnership=True).count() == 1


def test_rescoring_keeps_the_flag(django_capture_on_commit_callbacks, cities):
    donor, first, _ = cities
    run = run_now(django_capture_on_commit_callbacks)
    PartnershipFactory(donor=donor, recipient=first, status=Status.PILOT)
    services.rescore_cities(city_ids=[first.pk])
    assert pair(run, donor, first).existing_partnership


def test_concluded_good_partnerships_add_experience_to_the_donor(cities):
    donor, first, second = cities
    PartnershipFactory(donor=donor, recipient=first, status=Status.CONCLUDED, outcome="good")
    PartnershipFactory(donor=donor, recipient=second, status=Status.CONCLUDED, outcome="poor")
    PartnershipFactory(
        donor=first, recipient=second, status=Status.CONCLUDED, outcome="good", kind="peers"
    )
    PartnershipFactory(donor=second, recipient=first, status=Status.PILOT)
    assert experience_years() == {donor.pk: EXPERIENCE_YEARS_PER_PARTNERSHIP}
    inputs = services.load_inputs()
    row = inputs.rows_of([donor.pk])[0]
    assert inputs.arrays.years[row] == EXPERIENCE_YEARS_PER_PARTNERSHIP


def test_experience_raises_the_donors_capacity_component(
    django_capture_on_commit_callbacks, cities
):
    donor, first, second = cities
    run = run_now(django_capture_on_commit_callbacks)
    # give_d = 0 (no department, staff or years): capacity is 0 for every recipient.
    assert pair(run, donor, second).capacity == 0

    user = UserFactory(is_staff=True)
    partnership = PartnershipFactory(donor=donor, recipient=first, status=Status.PILOT)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.change_status(
            user=user,
            partnership=partnership,
            to_status=Status.CONCLUDED,
            outcome="good",
            override=True,
        )
    # SCORING.md: give_d = 0.2·min(years, 10)/10 with years = 3, take_r = absorb/5 = 1.
    expected = math.sqrt(0.2 * EXPERIENCE_YEARS_PER_PARTNERSHIP / 10 * 1.0)
    # The donor was rescored at once (like a profile edit)…
    assert pair(run, donor, second).capacity == pytest.approx(expected, abs=1e-5)
    # …and the next full run agrees.
    run = run_now(django_capture_on_commit_callbacks)
    assert pair(run, donor, second).capacity == pytest.approx(expected, abs=1e-5)
    assert pair(run, donor, second).score > 0


def test_a_mixed_outcome_adds_no_experience(django_capture_on_commit_callbacks, cities):
    donor, first, second = cities
    PartnershipFactory(donor=donor, recipient=first, status=Status.CONCLUDED, outcome="mixed")
    run = run_now(django_capture_on_commit_callbacks)
    assert pair(run, donor, second).capacity == 0
