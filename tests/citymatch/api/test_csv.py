"""?format=csv on every list: same filters, all pages, flat columns, formulas escaped."""

from __future__ import annotations

import csv
import io

import pytest

from tests.factories import CityFactory, MatchFactory, OrganizationFactory, UserFactory
from toolkit.api.renderers import CSVLayout

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Osaka", "Osaka"),
        (-5, -5),
        (3.5, 3.5),
        (None, ""),
        (True, "true"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(value, cell):
    assert CSVLayout().row({"cell": value}) == {"cell": cell}


def test_city_csv_has_every_row_of_the_filter_in_flat_columns(user_client):
    for n in range(30):
        CityFactory(name=f"Town {n:02}", country="DE", expertise={"waste": 3, "air": 2})
    CityFactory(name="Osaka", country="JP")
    response = user_client.get("/api/cities/", {"format": "csv", "country": "DE", "page_size": 5})
    assert 'filename="citymatch-cities-' in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 30  # all pages, not the page size
    assert rows[0]["name"] == "Town 00"
    assert rows[0]["expertise"] == "waste:3;air:2"
    assert rows[0]["languages"] == "en"
    assert rows[0]["has_international_department"] == "true"


def test_formula_in_a_city_name_is_escaped(user_client):
    CityFactory(name="=cmd|' /C calc'!A0", country="DE")
    rows = read_csv(user_client.get("/api/cities/?format=csv"))
    assert rows[0]["name"] == "'=cmd|' /C calc'!A0"


def test_match_csv_flattens_cities_and_components(user_client, active_run):
    match = MatchFactory(
        run=active_run,
        donor=CityFactory(name="Kitakyushu", role="donor"),
        recipient=CityFactory(name="@Surabaya", country="ID", role="recipient"),
        score=81.5,
        recipient_rank=None,
        top_areas=[
            {"area": "waste", "need": 3, "expertise": 3},
            {"area": "air", "need": 2, "expertise": 3},
        ],
        practices=[{"id": 4, "title": "Takakura composting"}],
        gives_back=["economy", "education"],
    )
    MatchFactory(run=active_run, score=10, top_areas=[{"area": "water", "need": 1, "expertise": 2}])
    response = user_client.get("/api/matches/", {"format": "csv", "policy_area": "waste"})
    assert 'filename="citymatch-matches-' in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 1
    row = rows[0]
    assert list(row)[:8] == [
        "id", "run", "donor_id", "donor_name", "donor_slug", "donor_country",
        "donor_population (inhabitants)", "recipient_id",
    ]  # fmt: skip
    assert row["id"] == str(match.pk)
    assert row["donor_name"] == "Kitakyushu"
    assert row["recipient_name"] == "'@Surabaya"
    assert row["need_fit (0-1)"] == "0.5" and row["language (0-1)"] == "1.0"
    assert row["recipient_rank"] == ""
    assert row["top_areas (area:need:expertise, 0-3)"] == "waste:3:3;air:2:3"
    assert row["practices (id:title)"] == "4:Takakura composting"
    assert row["gives_back"] == "economy;education"
    assert row["existing_partnership"] == "false"


def test_empty_csv_still_has_its_header(user_client):
    rows_text = b"".join(user_client.get("/api/matches/?format=csv").streaming_content).decode()
    assert rows_text.startswith("id,run,donor_id,donor_name")


@pytest.mark.parametrize(
    "url", ["/api/policy-areas/", "/api/sectors/", "/api/organizations/", "/api/match-runs/"]
)
def test_every_list_answers_csv(user_client, active_run, url):
    OrganizationFactory(name="JICA")
    assert len(read_csv(user_client.get(url, {"format": "csv"}))) >= 1


def test_bad_filter_with_csv_answers_json_errors(user_client):
    response = user_client.get("/api/cities/", {"format": "csv", "country": "XX"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "country" in response.json()


def test_csv_needs_a_signed_in_user(api_client):
    response = api_client.get("/api/cities/", {"format": "csv"})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_city_detail_answers_one_csv_row(user_client):
    city = CityFactory(name="Osaka", needs={"water": 3})
    rows = read_csv(user_client.get(f"/api/cities/{city.pk}/", {"format": "csv"}))
    assert [(row["name"], row["needs"]) for row in rows] == [("Osaka", "water:3")]


def test_the_page_and_the_api_write_the_same_rounded_columns(user_client, client, active_run):
    MatchFactory(run=active_run, score=71.26, need_fit=0.123456789, size_ratio=2.1089883920060064)
    api_text = b"".join(
        user_client.get("/api/matches/", {"format": "csv"}).streaming_content
    ).decode()
    client.force_login(UserFactory())
    page_text = b"".join(client.get("/matches/", {"format": "csv"}).streaming_content).decode()
    assert api_text == page_text
    row = next(csv.DictReader(io.StringIO(page_text)))
    assert row["score (0-100)"] == "71.3"
    assert row["need_fit (0-1)"] == "0.123"
    assert row["size_ratio (larger/smaller population)"] == "2.11"
    assert "2.1089883920060064" not in page_text
