"""Projects inside a partnership: create with a published practice, milestones, measured
outcomes, and a draft for the catalogue in one step."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from bestpractices.models import BestPractice
from partnerships.models import Partnership, PartnershipOrganization, Project
from partnerships.services import history, projects
from tests.factories import (
    BestPracticeFactory,
    OrganizationFactory,
    PartnershipFactory,
    ProjectFactory,
    UserFactory,
)


@pytest.fixture
def partnership(donor, recipient, areas):
    partnership = PartnershipFactory(
        donor=donor, recipient=recipient, status=Partnership.Status.PILOT
    )
    partnership.policy_areas.set([areas["waste"]])
    return partnership


@pytest.fixture
def practice(donor, db):
    return BestPracticeFactory(city=donor, areas=["waste"], status="published")


def project_data(**overrides) -> dict:
    return {
        "title": "Takakura composting in two markets",
        "policy_area": "",
        "practice": "",
        "summary": "Market waste composted on site.",
        "budget_usd": "120000",
        "funding_source": "JICA grant and city co-funding",
        "status": "running",
        "outcomes": "",
        "lessons": "",
        **overrides,
    }


def test_an_editor_adds_a_project_following_a_published_practice(
    client, partnership, recipient_editor, areas, practice
):
    client.force_login(recipient_editor)
    url = reverse("project-create", args=[partnership.pk])
    form = client.get(url).context["form"]
    # The partnership's areas come first in the choices.
    assert list(form.fields["policy_area"].queryset)[0] == areas["waste"]
    data = project_data(policy_area=areas["waste"].pk, practice=practice.pk)
    response = client.post(url, data)
    project = Project.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("project-detail", args=[project.pk])
    assert project.practice == practice and project.budget_usd == 120_000
    assert partnership.events.filter(action="project", message__kind="project_added").exists()
    page = client.get(reverse("partnership-detail", args=[partnership.pk])).content.decode()
    assert "Takakura composting in two markets" in page and practice.title in page


def test_a_draft_practice_cannot_be_linked(partnership, recipient_editor, areas, donor):
    draft = BestPracticeFactory(city=donor, areas=["waste"], status="draft")
    with pytest.raises(ValidationError) as error:
        projects.save_project(
            user=recipient_editor,
            partnership=partnership,
            fields={"title": "X", "policy_area": areas["waste"], "practice": draft},
        )
    assert "practice" in error.value.message_dict
    assert not Project.objects.exists()


def test_project_form_errors_name_the_field(client, partnership, recipient_editor):
    client.force_login(recipient_editor)
    response = client.post(
        reverse("project-create", args=[partnership.pk]), project_data(title="", budget_usd="-5")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page and "Title" in page and "Budget (USD)" in page
    assert not Project.objects.exists()


def test_a_closed_partnership_takes_no_new_project(partnership, recipient_editor, areas):
    Partnership.objects.filter(pk=partnership.pk).update(status="ended")
    partnership.refresh_from_db()
    with pytest.raises(ValidationError):
        projects.save_project(
            user=recipient_editor,
            partnership=partnership,
            fields={"title": "Late", "policy_area": areas["waste"]},
        )


def test_milestones_and_figures_on_the_project_page(client, partnership, donor_editor):
    project = ProjectFactory(partnership=partnership)
    client.force_login(donor_editor)
    due = timezone.localdate().isoformat()
    url = reverse("project-milestone", args=[project.pk])
    assert client.post(url, {"title": "Compost bins installed", "due_on": due}).status_code == 302
    milestone = project.milestones.get()
    toggle = reverse("milestone-toggle", args=[milestone.pk])
    assert client.post(toggle, {"done": "true"}).status_code == 302
    milestone.refresh_from_db()
    assert milestone.done and milestone.done_on == timezone.localdate()
    figure = {"indicator": "Waste to landfill", "baseline": "120", "result": "85", "unit": "t/day"}
    assert client.post(reverse("project-figure", args=[project.pk]), figure).status_code == 302
    response = client.post(reverse("project-figure", args=[project.pk]), {"indicator": "Empty"})
    assert response.status_code == 200 and "Give the result" in response.content.decode()
    page = client.get(reverse("project-detail", args=[project.pk])).content.decode()
    assert "Compost bins installed" in page and "Waste to landfill" in page
    notes = [history.describe(event) for event in partnership.events.all()]
    assert any("milestone “Compost bins installed” done" in note for note in notes)


def test_strangers_cannot_change_a_project(client, partnership):
    project = ProjectFactory(partnership=partnership)
    client.force_login(UserFactory())
    assert client.get(reverse("project-detail", args=[project.pk])).status_code == 200
    assert client.get(reverse("project-edit", args=[project.pk])).status_code == 403
    assert client.post(reverse("project-propose", args=[project.pk])).status_code == 403
    due = {"title": "x", "due_on": timezone.localdate().isoformat()}
    assert client.post(reverse("project-milestone", args=[project.pk]), due).status_code == 403
    with pytest.raises(PermissionDenied):
        projects.add_figure(user=UserFactory(), project=project, indicator="x", result=1)


def test_propose_to_catalogue_creates_a_prefilled_draft_as_the_user(
    client, partnership, recipient_editor, recipient, practice
):
    project = ProjectFactory(
        partnership=partnership,
        practice=practice,
        summary="Composting at two markets.",
        budget_usd=120_000,
        funding_source="JICA grant",
        status="completed",
        outcomes="Landfilled market waste fell by a third.",
        lessons="Vendors were not consulted early.\n\nBins were too small at first.",
    )
    project.figures.create(indicator="Waste to landfill", baseline=120, result=80, unit="t/day")
    PartnershipOrganization.objects.create(
        partnership=partnership, organization=OrganizationFactory(name="JICA"), role="funding"
    )
    client.force_login(recipient_editor)
    response = client.post(reverse("project-propose", args=[project.pk]))
    draft = BestPractice.objects.get(status=BestPractice.Status.DRAFT)
    assert response.status_code == 302 and response.url == draft.get_absolute_url()
    assert draft.author == recipient_editor and draft.city == recipient
    assert draft.title == project.title and draft.summary == "Composting at two markets."
    assert draft.scale == "pilot" and draft.cost_usd == 120_000
    assert "Landfilled market waste fell by a third." in draft.body
    assert list(draft.policy_areas.values_list("code", flat=True)) == ["waste"]
    outcome = draft.outcomes.get()
    assert (outcome.indicator, outcome.baseline, outcome.result) == ("Waste to landfill", 120, 80)
    assert [lesson.what_went_wrong for lesson in draft.lessons.all()] == [
        "Vendors were not consulted early.",
        "Bins were too small at first.",
    ]
    assert draft.partner_links.get().role == "funder"
    project.refresh_from_db()
    assert project.practice_draft == draft
    # Once per project.
    response = client.post(reverse("project-propose", args=[project.pk]))
    assert response.status_code == 200
    assert BestPractice.objects.filter(status="draft").count() == 1


def test_propose_needs_outcomes(client, partnership, recipient_editor):
    project = ProjectFactory(partnership=partnership)
    client.force_login(recipient_editor)
    response = client.post(reverse("project-propose", args=[project.pk]))
    assert response.status_code == 200
    assert "Record the project&#x27;s outcomes first" in response.content.decode()
    assert not BestPractice.objects.exists()


@pytest.mark.parametrize("count", [1, 10])
def test_project_page_query_count_is_fixed(
    client, django_assert_num_queries, partnership, donor_editor, count
):
    project = ProjectFactory(partnership=partnership)
    for i in range(count):
        project.milestones.create(title=f"Step {i}", due_on=timezone.localdate())
        project.figures.create(indicator=f"Indicator {i}", result=i)
    client.force_login(donor_editor)
    # session, user, project with its partnership and cities, user's cities, milestones, figures
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(7):
        assert client.get(reverse("project-detail", args=[project.pk])).status_code == 200
