"""Many pairs scored on the fly in one batch (what a programme round reads for the pairs the
run does not store): the same scores as the run and as one pair scored alone."""

from __future__ import annotations

import pytest

from cities.models import City
from matching import services
from matching.models import Match
from matching.services.rescoring import score_pair
from tests.factories import population

from .helpers import run_now

pytestmark = pytest.mark.django_db


def test_a_batch_scores_like_the_run_and_like_one_pair(django_capture_on_commit_callbacks):
    cities = population(30, seed=7)
    run = run_now(django_capture_on_commit_callbacks)
    donors = [c for c in cities if c.role in (City.Role.DONOR, City.Role.BOTH)][:6]
    recipients = [c for c in cities if c.role in (City.Role.RECIPIENT, City.Role.BOTH)][:6]
    pairs = [(d.pk, r.pk) for d in donors for r in recipients]
    batch = services.score_pair_batch(pairs + [(donors[0].pk, 10**9)])
    assert batch and set(batch) <= set(pairs)
    assert all(m.pk is None and m.donor_id != m.recipient_id for m in batch.values())
    stored = {(m.donor_id, m.recipient_id): m for m in Match.objects.filter(run=run)}
    compared = 0
    for pair, match in batch.items():
        if pair in stored:
            assert match.score == stored[pair].score
            assert match.top_area_codes == stored[pair].top_area_codes
            compared += 1
    assert compared
    donor, recipient = next(iter(batch))
    alone = score_pair(donor=City.objects.get(pk=donor), recipient=City.objects.get(pk=recipient))
    assert alone is not None and alone.score == batch[(donor, recipient)].score


def test_an_empty_batch_scores_nothing():
    assert services.score_pair_batch([]) == {}
