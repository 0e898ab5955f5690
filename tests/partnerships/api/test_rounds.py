"""/api/programmes/{slug}/rounds/: open, read (the agency sees everything, editors their own
pairs), solve, decisions, capacities, applications, propose, CSV; errors name the field;
permissions; fixed query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from partnerships.models import Partnership, Round, RoundApplication, RoundCapacity
from partnerships.services import rounds
from tests.factories import CityFactory, MatchFactory, MembershipFactory, UserFactory

from ..rounds import OPTIMAL, build_round

pytestmark = pytest.mark.django_db
LIST = "/api/programmes/clean-cities-asia/rounds/"


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def setup(areas):
    return build_round()


def url(setup, action: str = "") -> str:
    return f"{LIST}{setup.round.pk}/{action + '/' if action else ''}"


def names(pairs) -> set[tuple[str, str]]:
    return {(p["donor"]["name"], p["recipient"]["name"]) for p in pairs}


def test_anonymous_gets_401(setup):
    assert APIClient().get(LIST).status_code == 401


def test_list_and_an_unknown_programme(setup):
    client = client_of(UserFactory())
    response = client.get(LIST)
    assert response.status_code == 200
    assert [r["title"] for r in response.json()] == ["Waste 2027"]
    assert client.get("/api/programmes/nowhere/rounds/").status_code == 404


def test_the_agency_opens_a_round_and_bad_input_names_the_field(setup):
    client = client_of(setup.agency)
    bad = client.post(
        LIST,
        {
            "title": "Air 2028",
            "opens_on": "2028-01-01",
            "closes_on": "2028-03-01",
            "budget_usd": 10,
        },
        format="json",
    )
    assert bad.status_code == 400 and list(bad.json()) == ["expected_cost_usd"]
    bad = client.post(LIST, {"title": "Air 2028", "opens_on": "soon"}, format="json")
    assert bad.status_code == 400 and {"opens_on", "closes_on"} <= set(bad.json())
    bad = client.post(
        LIST,
        {
            "title": "Air",
            "opens_on": "2028-01-01",
            "closes_on": "2028-03-01",
            "policy_areas": ["nowhere"],
        },
        format="json",
    )
    assert bad.status_code == 400 and list(bad.json()) == ["policy_areas"]
    assert Round.objects.count() == 1
    response = client.post(
        LIST,
        {
            "title": "Air 2028",
            "opens_on": "2028-01-01",
            "closes_on": "2028-03-01",
            "budget_usd": 300_000,
            "expected_cost_usd": 60_000,
            "policy_areas": ["air"],
            "max_partners": 2,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "open" and body["policy_areas"] == ["air"] and body["max_partners"] == 2
    assert {row["donor"]["name"]: row["capacity"] for row in body["capacities"]} == {
        "Kitakyushu": 1,
        "Osaka": 1,
        "Yokohama": 1,
    }
    assert body["solution"] is None


def test_an_editor_cannot_open_solve_decide_or_propose(setup):
    client = client_of(setup.editors["Cebu"])
    opened = client.post(
        LIST, {"title": "X", "opens_on": "2028-01-01", "closes_on": "2028-03-01"}, format="json"
    )
    assert opened.status_code == 403
    assert client.post(url(setup, "solve")).status_code == 403
    assert client.post(url(setup, "propose")).status_code == 403
    decision = {
        "donor": setup.donors["Osaka"].pk,
        "recipient": setup.recipients["Cebu"].pk,
        "decision": "lock",
    }
    assert client.post(url(setup, "decisions"), decision, format="json").status_code == 403


def test_solve_shows_pairs_totals_and_left_out_with_remedies(setup):
    client = client_of(setup.agency)
    response = client.post(url(setup, "solve"))
    assert response.status_code == 200
    solution = response.json()["solution"]
    assert solution["status"] == "optimal" and names(solution["pairs"]) == OPTIMAL
    assert solution["optimal"]["total_score"] == 232.0
    assert solution["stable"]["pairs"] == len(solution["stable_pairs"])
    pair = solution["pairs"][0]
    assert set(pair["components"]) >= {"need_fit", "reciprocity"} and pair["cost_usd"] == 50_000
    (left,) = solution["left_out"]
    assert left["name"] == "Dhaka" and left["reasons"] == ["donors_full"]
    capacity = next(r for r in left["remedies"] if r["kind"] == "capacity")
    assert capacity["message"] == "Raise Yokohama's capacity to 2 to include Dhaka."
    assert capacity["donor"] == setup.donors["Yokohama"].pk and capacity["capacity"] == 2


def test_lock_raise_capacity_resolve_and_propose_once(setup):
    client = client_of(setup.agency)
    client.post(url(setup, "solve"))
    lock = {
        "donor": setup.donors["Kitakyushu"].pk,
        "recipient": setup.recipients["Bandung"].pk,
        "decision": "lock",
    }
    response = client.post(url(setup, "decisions"), lock, format="json")
    assert response.status_code == 200 and response.json()["decisions"] == [lock]
    response = client.post(
        url(setup, "capacities"),
        {"donor": setup.donors["Yokohama"].pk, "capacity": 2},
        format="json",
    )
    assert response.status_code == 200
    solution = client.post(url(setup, "solve")).json()["solution"]
    chosen = names(solution["pairs"])
    assert ("Kitakyushu", "Bandung") in chosen and len(chosen) == 4
    assert any(p["locked"] for p in solution["pairs"])
    first = client.post(url(setup, "propose"), {"method": "optimal"}, format="json")
    assert first.status_code == 200 and len(first.json()["created"]) == 4
    second = client.post(url(setup, "propose"), {"method": "optimal"}, format="json")
    assert second.json() == {"created": [], "existing": 4}
    assert Partnership.objects.count() == 4


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"donor": 999999, "capacity": 2}, "donor"),
        ({"capacity": 2}, "donor"),
        ({"donor": "DONOR", "capacity": -1}, "capacity"),
        ({"donor": "DONOR", "capacity": "many"}, "capacity"),
    ],
)
def test_bad_capacities_name_the_field(setup, payload, field):
    if payload.get("donor") == "DONOR":
        payload = {**payload, "donor": setup.donors["Osaka"].pk}
    response = client_of(setup.agency).post(url(setup, "capacities"), payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert RoundCapacity.objects.get(donor=setup.donors["Osaka"]).capacity == 1


def test_a_bad_decision_names_the_field(setup):
    client = client_of(setup.agency)
    outsider = CityFactory(role="donor")
    response = client.post(
        url(setup, "decisions"),
        {"donor": outsider.pk, "recipient": setup.recipients["Cebu"].pk, "decision": "lock"},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["donor"]
    response = client.post(
        url(setup, "decisions"),
        {
            "donor": setup.donors["Osaka"].pk,
            "recipient": setup.recipients["Cebu"].pk,
            "decision": "x",
        },
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["decision"]


def test_an_infeasible_round_says_why(setup):
    client = client_of(setup.agency)
    for recipient in ("Bandung", "Cebu"):
        client.post(
            url(setup, "decisions"),
            {
                "donor": setup.donors["Osaka"].pk,
                "recipient": setup.recipients[recipient].pk,
                "decision": "lock",
            },
            format="json",
        )
    solution = client.post(url(setup, "solve")).json()["solution"]
    assert solution["status"] == "infeasible" and solution["pairs"] == []
    (reason,) = solution["infeasible"]
    assert reason["constraint"] == "donor_capacity"
    assert reason["message"].startswith("Osaka can take 1 new partnership, but 2 are locked")
    response = client.post(url(setup, "propose"))
    assert response.status_code == 400 and "round" in response.json()


def test_a_recipient_editor_applies_and_sees_only_its_pairs(setup):
    newcomer = CityFactory(name="Hue", country="VN", role="recipient", needs={"waste": 3})
    MembershipFactory(programme=setup.programme, city=newcomer)
    editor = UserFactory()
    newcomer.editors.add(editor)
    client = client_of(editor)
    response = client.post(url(setup, "applications"), {"recipient": newcomer.pk}, format="json")
    assert response.status_code == 201
    again = client.post(url(setup, "applications"), {"recipient": newcomer.pk}, format="json")
    assert again.status_code == 200
    assert RoundApplication.objects.filter(recipient=newcomer).count() == 1
    other = client.post(
        url(setup, "applications"), {"recipient": setup.recipients["Cebu"].pk}, format="json"
    )
    assert other.status_code == 403
    rounds.solve(user=setup.agency, round_=setup.round)
    cebu = client_of(setup.editors["Cebu"]).get(url(setup)).json()
    assert names(cebu["solution"]["pairs"]) == {("Kitakyushu", "Cebu")}
    assert cebu["solution"]["left_out"] == [] and cebu["decisions"] == []
    assert cebu["can_manage"] is False


def test_csv_export_of_a_round(setup):
    rounds.solve(user=setup.agency, round_=setup.round)
    response = client_of(setup.agency).get(url(setup), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    chosen = {
        (r["donor"], r["recipient"])
        for r in rows
        if r["status"] == "chosen" and r["method"] == "optimal"
    }
    assert chosen == OPTIMAL
    (left,) = [r for r in rows if r["status"] == "left_out"]
    assert left["recipient"] == "Dhaka" and "Raise Yokohama" in left["remedies"]


def test_csv_cells_are_formula_safe(setup):
    setup.recipients["Dhaka"].name = "=HYPERLINK(1)"
    setup.recipients["Dhaka"].save()
    rounds.solve(user=setup.agency, round_=setup.round)
    text = b"".join(client_of(setup.agency).get(url(setup), {"format": "csv"}).streaming_content)
    assert b"'=HYPERLINK(1)" in text


def _detail_queries(setup) -> int:
    client = client_of(setup.agency)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(setup)).status_code == 200
    return len(queries)


def test_the_detail_query_count_is_fixed(setup):
    rounds.solve(user=setup.agency, round_=setup.round)
    small = _detail_queries(setup)
    run = setup.round.programme.rounds.get().pairs.first()
    assert run is not None
    active = MatchFactory._meta.model.objects.filter(run__is_active=True).first().run
    for index in range(4):
        donor = CityFactory(name=f"Donor {index}", role="donor", expertise={"waste": 3})
        recipient = CityFactory(name=f"Town {index}", role="recipient", needs={"waste": 3})
        for city in (donor, recipient):
            MembershipFactory(programme=setup.programme, city=city)
        RoundCapacity.objects.create(round=setup.round, donor=donor, capacity=1)
        RoundApplication.objects.create(round=setup.round, recipient=recipient)
        MatchFactory(run=active, donor=donor, recipient=recipient, score=40 + index)
    rounds.solve(user=setup.agency, round_=setup.round)
    assert _detail_queries(setup) == small


def test_the_schema_lists_the_round_endpoints(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    base = "/api/programmes/{programme_slug}/rounds/"
    for path in (
        "",
        "{id}/",
        "{id}/solve/",
        "{id}/decisions/",
        "{id}/capacities/",
        "{id}/applications/",
        "{id}/propose/",
    ):
        assert base + path in paths, path
