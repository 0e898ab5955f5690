"""Support for smaller cities (no international department) and experienced mentors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerships.querysets import mentor_ids
from partnerships.services.support import SupportCatalogue
from tests.factories import (
    MatchFactory,
    OrganizationFactory,
    PartnershipFactory,
    ProgrammeFactory,
    UserFactory,
)


@pytest.fixture
def supporters(areas):
    """Who covers Surabaya (ID, needs waste 3, air 2, education 3) and who does not."""
    in_country = OrganizationFactory(name="Indonesian Cities Fund", countries=["ID"])
    in_country.policy_areas.set([areas["waste"]])
    OrganizationFactory(name="Global Mayors Network")  # every area, every country
    wrong_area = OrganizationFactory(name="Health Partners", countries=["ID"])
    wrong_area.policy_areas.set([areas["health"]])
    wrong_country = OrganizationFactory(name="Thai Waste Agency", countries=["TH"])
    wrong_country.policy_areas.set([areas["waste"]])
    lead = OrganizationFactory(name="Japan Agency", countries=["JP"])
    programme = ProgrammeFactory(
        name="Clean Air Asia Cities", countries=["ID", "VN"], organization=lead
    )
    programme.policy_areas.set([areas["air"]])
    elsewhere = ProgrammeFactory(name="Andean Water", countries=["PE"], organization=lead)
    elsewhere.policy_areas.set([areas["water"]])
    return {
        "covering": ["Indonesian Cities Fund", "Global Mayors Network"],
        "not": ["Health Partners", "Thai Waste Agency"],
    }


def test_support_covers_the_country_and_the_needs(recipient, supporters):
    support = SupportCatalogue.load().for_city(recipient)
    assert [o.name for o in support.organizations] == [
        "Global Mayors Network",
        "Indonesian Cities Fund",
    ]
    assert [p.name for p in support.programmes] == ["Clean Air Asia Cities"]
    assert support.need_codes == ["air", "education", "waste"]


def test_a_city_without_department_sees_it_on_its_page(client, recipient, donor, supporters):
    client.force_login(UserFactory())
    page = client.get(reverse("city-detail", args=[recipient.slug])).content.decode()
    title = "Support for a city without an international department"
    assert title in page
    section = page.split(title)[1].split("</section>")[0]
    for name in [*supporters["covering"], "Clean Air Asia Cities"]:
        assert name in section
    for name in [*supporters["not"], "Andean Water"]:
        assert name not in section
    # The programme's lead organization works in Japan only: named as the lead, not listed.
    assert "led by Japan Agency" in section and "<strong>Japan Agency</strong>" not in section
    # A city with a department does not get the section.
    page = client.get(reverse("city-detail", args=[donor.slug])).content.decode()
    assert "Support for a city without an international department" not in page


def test_and_on_its_matches(client, match, supporters, recipient_editor):
    client.force_login(recipient_editor)
    page = client.get(
        reverse("match-detail", args=[match.donor.slug, match.recipient.slug])
    ).content.decode()
    assert "Support for Surabaya" in page and "Clean Air Asia Cities" in page
    assert "Andean Water" not in page


def test_and_on_my_city(client, recipient, supporters, recipient_editor):
    client.force_login(recipient_editor)
    page = client.get(reverse("my-city")).content.decode()
    assert "Help for Surabaya" in page and "Indonesian Cities Fund" in page


def test_donors_that_mentored_before_are_marked_on_matches(client, run, match, recipient_editor):
    client.force_login(recipient_editor)
    assert "experienced mentor" not in client.get(reverse("match-list")).content.decode()
    assert mentor_ids([match.donor_id]) == set()
    for status, mentors in [("proposed", False), ("pilot", True), ("concluded", True)]:
        partnership = PartnershipFactory(donor=match.donor, status=status)
        assert bool(mentor_ids([match.donor_id])) is mentors, status
        partnership.delete()
    PartnershipFactory(donor=match.donor, status="concluded")
    for url in (reverse("match-list"), reverse("city-detail", args=[match.recipient.slug])):
        assert "experienced mentor" in client.get(url).content.decode(), url
    page = client.get(
        reverse("match-detail", args=[match.donor.slug, match.recipient.slug])
    ).content.decode()
    assert "Kitakyushu: experienced mentor" in page


def test_peers_do_not_make_a_mentor(match):
    PartnershipFactory(donor=match.donor, kind="peers", status="concluded")
    assert mentor_ids([match.donor_id]) == set()


def test_the_mentor_mark_does_not_follow_the_city_on_its_own_page(client, run, donor, recipient):
    """On the donor's own page, the recipients it could help are not "experienced mentors"."""
    MatchFactory(run=run, donor=donor, recipient=recipient)
    PartnershipFactory(donor=donor, status="concluded")
    client.force_login(UserFactory())
    page = client.get(reverse("city-detail", args=[donor.slug])).content.decode()
    assert "experienced mentor" not in page
