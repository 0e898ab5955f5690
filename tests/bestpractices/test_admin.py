"""The admin keeps the curation workflow: bulk actions go through the services."""

import pytest
from django.urls import reverse

from bestpractices.models import BestPractice
from tests.factories import BestPracticeFactory, CityFactory

pytestmark = pytest.mark.django_db
Status = BestPractice.Status
CHANGELIST = reverse("admin:bestpractices_bestpractice_changelist")


def test_bulk_publish_publishes_complete_practices_and_names_the_incomplete(client, staff_user):
    ready = BestPracticeFactory(status=Status.SUBMITTED, complete=True, title="Ready")
    missing = BestPracticeFactory(status=Status.SUBMITTED, title="Half done")
    client.force_login(staff_user)

    response = client.post(
        CHANGELIST,
        {"action": "publish_selected", "_selected_action": [ready.pk, missing.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert "Published: 1." in html
    assert "“Half done”: This practice cannot be published until it has: evidence" in html
    ready.refresh_from_db()
    missing.refresh_from_db()
    assert (ready.status, missing.status) == (Status.PUBLISHED, Status.SUBMITTED)
    assert ready.status_changes.get().user == staff_user


def test_bulk_archive(client, staff_user, django_capture_on_commit_callbacks):
    practices = [BestPracticeFactory(complete=True) for _ in range(3)]
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            CHANGELIST,
            {"action": "archive_selected", "_selected_action": [p.pk for p in practices]},
        )
    assert set(BestPractice.objects.values_list("status", flat=True)) == {Status.ARCHIVED}


def test_a_change_in_the_admin_is_kept_as_a_revision(client, staff_user):
    practice = BestPracticeFactory(complete=True, title="Before")
    client.force_login(staff_user)
    url = reverse("admin:bestpractices_bestpractice_change", args=[practice.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"policy_areas", "sectors"}
    }
    data.update(
        title="After",
        city=practice.city_id,
        policy_areas=[area.pk for area in practice.policy_areas.all()],
    )
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(formset.total_form_count())
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(formset.initial_form_count())
        for row in formset.forms:
            for name, field in row.fields.items():
                value = row.initial.get(name, field.initial)
                if name == "id":
                    value = row.instance.pk
                if name in {"practice", "evidence"}:
                    value = (
                        practice.pk
                        if name == "practice"
                        else [e.pk for e in row.instance.evidence.all()]
                    )
                if value is not None:
                    data[f"{row.prefix}-{name}"] = value

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    practice.refresh_from_db()
    assert practice.title == "After"
    revision = practice.revisions.get()
    assert (revision.summary, revision.snapshot["title"]) == ("Edited in the admin", "After")


def test_the_admin_lists_practices(client, staff_user):
    BestPracticeFactory(title="Listed", city=CityFactory(name="Kitakyushu"))
    client.force_login(staff_user)
    assert "Listed" in client.get(CHANGELIST).content.decode()


@pytest.mark.parametrize("many", [1, 12])
def test_the_admin_list_costs_a_fixed_number_of_queries(
    client, staff_user, django_assert_num_queries, many
):
    for _ in range(many):
        BestPracticeFactory(city=CityFactory())
    client.force_login(staff_user)
    # session, user, the policy-area filter's choices, the two counts, the practices with
    # their city and author.
    with django_assert_num_queries(6):
        response = client.get(CHANGELIST)
    assert response.content.decode().count('class="field-title"') == many
