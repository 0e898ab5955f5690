"""/api/partnerships/: read for signed-in users, propose for editors of one of the two cities,
change for editors of either city, 401/403/400/405 as API.md says, fixed query counts."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from partnerships.models import Partnership, PartnershipOrganization
from tests.factories import CityFactory, OrganizationFactory, PartnershipFactory, UserFactory

LIST = "/api/partnerships/"


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def detail(partnership) -> str:
    return f"{LIST}{partnership.pk}/"


@pytest.fixture
def partnership(donor, recipient, areas):
    partnership = PartnershipFactory(donor=donor, recipient=recipient, status="agreed")
    partnership.policy_areas.set([areas["waste"]])
    return partnership


def test_anonymous_readers_get_401(api_client, partnership):
    assert api_client.get(LIST).status_code == 401
    assert api_client.get(detail(partnership)).status_code == 401
    assert api_client.patch(detail(partnership), {"reasons": "x"}).status_code == 401


def test_any_signed_in_user_reads_them(partnership):
    agency = client_of(UserFactory())
    body = agency.get(LIST).json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["donor"]["name"] == "Kitakyushu" and item["recipient"]["name"] == "Surabaya"
    assert (item["status"], item["kind"], item["policy_areas"]) == (
        "agreed",
        "donor_recipient",
        ["waste"],
    )
    assert agency.get(detail(partnership)).json()["id"] == partnership.pk
    assert agency.get(f"{LIST}999999/").status_code == 404


def test_an_editor_proposes_one_from_a_match(match, donor_editor, donor, recipient):
    response = client_of(donor_editor).post(
        LIST,
        {
            "donor": donor.pk,
            "recipient": recipient.pk,
            "policy_areas": ["waste", "air"],
            "reasons": "Composting.",
            "match": match.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "proposed" and body["match"] == match.pk
    assert body["match_snapshot"]["score"] == 81.5
    assert sorted(body["policy_areas"]) == ["air", "waste"]
    partnership = Partnership.objects.get()
    assert partnership.created_by == donor_editor
    assert partnership.events.get().action == "created"


def test_proposing_is_for_editors_of_one_of_the_two_cities_and_admins(donor, recipient, staff_user):
    data = {"donor": donor.pk, "recipient": recipient.pk, "policy_areas": ["waste"]}
    assert client_of(UserFactory()).post(LIST, data, format="json").status_code == 403
    other_editor = UserFactory()
    CityFactory().editors.add(other_editor)
    assert client_of(other_editor).post(LIST, data, format="json").status_code == 403
    assert not Partnership.objects.exists()
    assert client_of(staff_user).post(LIST, data, format="json").status_code == 201


def test_bad_proposals_get_400_naming_the_field(donor, recipient, donor_editor, match):
    client = client_of(donor_editor)
    cases = [
        ({"donor": donor.pk, "recipient": donor.pk, "policy_areas": ["waste"]}, "recipient"),
        ({"donor": donor.pk, "recipient": recipient.pk, "policy_areas": []}, "policy_areas"),
        ({"donor": donor.pk, "recipient": recipient.pk, "policy_areas": ["nope"]}, "policy_areas"),
        ({"donor": donor.pk, "recipient": 999999, "policy_areas": ["waste"]}, "recipient"),
        ({"donor": recipient.pk, "recipient": donor.pk, "policy_areas": ["waste"]}, "donor"),
        (
            {"donor": donor.pk, "recipient": recipient.pk, "policy_areas": ["waste"],
             "review_on": "2001-01-01"},
            "review_on",
        ),
        (
            {"donor": donor.pk, "recipient": recipient.pk, "policy_areas": ["waste"],
             "kind": "friends"},
            "kind",
        ),
    ]  # fmt: skip
    for data, field in cases:
        response = client.post(LIST, data, format="json")
        assert response.status_code == 400, (data, response.content)
        assert field in response.json(), (field, response.json())
    other = CityFactory(role="recipient")
    data = {"donor": donor.pk, "recipient": other.pk, "policy_areas": ["waste"], "match": match.pk}
    assert "match" in client.post(LIST, data, format="json").json()
    assert not Partnership.objects.exists()


def test_a_second_open_partnership_for_the_pair_is_refused(partnership, donor_editor):
    data = {
        "donor": partnership.recipient_id,
        "recipient": partnership.donor_id,
        "kind": "peers",
        "policy_areas": ["air"],
    }
    response = client_of(donor_editor).post(LIST, data, format="json")
    assert response.status_code == 400
    assert "already have a partnership" in response.json()["recipient"][0]


def test_editors_of_either_city_patch_and_move_it(partnership, donor_editor, recipient_editor):
    # A later stage needs the other city: 409, and the details sent with it are not saved.
    response = client_of(recipient_editor).patch(
        detail(partnership), {"status": "pilot", "reasons": "Start with markets."}, format="json"
    )
    assert response.status_code == 409, response.json()
    assert "Kitakyushu has not confirmed" in response.json()["detail"]
    response = client_of(recipient_editor).patch(
        detail(partnership), {"reasons": "Start with markets."}, format="json"
    )
    assert response.json()["reasons"] == "Start with markets."
    step = client_of(recipient_editor).post(
        detail(partnership) + "steps/", {"to_status": "pilot"}, format="json"
    )
    assert step.status_code == 201, step.json()
    response = client_of(donor_editor).post(
        detail(partnership) + f"steps/{step.json()['id']}/confirm/"
    )
    assert response.status_code == 200, response.json()
    assert client_of(donor_editor).get(detail(partnership)).json()["status"] == "pilot"
    response = client_of(donor_editor).patch(
        detail(partnership), {"status": "paused", "status_reason": "Elections"}, format="json"
    )
    assert response.json()["status"] == "paused"
    assert response.json()["status_reason"] == "Elections"
    events = partnership.events.filter(action="status").order_by("id")
    assert [(e.to_status, e.user) for e in events] == [
        ("pilot", donor_editor),
        ("paused", donor_editor),
    ]


def test_invalid_moves_get_400_and_change_nothing(partnership, donor_editor):
    client = client_of(donor_editor)
    response = client.patch(
        detail(partnership), {"status": "expanded", "reasons": "Jump"}, format="json"
    )
    assert response.status_code == 400
    assert "cannot move to expanded" in response.json()["status"][0]
    response = client.patch(detail(partnership), {"status": "ended"}, format="json")
    assert "reason" in response.json()
    response = client.patch(detail(partnership), {"status": "flying"}, format="json")
    assert "status" in response.json()
    partnership.refresh_from_db()
    assert partnership.status == "agreed" and partnership.reasons != "Jump"


def test_others_get_403_on_change(partnership, staff_user):
    stranger = client_of(UserFactory())
    assert (
        stranger.patch(detail(partnership), {"status": "pilot"}, format="json").status_code == 403
    )
    partnership.refresh_from_db()
    assert partnership.status == "agreed"
    admin = client_of(staff_user)
    assert admin.patch(detail(partnership), {"status": "pilot"}, format="json").status_code == 409
    moved = admin.patch(detail(partnership), {"status": "pilot", "override": True}, format="json")
    assert moved.status_code == 200


def test_put_and_delete_are_not_allowed(partnership, staff_user):
    admin = client_of(staff_user)
    assert admin.put(detail(partnership), {}, format="json").status_code == 405
    assert admin.delete(detail(partnership)).status_code == 405


def test_filters_shared_with_the_page(partnership, donor_editor, donor):
    other = PartnershipFactory(status="ended")
    client = client_of(donor_editor)

    def ids(**query) -> list[int]:
        return [item["id"] for item in client.get(LIST, query).json()["results"]]

    assert ids(city=donor.pk) == [partnership.pk]
    assert ids(status="ended") == [other.pk]
    assert ids(active="true") == [partnership.pk]
    assert ids(mine="true") == [partnership.pk]
    assert ids(policy_area="waste") == [partnership.pk]
    assert client.get(LIST, {"status": "flying"}).status_code == 400


def test_csv_export(partnership, donor_editor):
    response = client_of(donor_editor).get(LIST, {"format": "csv"})
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,donor_id,donor_name")
    assert "Kitakyushu" in lines[1] and "agreed" in lines[1]


@pytest.mark.parametrize("count", [1, 30])
def test_list_query_count_is_fixed(django_assert_num_queries, donor_editor, areas, count):
    for _ in range(count):
        partnership = PartnershipFactory(donor=CityFactory(), recipient=CityFactory())
        partnership.policy_areas.set([areas["waste"], areas["air"]])
        PartnershipOrganization.objects.create(
            partnership=partnership, organization=OrganizationFactory()
        )
    client = client_of(donor_editor)
    # token + user, count, page, areas, organizations; the user's cities and organizations
    # (who sees the details); the steps waiting for confirmation
    with django_assert_num_queries(8):
        response = client.get(LIST, {"page_size": 100})
    assert len(response.json()["results"]) == count
