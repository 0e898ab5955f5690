"""Partnership pages: start from a match, the partnership page and its forms, permissions,
review reminders on both cities' pages and My city, the list, fixed query counts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from partnerships.models import LedgerEntry, Partnership, PartnershipOrganization
from tests.factories import (
    CityFactory,
    LedgerEntryFactory,
    OrganizationFactory,
    PartnershipFactory,
    ProjectFactory,
    UserFactory,
)

Status = Partnership.Status


@pytest.fixture
def partnership(donor, recipient, areas):
    partnership = PartnershipFactory(donor=donor, recipient=recipient, status=Status.AGREED)
    partnership.policy_areas.set([areas["waste"]])
    return partnership


def page_of(client, partnership) -> str:
    response = client.get(reverse("partnership-detail", args=[partnership.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_start_form_is_prefilled_from_the_match(client, match, donor_editor):
    client.force_login(donor_editor)
    response = client.get(
        reverse("partnership-start", args=[match.donor.slug, match.recipient.slug])
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["policy_areas"] == ["waste", "air"]
    assert "Kitakyushu and Surabaya 81.5" in form.initial["reasons"]
    assert "Surabaya can give back in: Local economic development." in form.initial["reasons"]


def test_starting_a_partnership_from_the_match_page(client, match, donor_editor):
    client.force_login(donor_editor)
    response = client.post(
        reverse("partnership-start", args=[match.donor.slug, match.recipient.slug]),
        {"kind": "donor_recipient", "policy_areas": ["waste"], "reasons": "Composting first."},
    )
    partnership = Partnership.objects.get()
    assert response.status_code == 302 and response.url == partnership.get_absolute_url()
    assert partnership.match_snapshot["score"] == 81.5
    page = page_of(client, partnership)
    assert "Composting first." in page and 'Score <span class="score">81.5</span>' in page
    # The match page now points to it instead of offering a second one.
    page = client.get(
        reverse("match-detail", args=[match.donor.slug, match.recipient.slug])
    ).content.decode()
    assert "already have a partnership" in page
    assert reverse("partnership-detail", args=[partnership.pk]) in page


def test_start_refuses_a_missing_area_and_strangers(client, match, donor_editor):
    client.force_login(donor_editor)
    response = client.post(
        reverse("partnership-start", args=[match.donor.slug, match.recipient.slug]),
        {"kind": "peers"},
    )
    assert response.status_code == 200 and "Nothing was saved" in response.content.decode()
    client.force_login(UserFactory())
    assert (
        client.get(
            reverse("partnership-start", args=[match.donor.slug, match.recipient.slug])
        ).status_code
        == 403
    )
    assert not Partnership.objects.exists()


def test_advancing_on_the_page_records_who_and_when(
    client, partnership, recipient_editor, donor_editor
):
    client.force_login(recipient_editor)
    url = reverse("partnership-status", args=[partnership.pk])
    response = client.post(url, {"status": "pilot"})
    assert response.status_code == 302
    partnership.refresh_from_db()
    assert partnership.status == Status.AGREED
    assert "Waiting for Kitakyushu" in page_of(client, partnership)
    client.force_login(donor_editor)
    proposal = partnership.step_proposals.get()
    client.post(reverse("partnership-step-confirm", args=[partnership.pk, proposal.pk]))
    partnership.refresh_from_db()
    assert partnership.status == Status.PILOT
    page = page_of(client, partnership)
    assert "sura-editor" in page and "Agreed → <strong>Pilot</strong>" in page
    assert 'aria-current="step">Pilot' in page


def test_an_invalid_move_on_the_page_is_refused_with_a_message(client, partnership, donor_editor):
    client.force_login(donor_editor)
    url = reverse("partnership-status", args=[partnership.pk])
    response = client.post(url, {"status": "expanded"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url, {"status": "paused", "reason": ""})
    assert response.status_code == 200
    assert "Say why the partnership is paused." in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.status == Status.AGREED


def test_others_cannot_change_a_partnership_but_may_read_it(client, partnership):
    client.force_login(UserFactory())
    page = page_of(client, partnership)
    assert "Move the partnership" not in page and "Add a project" not in page
    for name, data in [
        ("partnership-status", {"status": "pilot"}),
        ("partnership-ledger", {"city": partnership.donor_id}),
        ("partnership-review", {}),
        ("partnership-organization", {}),
    ]:
        assert client.post(reverse(name, args=[partnership.pk]), data).status_code == 403
    assert client.get(reverse("partnership-edit", args=[partnership.pk])).status_code == 403
    assert client.get(reverse("project-create", args=[partnership.pk])).status_code == 403
    partnership.refresh_from_db()
    assert partnership.status == Status.AGREED and not partnership.events.exists()


def test_signed_out_readers_are_sent_to_sign_in(client, partnership):
    response = client.get(reverse("partnership-detail", args=[partnership.pk]))
    assert response.status_code == 302 and reverse("login") in response.url


def test_the_ledger_on_the_page(client, partnership, donor_editor, donor, recipient):
    client.force_login(donor_editor)
    url = reverse("partnership-ledger", args=[partnership.pk])
    entries = [
        (donor, "contributes", "staff_days", "40", "", "Two engineers for four weeks"),
        (donor, "contributes", "staff_days", "20", "", "Trainers"),
        (recipient, "contributes", "money", "25000", "", "Co-funding of the pilot"),
        (recipient, "gains", "know_how", "", "", "Composting design"),
        (donor, "gains", "business", "1", "contracts", "A local firm builds the plant"),
    ]
    for city, direction, kind, amount, unit, text in entries:
        data = {"city": city.pk, "direction": direction, "kind": kind, "amount": amount}
        data |= {"unit": unit, "description": text}
        assert client.post(url, data).status_code == 302
    assert LedgerEntry.objects.count() == 5
    page = page_of(client, partnership)
    assert "Both cities gain from the partnership." in page
    assert "60 days" in page and "25,000 USD" in page and "1 contracts" in page
    # Bad input names the field and writes nothing.
    response = client.post(url, {"city": donor.pk, "direction": "gives", "kind": "money"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert LedgerEntry.objects.count() == 5


def test_organizations_join_with_a_role(client, partnership, donor_editor):
    agency = OrganizationFactory(name="JICA")
    client.force_login(donor_editor)
    url = reverse("partnership-organization", args=[partnership.pk])
    assert client.post(url, {"organization": agency.pk, "role": "funding"}).status_code == 302
    response = client.post(url, {"organization": agency.pk, "role": "technical"})
    assert "JICA already supports this partnership." in response.content.decode()
    link = PartnershipOrganization.objects.get()
    assert link.role == "funding"
    assert "JICA" in page_of(client, partnership)
    remove = reverse("partnership-organization-remove", args=[partnership.pk, link.pk])
    assert client.post(remove).status_code == 302
    assert not PartnershipOrganization.objects.exists()
    assert partnership.events.filter(action="organization").count() == 2


def test_review_reminders_on_both_cities_pages_and_my_city(
    client, partnership, donor_editor, recipient_editor, donor, recipient
):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Partnership.objects.filter(pk=partnership.pk).update(review_on=yesterday)
    for user, city in ((donor_editor, donor), (recipient_editor, recipient)):
        client.force_login(user)
        city_page = client.get(reverse("city-detail", args=[city.slug])).content.decode()
        assert "Review due." in city_page
        my_city = client.get(reverse("my-city")).content.decode()
        assert "Review due:" in my_city
    assert "Review due since" in page_of(client, partnership)
    # Recording the review moves the date and the reminders go.
    response = client.post(reverse("partnership-review", args=[partnership.pk]), {"note": "Met."})
    assert response.status_code == 302
    partnership.refresh_from_db()
    assert partnership.review_on > timezone.localdate()
    assert (
        "Review due."
        not in client.get(reverse("city-detail", args=[recipient.slug])).content.decode()
    )


def test_no_reminder_before_the_date_or_once_concluded(client, partnership, donor_editor, donor):
    client.force_login(donor_editor)
    Partnership.objects.filter(pk=partnership.pk).update(
        review_on=timezone.localdate() + datetime.timedelta(days=1)
    )
    assert (
        "Review due." not in client.get(reverse("city-detail", args=[donor.slug])).content.decode()
    )
    Partnership.objects.filter(pk=partnership.pk).update(
        review_on=timezone.localdate() - datetime.timedelta(days=1), status="concluded"
    )
    assert (
        "Review due." not in client.get(reverse("city-detail", args=[donor.slug])).content.decode()
    )


def test_both_cities_pages_list_the_partnership(client, partnership, donor, recipient):
    client.force_login(UserFactory())
    for city, partner in ((donor, recipient), (recipient, donor)):
        page = client.get(reverse("city-detail", args=[city.slug])).content.decode()
        assert reverse("partnership-detail", args=[partnership.pk]) in page
        assert partner.name in page and ">agreed<" in page


def test_editing_details(client, partnership, recipient_editor):
    client.force_login(recipient_editor)
    url = reverse("partnership-edit", args=[partnership.pk])
    assert client.get(url).status_code == 200
    data = {"policy_areas": ["waste", "education"], "reasons": "Schools too.", "review_on": ""}
    assert client.post(url, data).status_code == 302
    partnership.refresh_from_db()
    assert partnership.reasons == "Schools too."
    response = client.post(url, {"policy_areas": [], "reasons": ""})
    assert response.status_code == 200 and "Nothing was saved" in response.content.decode()


@pytest.mark.parametrize("count", [1, 8])
def test_partnership_page_query_count_is_fixed(
    client, django_assert_num_queries, partnership, donor_editor, count
):
    for _ in range(count):
        project = ProjectFactory(partnership=partnership)
        project.milestones.create(title="Design", due_on=timezone.localdate())
        project.figures.create(indicator="Waste to landfill", result=10)
        LedgerEntryFactory(partnership=partnership, amount=3, unit="days")
        PartnershipOrganization.objects.create(
            partnership=partnership, organization=OrganizationFactory()
        )
        partnership.events.create(action="edited", user=donor_editor)
    client.force_login(donor_editor)
    # session, user, partnership + areas, user's cities, ledger, history, projects +
    # milestones + figures, organizations, expansion (levels, projects' areas, taxonomy),
    # forms: ledger cities, organization choices
    # +1 the step waiting for confirmation, +1 the navigation's unread count.
    with django_assert_num_queries(18):
        page_of(client, partnership)


@pytest.mark.parametrize("count", [1, 15])
def test_partnership_list_query_count_is_fixed(
    client, django_assert_num_queries, donor_editor, areas, count
):
    for _ in range(count):
        partnership = PartnershipFactory(donor=CityFactory(), recipient=CityFactory())
        partnership.policy_areas.set([areas["waste"], areas["air"]])
    client.force_login(donor_editor)
    # A first visit warms the per-process cache of the policy-area choices.
    client.get(reverse("partnership-list"))
    # session, user, count, page, areas, then the filter form's programme select
    # +1 the navigation's unread count.
    with django_assert_num_queries(7):
        response = client.get(reverse("partnership-list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == count


def test_partnership_list_filters(client, partnership, donor_editor, donor):
    other = PartnershipFactory(status=Status.ENDED)
    client.force_login(donor_editor)

    def ids(**query) -> list[int]:
        response = client.get(reverse("partnership-list"), query)
        return [p.pk for p in response.context["page"].object_list]

    assert ids(mine="true") == [partnership.pk]
    assert ids(active="true") == [partnership.pk]
    assert ids(status="ended") == [other.pk]
    assert ids(policy_area="waste") == [partnership.pk]
    assert ids(q="Kitaky") == [partnership.pk]
    response = client.get(reverse("partnership-list"), {"status": "flying"})
    assert "Some filters are not valid" in response.content.decode()
