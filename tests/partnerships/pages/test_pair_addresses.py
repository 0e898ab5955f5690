"""A match page is addressed by its two cities and keeps working through rescoring and runs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cities import services as city_services
from cities.models import City, CityAreaLevel
from matching.models import Match, ScoringProfile
from partnerships.models import ExpressionOfInterest
from tests.api_clients import token_client
from tests.factories import ScoringProfileFactory, population
from tests.html import text
from tests.matching.helpers import run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(django_capture_on_commit_callbacks):
    # Each city keeps its best 3: most fitting pairs are not stored.
    ScoringProfile.objects.update(is_default=False)
    ScoringProfileFactory(name="Top 3", is_default=True, top_k=3)
    cities = population(30, seed=11)
    run = run_now(django_capture_on_commit_callbacks)
    return cities, run


def _ranked_pair(run) -> Match:
    return (
        Match.objects.filter(run=run, recipient_rank=1)
        .select_related("donor", "recipient")
        .order_by("recipient_id")
        .first()
    )


def _unstored_pair(run) -> tuple[City, City]:
    """A donor and a recipient that fit (the donor has expertise in an area of the recipient's
    needs) but that the run does not store: neither has the other in its top K."""
    stored = set(Match.objects.filter(run=run).values_list("donor_id", "recipient_id"))
    levels = CityAreaLevel.objects.values_list("city_id", "policy_area_id", "need", "expertise")
    needs = {(city, area) for city, area, need, _ in levels if need > 0}
    offers = {(city, area) for city, area, _, expertise in levels if expertise > 0}
    donors = City.objects.exclude(role=City.Role.RECIPIENT).order_by("pk")
    recipients = City.objects.exclude(role=City.Role.DONOR).order_by("pk")
    for recipient in recipients:
        for donor in donors:
            fits = any((donor.pk, area) in offers for city, area in needs if city == recipient.pk)
            if fits and donor.pk != recipient.pk and (donor.pk, recipient.pk) not in stored:
                return donor, recipient
    raise AssertionError("every fitting pair is stored")


def test_the_pair_address_survives_a_rescoring_and_a_new_run(
    client, staff_user, scored, django_capture_on_commit_callbacks
):
    _, run = scored
    match = _ranked_pair(run)
    address = match.get_absolute_url()
    assert address == f"/matches/{match.donor.slug}/{match.recipient.slug}/"
    client.force_login(staff_user)
    assert f"{match.donor.name} could help {match.recipient.name}" in text(client.get(address))

    # The recipient edits its profile: its rows are replaced, the old row id is gone…
    with django_capture_on_commit_callbacks(execute=True):
        city_services.update_city_profile(
            city=match.recipient, fields={"absorptive_capacity": 5}, trigger="form"
        )
    assert not Match.objects.filter(pk=match.pk).exists()
    assert client.get(f"/matches/{match.pk}/").status_code == 404
    # …and the address still opens, as do the brief and the actions.
    for page in (address, address + "brief/"):
        response = client.get(page)
        assert response.status_code == 200
        assert match.recipient.name in text(response)

    newer = run_now(django_capture_on_commit_callbacks)
    assert newer.pk != run.pk and newer.is_active
    page = text(client.get(address))
    assert f"{match.donor.name} could help {match.recipient.name}" in page
    fresh = Match.objects.get(run=newer, donor=match.donor, recipient=match.recipient)
    assert f"{fresh.score:.1f}" in page
    # The row id of the new run redirects to the same address.
    assert client.get(f"/matches/{fresh.pk}/")["Location"] == address


def test_a_pair_the_run_does_not_store_is_scored_now(client, staff_user, scored):
    _, run = scored
    donor, recipient = _unstored_pair(run)
    client.force_login(staff_user)
    response = client.get(reverse("match-detail", args=[donor.slug, recipient.slug]))
    assert response.status_code == 200
    page = text(response)
    assert "Scored just now with the current weights" in page
    assert "neither city has the other in its top list" in page
    assert f"{donor.name} could help {recipient.name}" in page
    brief = text(client.get(reverse("match-brief", args=[donor.slug, recipient.slug])))
    assert "scored on this date with the current weights" in brief
    assert Match.objects.filter(run=run, donor=donor, recipient=recipient).count() == 0


def test_a_pair_without_fit_explains_why(client, staff_user, scored):
    _, run = scored
    donor = City.objects.filter(role=City.Role.DONOR).first()
    recipient = City.objects.filter(role=City.Role.DONOR).exclude(pk=donor.pk).first()
    client.force_login(staff_user)
    response = client.get(reverse("match-detail", args=[donor.slug, recipient.slug]))
    assert response.status_code == 200
    assert f"{recipient.name} takes part only as a donor" in text(response)
    assert client.get("/matches/no-such-city/" + recipient.slug + "/").status_code == 404


def test_the_inbox_links_to_the_pair(client, staff_user, scored):
    _, run = scored
    match = _ranked_pair(run)
    ExpressionOfInterest.objects.create(
        from_city=match.recipient,
        to_city=match.donor,
        from_role=ExpressionOfInterest.Role.RECIPIENT,
        match_ref=match.pk,
        message="Your waste programme.",
    )
    client.force_login(staff_user)
    page = client.get(reverse("interest-inbox")).content.decode()
    assert f'href="{match.get_absolute_url()}"' in page


def test_the_api_finds_a_pair_by_its_cities(agency_user, scored):
    _, run = scored
    match = _ranked_pair(run)
    api = token_client(agency_user)
    body = api.get(
        "/api/matches/pair/", {"donor": match.donor.slug, "recipient": match.recipient.slug}
    ).json()
    assert body["stored"] is True
    assert body["match"]["id"] == match.pk and body["match"]["score"] == match.score
    assert body["page"].endswith(match.get_absolute_url())
    by_id = api.get(
        "/api/matches/pair/", {"donor": match.donor.pk, "recipient": match.recipient.pk}
    ).json()
    assert by_id["match"]["id"] == match.pk

    donor, recipient = _unstored_pair(run)
    body = api.get("/api/matches/pair/", {"donor": donor.slug, "recipient": recipient.slug}).json()
    assert body["stored"] is False
    assert body["match"]["id"] is None and body["match"]["score"] > 0
    assert body["match"]["donor_rank"] is None and body["match"]["recipient_rank"] is None

    missing = api.get("/api/matches/pair/", {"donor": match.donor.slug})
    assert missing.status_code == 400
    assert missing.json() == {"recipient": ["Give the city's slug or id."]}
    unknown = api.get("/api/matches/pair/", {"donor": "atlantis", "recipient": "x"})
    assert unknown.status_code == 404


def test_the_pair_lookup_is_in_the_schema(agency_user):
    schema = token_client(agency_user).get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"] for p in schema["paths"]["/api/matches/pair/"]["get"]["parameters"]}
    assert {"donor", "recipient"} <= parameters


def test_other_weights_rescore_the_recipient_without_storing(client, staff_user, scored):
    _, run = scored
    match = _ranked_pair(run)
    client.force_login(staff_user)
    before = Match.objects.count()
    page = text(client.get(match.get_absolute_url()))
    assert "Try other weights" in page
    response = client.get(
        match.get_absolute_url(), {"w_need_fit": "1", "w_size": "0", "w_language": "0"}
    )
    result = text(response)
    assert f"With these weights {match.donor.name} would be number" in result
    assert f"{match.recipient.name}'s best donors with these weights" in result
    assert Match.objects.count() == before
    refused = text(client.get(match.get_absolute_url(), {"w_need_fit": "-1"}))
    assert "need_fit: a weight cannot be negative (-1)." in refused
