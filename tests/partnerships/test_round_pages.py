"""The round page: the agency sees the pairs with their breakdown, the left-out recipients with
reasons and remedies, optimal against stable, and acts through plain forms; editors see their
own pairs and apply; the programme page links to its rounds; fixed query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships.models import Partnership, RoundApplication, RoundCapacity, RoundDecision
from partnerships.services import rounds
from tests.factories import CityFactory, MatchFactory, MembershipFactory, UserFactory

from .rounds import build_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(areas):
    setup = build_round()
    rounds.solve(user=setup.agency, round_=setup.round)
    return setup


def page(setup, name: str = "round-detail") -> str:
    return reverse(name, kwargs={"slug": setup.programme.slug, "pk": setup.round.pk})


def test_anonymous_visitors_sign_in_first(client, setup):
    response = client.get(page(setup))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_agency_sees_pairs_left_out_remedies_and_forms(client, setup):
    client.force_login(setup.agency)
    html = client.get(page(setup)).content.decode()
    for text in (
        "Proposed pairs",
        "Kitakyushu",
        "Score breakdown",
        "Need fit",
        "Left-out recipients",
        "Dhaka is left out: its better donors&#x27;",
        "Raise Yokohama&#x27;s capacity to 2 to include Dhaka.",
        "Optimal: total score",
        "232.0",
        "Propose these partnerships",
        "Lock in",
        "Rule out",
    ):
        assert text in html, text


def test_an_editor_sees_only_its_pairs_and_no_agency_forms(client, setup):
    client.force_login(setup.editors["Cebu"])
    html = client.get(page(setup)).content.decode()
    assert "Your cities" in html and "Kitakyushu" in html
    assert "Osaka</th>" not in html and "Dhaka is left out" not in html
    assert "Propose these partnerships" not in html and "Lock in" not in html


def test_lock_capacity_solve_and_propose_through_the_forms(client, setup):
    client.force_login(setup.agency)
    kita, bandung = setup.donors["Kitakyushu"], setup.recipients["Bandung"]
    response = client.post(
        page(setup, "round-decide"),
        {"donor": kita.pk, "recipient": bandung.pk, "decision": "lock"},
    )
    assert response.status_code == 302
    assert RoundDecision.objects.get(donor=kita, recipient=bandung).kind == "lock"
    client.post(
        page(setup, "round-capacity"), {"donor": setup.donors["Yokohama"].pk, "capacity": 2}
    )
    assert RoundCapacity.objects.get(donor=setup.donors["Yokohama"]).capacity == 2
    client.post(page(setup, "round-solve"))
    html = client.get(page(setup)).content.decode()
    assert "locked in" in html and "Left-out recipients" not in html
    response = client.post(page(setup, "round-propose"), {"method": "optimal"}, follow=True)
    assert "4 partnerships proposed" in response.content.decode()
    response = client.post(page(setup, "round-propose"), {"method": "optimal"}, follow=True)
    assert "Nothing new" in response.content.decode()
    assert Partnership.objects.count() == 4


@pytest.mark.parametrize("capacity", ["-1", "many", "51"])
def test_a_bad_capacity_is_named_and_writes_nothing(client, setup, capacity):
    client.force_login(setup.agency)
    response = client.post(
        page(setup, "round-capacity"),
        {"donor": setup.donors["Osaka"].pk, "capacity": capacity},
        follow=True,
    )
    assert "capacity:" in response.content.decode()
    assert RoundCapacity.objects.get(donor=setup.donors["Osaka"]).capacity == 1


def test_an_editor_cannot_post_the_agencys_forms(client, setup):
    client.force_login(setup.editors["Cebu"])
    response = client.post(page(setup, "round-solve"))
    assert response.status_code == 403
    response = client.post(
        page(setup, "round-decide"),
        {
            "donor": setup.donors["Osaka"].pk,
            "recipient": setup.recipients["Cebu"].pk,
            "decision": "lock",
        },
    )
    assert response.status_code == 403 and not RoundDecision.objects.exists()


def test_an_infeasible_round_shows_why(client, setup):
    client.force_login(setup.agency)
    for name in ("Bandung", "Cebu"):
        client.post(
            page(setup, "round-decide"),
            {
                "donor": setup.donors["Osaka"].pk,
                "recipient": setup.recipients[name].pk,
                "decision": "lock",
            },
        )
    html = client.post(page(setup, "round-solve"), follow=True).content.decode()
    assert "The round cannot be solved as it is" in html
    assert "Osaka can take 1 new partnership, but 2 are locked" in html
    assert "Propose these partnerships" not in html


def test_a_member_recipients_editor_applies_from_the_page(client, setup):
    hue = CityFactory(name="Hue", country="VN", role="recipient", needs={"waste": 3})
    MembershipFactory(programme=setup.programme, city=hue)
    editor = UserFactory()
    hue.editors.add(editor)
    client.force_login(editor)
    assert "Apply to this round" in client.get(page(setup)).content.decode()
    response = client.post(page(setup, "round-apply"), {"recipient": hue.pk}, follow=True)
    assert "Hue applied to the round." in response.content.decode()
    assert RoundApplication.objects.filter(recipient=hue).exists()
    assert "Apply to this round" not in client.get(page(setup)).content.decode()


def test_the_programme_page_links_to_its_rounds(client, setup):
    client.force_login(UserFactory())
    html = client.get(setup.programme.get_absolute_url()).content.decode()
    assert page(setup) in html and "Waste 2027" in html


def test_csv_export_from_the_page(client, setup):
    client.force_login(setup.agency)
    response = client.get(page(setup, "round-export"))
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("status,method,donor") and "Dhaka" in text


def _queries(client, setup) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page(setup)).status_code == 200
    return len(queries)


def test_the_page_query_count_is_fixed(client, setup):
    client.force_login(setup.agency)
    small = _queries(client, setup)
    run = MatchFactory._meta.model.objects.filter(run__is_active=True).first().run
    for index in range(4):
        donor = CityFactory(name=f"Donor {index}", role="donor", expertise={"waste": 3})
        recipient = CityFactory(name=f"Town {index}", role="recipient", needs={"waste": 3})
        for city in (donor, recipient):
            MembershipFactory(programme=setup.programme, city=city)
        RoundCapacity.objects.create(round=setup.round, donor=donor, capacity=1)
        RoundApplication.objects.create(round=setup.round, recipient=recipient)
        MatchFactory(run=run, donor=donor, recipient=recipient, score=40 + index)
    RoundDecision.objects.create(
        round=setup.round,
        donor=setup.donors["Osaka"],
        recipient=setup.recipients["Dhaka"],
        kind="rule_out",
    )
    rounds.solve(user=setup.agency, round_=setup.round)
    assert _queries(client, setup) == small
