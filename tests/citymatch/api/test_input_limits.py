"""Inputs from strangers: nesting depth, size and row limits (the same in the API and the
command, from settings), and JSON errors everywhere under /api/."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings

from cities.models import City
from tests.cities.helpers import city_row, csv_bytes, json_bytes

pytestmark = pytest.mark.django_db

DEEP = b"[" * 100_000 + b"]" * 100_000


def upload(client, data: bytes, name: str):
    file = SimpleUploadedFile(name, data)
    return client.post("/api/cities/import/", {"file": file}, format="multipart")


def test_a_deeply_nested_json_body_is_a_400(admin_client):
    response = admin_client.post("/api/cities/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["detail"]
    twenty_one = b'{"name": ' + b"[" * 21 + b"]" * 21 + b"}"
    refused = admin_client.post("/api/best-practices/", twenty_one, content_type="application/json")
    assert refused.status_code == 400
    assert "nested deeper than 20 levels" in refused.json()["detail"]


def test_a_deeply_nested_import_is_refused_by_api_and_command(admin_client, tmp_path):
    response = upload(admin_client, DEEP, "cities.json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("is nested deeper than")
    path = tmp_path / "deep.json"
    path.write_bytes(DEEP)
    with pytest.raises(CommandError, match="file: is nested deeper than"):
        call_command("import_cities", str(path), "--no-progress")


@override_settings(IMPORT_MAX_ROWS=3)
def test_the_row_limit_holds_in_api_and_command(admin_client, tmp_path):
    rows = [city_row(n) for n in range(4)]
    response = upload(admin_client, csv_bytes(rows), "cities.csv")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": None,
            "field": "",
            "message": "has 4 cities; at most 3 are imported at once (split the file)",
        }
    ]
    path = tmp_path / "many.json"
    path.write_bytes(json_bytes(rows))
    with pytest.raises(CommandError, match="has 4 cities; at most 3"):
        call_command("import_cities", str(path), "--no-progress")
    assert not City.objects.exists()
    assert upload(admin_client, csv_bytes(rows[:3]), "cities.csv").status_code == 200


def test_the_size_limit_holds_in_the_command(tmp_path):
    path = tmp_path / "big.csv"
    data = csv_bytes([city_row(n) for n in range(40)])
    path.write_bytes(data)
    with (
        override_settings(IMPORT_MAX_BYTES=len(data) - 1),
        pytest.raises(CommandError, match="is larger than"),
    ):
        call_command("import_cities", str(path), "--no-progress")
    assert not City.objects.exists()


def test_the_size_limit_is_a_413_in_the_api(admin_client):
    data = csv_bytes([city_row(n) for n in range(40)])
    with override_settings(IMPORT_MAX_BYTES=len(data) - 1):
        response = upload(admin_client, data, "cities.csv")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


@pytest.mark.parametrize(
    "url", ["/api/nothing-here/", "/api/cities/999999/", "/api/cities/not-a-number/"]
)
def test_every_error_under_api_is_json(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
