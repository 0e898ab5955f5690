"""Every change is kept as a revision that curators can compare and restore."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from bestpractices import services
from bestpractices.models import BestPractice
from bestpractices.revisions import diff_snapshots
from bestpractices.services import PracticeContent
from tests.factories import CityFactory
from tests.factories.bestpractices import complete_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice(user, curator):
    practice = services.create_practice(user=user, content=complete_content(CityFactory()))
    services.update_practice(
        practice=practice,
        user=user,
        content=PracticeContent(
            fields={"title": "Landfill gas power plant"},
            lessons=[{"what_went_wrong": "The engines were oversized."}],
        ),
    )
    services.submit_practice(practice=practice, user=user)
    services.publish_practice(practice=practice, user=curator)
    practice.refresh_from_db()
    return practice


def test_every_change_is_a_numbered_revision_with_author(practice, user, curator):
    revisions = list(practice.revisions.order_by("number"))
    assert [(r.number, r.summary, r.author) for r in revisions] == [
        (1, "Created", user),
        (2, "Edited", user),
        (3, "Submitted for review", user),
        (4, "Published", curator),
    ]
    assert revisions[0].snapshot["title"] == "Landfill gas to electricity"
    assert revisions[1].snapshot["title"] == "Landfill gas power plant"
    assert revisions[1].snapshot["steps"][1]["evidence_refs"] == [1, 2]
    assert revisions[3].snapshot["status"] == "published"


def test_the_diff_lists_what_changed(practice):
    first, second = practice.revisions.order_by("number")[:2]
    rows = {row.label: row for row in diff_snapshots(first.snapshot, second.snapshot)}
    assert rows["Title"].before == "Landfill gas to electricity"
    assert rows["Title"].after == "Landfill gas power plant"
    assert rows["Lesson 1: What went wrong"].after == "The engines were oversized."
    assert rows["Lesson 1: What they would do differently"].kind == "removed"
    assert "Summary" not in rows


def test_the_compare_page_shows_the_change_to_curators(client, practice, curator):
    client.force_login(curator)
    url = reverse("practice-revision-compare", args=[practice.slug])
    html = client.get(url, {"old": 1, "new": 2}).content.decode()
    assert "Revision 1 → revision 2" in html
    assert "<del>Landfill gas to electricity</del>" in html
    assert "<ins>Landfill gas power plant</ins>" in html
    assert client.get(url, {"old": 1, "new": 99}).status_code == 404


def test_revision_pages_are_for_curators_only(client, practice):
    for name, args in [
        ("practice-revisions", [practice.slug]),
        ("practice-revision-compare", [practice.slug]),
    ]:
        client.logout()
        assert client.get(reverse(name, args=args)).status_code == 403
        client.force_login(practice.author)
        assert client.get(reverse(name, args=args)).status_code == 403
    restore = reverse("practice-revision-restore", args=[practice.slug, 1])
    assert client.post(restore).status_code == 403


def test_the_revision_list_names_each_change(client, practice, curator):
    client.force_login(curator)
    html = client.get(reverse("practice-revisions", args=[practice.slug])).content.decode()
    for summary in ["Created", "Edited", "Submitted for review", "Published"]:
        assert summary in html
    assert "Draft → <strong>Submitted for review</strong>" in html


def test_restoring_brings_back_old_content_as_a_new_revision(
    client, practice, curator, django_capture_on_commit_callbacks
):
    client.force_login(curator)
    url = reverse("practice-revision-restore", args=[practice.slug, 1])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.title == "Landfill gas to electricity"
    assert practice.status == BestPractice.Status.PUBLISHED  # the workflow is not rewound
    assert [lesson.what_went_wrong for lesson in practice.lessons.all()] == [
        "Gas yields were lower than modelled."
    ]
    assert [step.evidence.count() for step in practice.steps.all()] == [1, 2]
    latest = practice.revisions.first()
    assert (latest.number, latest.summary, latest.author) == (5, "Restored revision 1", curator)
    assert practice.revisions.count() == 5


def test_only_curators_restore(practice):
    revision = practice.revisions.get(number=1)
    with pytest.raises(PermissionDenied):
        services.restore_revision(revision=revision, user=practice.author)


def test_a_published_practice_cannot_be_restored_to_incomplete_content(practice, curator):
    services.update_practice(practice=practice, user=curator, content=PracticeContent(lessons=[]))
    services.update_practice(
        practice=practice,
        user=curator,
        content=PracticeContent(lessons=[{"what_went_wrong": "Back again."}]),
    )
    no_lessons = practice.revisions.get(summary="Edited", number=5)
    with pytest.raises(services.ChecklistIncomplete):
        services.restore_revision(revision=no_lessons, user=curator)
    practice.refresh_from_db()
    assert practice.lessons.count() == 1
    assert practice.revisions.count() == 6


@pytest.mark.parametrize("edits", [0, 8])
def test_the_revision_list_costs_a_fixed_number_of_queries(
    client, practice, curator, django_assert_num_queries, edits
):
    for number in range(edits):
        services.update_practice(
            practice=practice, user=curator, content=PracticeContent(fields={"title": f"T{number}"})
        )
    client.force_login(curator)
    url = reverse("practice-revisions", args=[practice.slug])
    # session, user, the user's groups, the practice, its revisions, its status history
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(7):
        response = client.get(url)
    assert response.content.decode().count('<th scope="row">') == 4 + edits
