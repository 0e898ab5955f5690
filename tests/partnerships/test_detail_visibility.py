"""Who reads a partnership's details (API.md): any signed-in user sees that it exists and its
stage; its reasons, ledger, projects' funding and notes only the two cities' editors, members
of the organizations recorded as supporting it, and admins — in the API, its CSV and pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from cities.permissions import AGENCY_GROUP
from partnerships.models import Partnership, PartnershipOrganization
from tests.api_clients import token_client
from tests.factories import (
    CityFactory,
    LedgerEntryFactory,
    OrganizationFactory,
    PartnershipFactory,
    ProjectFactory,
    UserFactory,
)

REASONS = "Kitakyushu composts market waste; Surabaya needs it most."
NOTE = "Pays the composting engineers' travel."
FUNDING = "Japan Fund for Composting"
LEDGER = "Engineers on site for two weeks"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module: one partnership with reasons, a ledger entry, a funded
    project, a supporting organization with a note, and a user for each kind of reader."""
    with django_db_blocker.unblock():
        partnership = PartnershipFactory(
            donor=CityFactory(name="Kitakyushu", country="JP"),
            recipient=CityFactory(name="Surabaya", country="ID"),
            status=Partnership.Status.PROPOSED,
            reasons=REASONS,
        )
        funder = OrganizationFactory(name="JICA")
        another = OrganizationFactory(name="Another bank")
        PartnershipOrganization.objects.create(
            partnership=partnership, organization=funder, note=NOTE
        )
        project = ProjectFactory(
            partnership=partnership, budget_usd=250_000, funding_source=FUNDING
        )
        LedgerEntryFactory(partnership=partnership, description=LEDGER)
        users = {name: UserFactory() for name in ["editor", "member", "agency", "other_editor"]}
        users["admin"] = UserFactory(is_staff=True)
        partnership.donor.editors.add(users["editor"])
        elsewhere = CityFactory()
        elsewhere.editors.add(users["other_editor"])
        funder.members.add(users["member"])
        another.members.add(users["agency"])
        agency_group, group_created = Group.objects.get_or_create(name=AGENCY_GROUP)
        users["agency"].groups.add(agency_group)
    yield {"partnership": partnership, "project": project, **users}
    # Outside any test's transaction: remove everything, so other modules start empty.
    with django_db_blocker.unblock():
        partnership.delete()
        for row in [partnership.donor, partnership.recipient, elsewhere, funder, another]:
            row.delete()
        for user in users.values():
            user.delete()
        if group_created:
            agency_group.delete()


SEES = {"editor": True, "member": True, "admin": True, "agency": False, "other_editor": False}


@pytest.mark.django_db
@pytest.mark.parametrize("who", SEES)
def test_api_detail_list_and_csv(world, who):
    client = token_client(world[who])
    pk = world["partnership"].pk
    detail = client.get(f"/api/partnerships/{pk}/").json()
    assert detail["status"] == "proposed"  # everyone sees it exists and its stage
    assert detail["details_visible"] is SEES[who]
    assert (detail["reasons"] == REASONS) is SEES[who]
    assert (detail["organizations"][0]["note"] == NOTE) is SEES[who]
    assert detail["organizations"][0]["name"] == "JICA"
    listed = client.get("/api/partnerships/").json()["results"]
    assert [row["reasons"] == REASONS for row in listed if row["id"] == pk] == [SEES[who]]
    response = client.get("/api/partnerships/", {"format": "csv"})
    csv = b"".join(response.streaming_content).decode()
    assert (REASONS in csv) is SEES[who]
    assert (NOTE in csv) is SEES[who]


@pytest.mark.django_db
@pytest.mark.parametrize("who", SEES)
def test_pages(client, world, who):
    client.force_login(world[who])
    page = client.get(world["partnership"].get_absolute_url()).content.decode()
    assert "Kitakyushu" in page and "Surabaya" in page
    for secret in (REASONS.replace("'", "&#x27;"), NOTE.replace("'", "&#x27;"), FUNDING, LEDGER):
        assert (secret in page) is SEES[who], secret
    project = client.get(f"/projects/{world['project'].pk}/").content.decode()
    assert world["project"].title in project
    assert (FUNDING in project) is SEES[who]
