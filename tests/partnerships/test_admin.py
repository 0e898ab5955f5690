"""Admin of cooperation: every page opens, programme rules are checked, applications are
admitted by an action, partnership edits go through the service (and its history)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerships.models import ProgrammeMembership
from tests.factories import (
    InterestFactory,
    LedgerEntryFactory,
    MembershipFactory,
    OrganizationFactory,
    PartnershipFactory,
    ProjectFactory,
)


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def world(donor, recipient, areas):
    partnership = PartnershipFactory(donor=donor, recipient=recipient, status="pilot")
    partnership.policy_areas.set([areas["waste"]])
    LedgerEntryFactory(partnership=partnership)
    partnership.events.create(action="created")
    return {
        "partnership": partnership,
        "project": ProjectFactory(partnership=partnership),
        "interest": InterestFactory(from_city=recipient, to_city=donor),
        "membership": MembershipFactory(city=recipient, status="applied"),
        "ledgerentry": partnership.ledger.get(),
    }


@pytest.mark.parametrize(
    "model", ["partnership", "project", "expressionofinterest", "programme", "programmemembership",
              "ledgerentry"],
)  # fmt: skip
def test_admin_pages_open(admin_client, world, model):
    assert admin_client.get(reverse(f"admin:partnerships_{model}_changelist")).status_code == 200
    objects = {
        "expressionofinterest": world["interest"],
        "programmemembership": world["membership"],
        "programme": world["membership"].programme,
    }
    obj = objects.get(model) or world[model]
    url = reverse(f"admin:partnerships_{model}_change", args=[obj.pk])
    assert admin_client.get(url).status_code == 200


def test_programme_countries_are_checked(admin_client, areas):
    organization = OrganizationFactory()
    data = {
        "name": "Clean Cities",
        "slug": "clean-cities",
        "organization": organization.pk,
        "countries": '["ID", "XX"]',
        "min_cofunding_usd": 0,
        "policy_areas": [areas["waste"].pk],
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
    }
    response = admin_client.post(reverse("admin:partnerships_programme_add"), data)
    assert response.status_code == 200 and "Unknown country codes: XX." in response.content.decode()
    data["countries"] = '["ID"]'
    response = admin_client.post(reverse("admin:partnerships_programme_add"), data)
    assert response.status_code == 302


def test_admit_action(admin_client, world):
    membership = world["membership"]
    response = admin_client.post(
        reverse("admin:partnerships_programmemembership_changelist"),
        {"action": "admit_selected", "_selected_action": [membership.pk]},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == ProgrammeMembership.Status.MEMBER


def test_editing_a_partnership_in_the_admin_is_recorded(admin_client, world, staff_user, areas):
    partnership = world["partnership"]
    url = reverse("admin:partnerships_partnership_change", args=[partnership.pk])
    data = {
        "reasons": "Changed by the network.",
        "policy_areas": [areas["waste"].pk, areas["education"].pk],
        "review_on": "",
        "programme": "",
        **{
            f"{prefix}-{key}": value
            for prefix in ("organization_links", "ledger", "step_proposals", "events")
            for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
        },
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    partnership.refresh_from_db()
    assert partnership.reasons == "Changed by the network."
    assert set(partnership.policy_areas.values_list("code", flat=True)) == {"waste", "education"}
    event = partnership.events.get(action="edited")
    assert event.user == staff_user


def test_no_partnership_is_added_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:partnerships_partnership_add")).status_code == 403
