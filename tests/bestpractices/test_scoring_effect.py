"""The catalogue feeds scoring: publishing a practice changes the next run's evidence (and
budget) component for its city as a donor; archiving it takes that back."""

import pytest

from bestpractices import services
from matching.models import Match
from tests.factories import CityFactory
from tests.factories.bestpractices import complete_content
from tests.matching.helpers import run_now

pytestmark = pytest.mark.django_db


def match_between(run, donor, recipient) -> Match:
    return Match.objects.get(run=run, donor=donor, recipient=recipient)


def test_publishing_then_archiving_moves_the_evidence_component(
    user, curator, django_capture_on_commit_callbacks
):
    donor = CityFactory(role="donor", expertise={"waste": 3, "energy": 2, "air": 2})
    recipient = CityFactory(role="recipient", needs={"waste": 3, "air": 2})
    content = complete_content(donor, cost_usd=600_000)  # areas: waste and energy
    with django_capture_on_commit_callbacks(execute=True):
        practice = services.create_practice(user=user, content=content)
        services.submit_practice(practice=practice, user=user)

    before = match_between(run_now(django_capture_on_commit_callbacks), donor, recipient)
    assert before.evidence == 0
    assert before.practices == []
    # No published practice: the profile's default cost (250,000 USD) is the yardstick.
    assert before.budget == pytest.approx(min(1, (100_000 + 50_000) / 250_000))

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_practice(practice=practice, user=curator)
    published = match_between(run_now(django_capture_on_commit_callbacks), donor, recipient)

    # Waste (need 3 of the recipient's 5) now has a documented practice; air does not.
    assert published.evidence == pytest.approx(3 / 5)
    assert published.practices == [{"id": practice.pk, "title": practice.title}]
    assert published.budget == pytest.approx((100_000 + 50_000) / 600_000)
    assert published.score > before.score

    with django_capture_on_commit_callbacks(execute=True):
        services.archive_practice(practice=practice, user=curator)
    archived = match_between(run_now(django_capture_on_commit_callbacks), donor, recipient)
    assert archived.evidence == 0
    assert archived.score == before.score
