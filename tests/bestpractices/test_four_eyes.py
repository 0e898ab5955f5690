"""Four eyes: a practice is published by a curator other than its author; an admin may
override, and the history records it; the checklist page says who may publish."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from bestpractices import services
from bestpractices.models import BestPractice, StatusChange
from cities.permissions import CURATOR_GROUP
from tests.factories import UserFactory
from tests.factories.bestpractices import BestPracticeFactory

pytestmark = pytest.mark.django_db
Status = BestPractice.Status


@pytest.fixture
def curator_author():
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get_or_create(name=CURATOR_GROUP)[0])
    return user


@pytest.fixture
def own(curator_author):
    return BestPracticeFactory(status=Status.SUBMITTED, complete=True, author=curator_author)


def test_a_curator_cannot_publish_their_own_practice(own, curator_author):
    with pytest.raises(services.FourEyesRequired, match="other than its author"):
        services.publish_practice(practice=own, user=curator_author)
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED
    assert not StatusChange.objects.filter(to_status=Status.PUBLISHED).exists()


def test_another_curator_publishes_it(own, curator):
    published = services.publish_practice(practice=own, user=curator)
    assert published.status == Status.PUBLISHED


def test_an_admin_overrides_only_when_asked_and_the_history_says_so(staff_user):
    practice = BestPracticeFactory(status=Status.SUBMITTED, complete=True, author=staff_user)
    with pytest.raises(services.FourEyesRequired):
        services.publish_practice(practice=practice, user=staff_user)
    services.publish_practice(practice=practice, user=staff_user, override=True, comment="Urgent")
    change = StatusChange.objects.get(practice=practice, to_status=Status.PUBLISHED)
    assert change.comment == "Admin override: published by its own author. Urgent"


def test_a_curator_cannot_override(own, curator_author):
    with pytest.raises(services.FourEyesRequired):
        services.publish_practice(practice=own, user=curator_author, override=True)


def test_the_page_refuses_self_publishing_and_says_who_may_publish(client, own, curator_author):
    client.force_login(curator_author)
    page = client.get(own.get_absolute_url()).content.decode()
    assert "You wrote it, so a curator other than you publishes it." in page
    response = client.post(
        reverse("practice-workflow", args=[own.slug]), {"action": "publish"}, follow=True
    )
    assert "published by a curator other than its author" in response.content.decode()
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED


def test_other_curators_read_who_may_publish(client, own, curator):
    client.force_login(curator)
    page = client.get(own.get_absolute_url()).content.decode()
    assert "Any curator other than its author, ana, may publish it." in page


def test_the_page_override_for_admins(client, staff_user):
    practice = BestPracticeFactory(status=Status.SUBMITTED, complete=True, author=staff_user)
    client.force_login(staff_user)
    page = client.get(practice.get_absolute_url()).content.decode()
    assert "as an admin override" in page
    client.post(
        reverse("practice-workflow", args=[practice.slug]), {"action": "publish", "override": "1"}
    )
    practice.refresh_from_db()
    assert practice.status == Status.PUBLISHED


def test_the_api_answers_409_to_self_publishing(api_client, own, curator_author, curator):
    url = f"/api/best-practices/{own.pk}/publish/"
    api_client.force_authenticate(curator_author)
    response = api_client.post(url, {}, format="json")
    assert response.status_code == 409
    assert "other than its author" in response.json()["detail"]
    api_client.force_authenticate(curator)
    assert api_client.post(url, {}, format="json").status_code == 200


def test_submitting_tells_the_other_curators_and_publishing_tells_the_author(
    own, curator, curator_author
):
    from notifications.models import Kind, Notification

    draft = BestPracticeFactory(status=Status.DRAFT, complete=True, author=curator_author)
    services.submit_practice(practice=draft, user=curator_author)
    waiting = Notification.objects.filter(kind=Kind.PRACTICE_WAITING)
    assert [n.recipient for n in waiting] == [curator]
    services.publish_practice(practice=draft, user=curator)
    assert Notification.objects.get(kind=Kind.PRACTICE_PUBLISHED).recipient == curator_author
