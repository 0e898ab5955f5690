"""The curation workflow: who may move a practice where, the checklist, the history."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bestpractices import services
from bestpractices.models import BestPractice, Lesson, PracticeRevision, StatusChange
from bestpractices.signals import practices_changed
from tests.factories import CityFactory, UserFactory
from tests.factories.bestpractices import BestPracticeFactory, complete_content

pytestmark = pytest.mark.django_db
Status = BestPractice.Status


@pytest.fixture
def received():
    calls = []

    def handler(sender, city_ids, **kwargs):
        calls.append(sorted(city_ids))

    practices_changed.connect(handler)
    yield calls
    practices_changed.disconnect(handler)


@pytest.fixture
def draft(user):
    return services.create_practice(user=user, content=complete_content(CityFactory()))


def test_a_signed_in_user_creates_a_draft_with_its_rows(user):
    city = CityFactory()
    practice = services.create_practice(user=user, content=complete_content(city))

    practice.refresh_from_db()
    assert practice.status == Status.DRAFT
    assert practice.author == user
    assert practice.slug == "landfill-gas-to-electricity"
    assert practice.body_html == "<p>Gas wells were drilled into the <strong>landfill</strong>.</p>"
    assert [step.title for step in practice.steps.all()] == ["Drill gas wells", "Install engines"]
    second = practice.steps.all()[1]
    assert sorted(e.title for e in second.evidence.all()) == [
        "Monitoring report",
        "Peer-reviewed study",
    ]
    assert sorted(practice.policy_areas.values_list("code", flat=True)) == ["energy", "waste"]
    assert practice.revisions.count() == 1


def test_an_anonymous_visitor_cannot_create():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.create_practice(user=AnonymousUser(), content=complete_content(CityFactory()))
    assert not BestPractice.objects.exists()


def test_bad_content_names_field_and_row_and_writes_nothing(user):
    content = complete_content(CityFactory(), start_year=2015, end_year=2010)
    content.evidence[1]["doi"] = "not a doi"
    content.steps[0]["evidence_refs"] = [7]
    content.policy_areas = []

    with pytest.raises(ValidationError) as caught:
        services.create_practice(user=user, content=content)

    errors = caught.value.message_dict
    assert errors["end_year"] == ["The end year cannot be before the start year."]
    assert errors["policy_areas"] == ["Choose at least one policy area."]
    assert any(e.startswith("evidence 2, doi:") for e in errors["evidence"])
    assert errors["steps"] == [
        "step 1, evidence: there is no evidence item 7 (the practice has 2)."
    ]
    assert not BestPractice.objects.exists()


def test_submit_then_publish_records_who_and_when(
    draft, user, curator, received, django_capture_on_commit_callbacks
):
    services.submit_practice(practice=draft, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_practice(practice=draft, user=curator, comment="Well documented")

    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.published_at is not None
    history = list(StatusChange.objects.filter(practice=draft).order_by("id"))
    assert [(h.from_status, h.to_status, h.user) for h in history] == [
        ("draft", "submitted", user),
        ("submitted", "published", curator),
    ]
    assert history[1].comment == "Well documented"
    assert received == [[draft.city_id]]


def test_only_the_author_submits(draft):
    with pytest.raises(PermissionDenied):
        services.submit_practice(practice=draft, user=UserFactory())
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


@pytest.mark.parametrize("action", ["publish", "archive", "send_back"])
def test_only_curators_publish_archive_or_send_back(draft, user, action):
    services.submit_practice(practice=draft, user=user)
    with pytest.raises(PermissionDenied):
        getattr(services, f"{action}_practice")(practice=draft, user=user, comment="why")
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_an_incomplete_practice_cannot_be_published_and_the_error_names_what_is_missing(
    curator, received
):
    practice = BestPracticeFactory(status=Status.SUBMITTED)  # no steps, evidence, outcomes…

    with pytest.raises(services.ChecklistIncomplete) as caught:
        services.publish_practice(practice=practice, user=curator)

    assert caught.value.missing == [
        "evidence of local impact (a report, paper or data set)",
        "at least one outcome with a measured figure",
        "action steps",
        "challenges and mistakes stated",
        "transferability stated (population range, capacity, budget or preconditions)",
    ]
    assert "action steps" in str(caught.value)
    practice.refresh_from_db()
    assert practice.status == Status.SUBMITTED
    assert received == []


def test_an_outcome_without_a_figure_does_not_count(curator):
    practice = BestPracticeFactory(status=Status.SUBMITTED, complete=True)
    practice.outcomes.update(result=None)
    with pytest.raises(services.ChecklistIncomplete) as caught:
        services.publish_practice(practice=practice, user=curator)
    assert caught.value.missing == ["at least one outcome with a measured figure"]


def test_send_back_needs_a_comment_and_returns_a_draft(draft, user, curator):
    services.submit_practice(practice=draft, user=user)
    with pytest.raises(ValidationError) as caught:
        services.send_back_practice(practice=draft, user=curator, comment="  ")
    assert "comment" in caught.value.message_dict

    services.send_back_practice(practice=draft, user=curator, comment="Add the 2019 figures")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    change = draft.status_changes.first()
    assert (change.to_status, change.comment, change.user) == (
        "draft",
        "Add the 2019 figures",
        curator,
    )


def test_archiving_a_published_practice_takes_it_out_of_scoring(
    curator, received, django_capture_on_commit_callbacks
):
    practice = BestPracticeFactory(complete=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.archive_practice(practice=practice, user=curator, comment="Superseded")
    practice.refresh_from_db()
    assert practice.status == Status.ARCHIVED
    assert services.scoring_inputs().counts == {}
    assert received == [[practice.city_id]]


def test_a_transition_from_the_wrong_status_is_refused(curator):
    practice = BestPracticeFactory(complete=True)  # published
    with pytest.raises(services.WorkflowError, match="published cannot be published"):
        services.publish_practice(practice=practice, user=curator)
    archived = BestPracticeFactory(status=Status.ARCHIVED)
    with pytest.raises(services.WorkflowError):
        services.archive_practice(practice=archived, user=curator)


def test_the_author_edits_a_draft_but_not_once_submitted(draft, user, curator):
    content = services.PracticeContent(fields={"title": "Landfill methane capture"})
    services.update_practice(practice=draft, user=user, content=content)
    draft.refresh_from_db()
    assert draft.title == "Landfill methane capture"
    assert draft.slug == "landfill-gas-to-electricity"  # addresses stay stable

    services.submit_practice(practice=draft, user=user)
    with pytest.raises(PermissionDenied):
        services.update_practice(practice=draft, user=user, content=content)
    with pytest.raises(PermissionDenied):
        services.update_practice(practice=draft, user=UserFactory(), content=content)
    services.update_practice(
        practice=draft, user=curator, content=services.PracticeContent(fields={"title": "X"})
    )
    draft.refresh_from_db()
    assert draft.title == "X"


def test_editing_a_published_practice_announces_old_and_new_city(
    curator, received, django_capture_on_commit_callbacks
):
    practice = BestPracticeFactory(complete=True)
    old_city, new_city = practice.city, CityFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_practice(
            practice=practice,
            user=curator,
            content=services.PracticeContent(fields={"city": new_city}),
        )
    assert received == [sorted([old_city.id, new_city.id])]


def test_editing_a_draft_does_not_announce(
    draft, user, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.update_practice(
            practice=draft, user=user, content=services.PracticeContent(fields={"title": "Y"})
        )
    assert received == []


def test_replacing_evidence_keeps_the_steps_citations(draft, user):
    services.update_practice(
        practice=draft,
        user=user,
        content=services.PracticeContent(
            evidence=[{"title": "New report"}, {"title": "New study", "kind": "peer_reviewed"}]
        ),
    )
    second = draft.steps.order_by("position")[1]
    assert sorted(e.title for e in second.evidence.all()) == ["New report", "New study"]


def test_delete_follows_the_edit_rule(draft, user, curator):
    with pytest.raises(PermissionDenied):
        services.delete_practice(practice=draft, user=UserFactory())
    services.delete_practice(practice=draft, user=user)
    assert not BestPractice.objects.filter(pk=draft.pk).exists()
    assert not Lesson.objects.exists()
    assert not PracticeRevision.objects.exists()
