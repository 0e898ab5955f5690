"""/api/cities/import/: the same checks and all-or-nothing report as the command; 413, 415."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cities.models import City

pytestmark = pytest.mark.django_db

HEADER = (
    "name,country,latitude,longitude,population,role,languages,has_international_department,"
    "international_staff,years_of_cooperation,absorptive_capacity,cooperation_budget_usd,"
    "cofunding_usd,expertise,needs,sectors\n"
)
KITAKYUSHU = (
    "Kitakyushu,JP,33.88,130.88,940978,donor,ja;en,true,12,30,5,800000,0,"
    "waste:3;air:3;water:2,economy:2;education:1,C:0.3;E:0.1;H:0.1\n"
)
SURABAYA = "Surabaya,ID,-7.25,112.75,2874314,recipient,id;en,true,4,8,3,0,50000,,waste:3,C:0.4\n"


def upload(client, content: bytes | str, name: str = "cities.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/api/cities/import/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
    )


@pytest.mark.parametrize("who", ["agency_client", "admin_client"])
def test_csv_import_creates_cities(request, who):
    response = upload(request.getfixturevalue(who), HEADER + KITAKYUSHU + SURABAYA)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 0)
    kitakyushu = City.objects.get(name="Kitakyushu")
    assert sorted(body["city_ids"]) == sorted(City.objects.values_list("id", flat=True))
    assert kitakyushu.area_levels.get(policy_area__code="waste").expertise == 3


def test_importing_again_updates(agency_client):
    upload(agency_client, HEADER + KITAKYUSHU)
    changed = KITAKYUSHU.replace("940978", "941000")
    body = upload(agency_client, HEADER + changed + SURABAYA).json()
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 1, 0)
    assert City.objects.get(name="Kitakyushu").population == 941000


def test_json_import(agency_client):
    lyon = "Lyon,FR,45.76,4.84,520000,both,fr,false,0,0,2,0,0,,,"
    rows = [dict(zip(HEADER.strip().split(","), lyon.split(","), strict=True))]
    response = upload(agency_client, json.dumps(rows), name="cities.json")
    assert response.status_code == 200, response.content
    assert City.objects.get().name == "Lyon"


def test_bad_rows_reject_the_whole_file_with_every_error(agency_client):
    bad = SURABAYA.replace("2874314", "-5").replace(",ID,", ",XX,")
    response = upload(agency_client, HEADER + KITAKYUSHU + bad)
    assert response.status_code == 400
    errors = response.json()["errors"]
    fields = {(error["row"], error["field"]) for error in errors}
    assert (3, "population") in fields and (3, "country") in fields
    assert all(error["message"] for error in errors)
    assert not City.objects.exists()


def test_unknown_policy_area_is_reported_with_row_and_field(agency_client):
    response = upload(agency_client, HEADER + KITAKYUSHU.replace("waste:3;", "wste:3;"))
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["row"], error["field"]) == (2, "expertise")
    assert "wste" in error["message"]


def test_missing_file_is_400(agency_client):
    response = agency_client.post("/api/cities/import/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"row": None, "field": "file", "message": "No file was submitted."}]
    }


def test_file_over_the_limit_is_413(agency_client, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(agency_client, HEADER + KITAKYUSHU * 20)
    assert response.status_code == 413
    assert "larger" in response.json()["detail"]
    assert not City.objects.exists()


def test_json_body_is_415(agency_client):
    response = agency_client.post("/api/cities/import/", {"file": "x"}, format="json")
    assert response.status_code == 415


def test_plain_users_cannot_import(user_client, api_client):
    assert upload(user_client, HEADER + KITAKYUSHU).status_code == 403
    assert upload(api_client, HEADER + KITAKYUSHU).status_code == 401
    assert not City.objects.exists()


def test_import_is_post_only(agency_client):
    assert agency_client.get("/api/cities/import/").status_code == 405
