"""Who may import which rows (API.md): admins any; agency users new cities and cities no editor
maintains; editors their own cities. A refused row is named; nothing of the file is written.
The ``import_cities`` command runs as an admin unless ``--as USER`` is given."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from cities.models import City
from tests.cities.helpers import city_row, csv_bytes
from tests.factories import CityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agency_user):
    """Hanoi maintained by its editor; Da Nang by no one."""
    editor = UserFactory()
    hanoi = CityFactory(name="Hanoi", country="VN", population=8_000_000)
    hanoi.editors.add(editor)
    danang = CityFactory(name="Da Nang", country="VN", population=1_200_000)
    return {"editor": editor, "hanoi": hanoi, "danang": danang, "agency": agency_user}


def upload(client, rows):
    file = SimpleUploadedFile("cities.csv", csv_bytes(rows))
    return client.post("/api/cities/import/", {"file": file}, format="multipart")


def row_for(city: City, population: int = 7):
    return city_row(name=city.name, country=city.country, population=population)


def test_an_agency_cannot_overwrite_a_city_its_editors_maintain(client_of, world):
    hanoi, danang = world["hanoi"], world["danang"]
    response = upload(client_of(world["agency"]), [row_for(danang), row_for(hanoi)])
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == [
        {
            "row": 3,
            "field": "name",
            "message": "Hanoi (VN) is maintained by its editors: only they and admins may "
            "change it",
        }
    ]
    # Nothing of the file was written, the allowed row included.
    assert City.objects.get(pk=hanoi.pk).population == 8_000_000
    assert City.objects.get(pk=danang.pk).population == 1_200_000


def test_an_agency_creates_and_updates_unmaintained_cities(client_of, world):
    response = upload(client_of(world["agency"]), [row_for(world["danang"]), city_row(1)])
    assert response.status_code == 200, response.content
    assert (response.json()["created"], response.json()["updated"]) == (1, 1)
    assert City.objects.get(pk=world["danang"].pk).population == 7


def test_an_editor_updates_their_city_but_creates_none_and_touches_no_other(client_of, world):
    editor = client_of(world["editor"])
    refused = upload(editor, [row_for(world["hanoi"]), row_for(world["danang"]), city_row(2)])
    assert refused.status_code == 400
    assert [(error["row"], error["field"]) for error in refused.json()["errors"]] == [
        (3, "name"),
        (4, "name"),
    ]
    assert "new city" in refused.json()["errors"][1]["message"]
    assert City.objects.get(pk=world["hanoi"].pk).population == 8_000_000
    allowed = upload(editor, [row_for(world["hanoi"])])
    assert allowed.status_code == 200
    assert City.objects.get(pk=world["hanoi"].pk).population == 7


def test_an_unchanged_row_is_no_write_and_is_not_refused(client_of, world):
    admin = UserFactory(is_staff=True)
    assert upload(client_of(admin), [row_for(world["hanoi"])]).status_code == 200
    again = upload(client_of(world["agency"]), [row_for(world["hanoi"])])
    assert again.status_code == 200
    assert again.json()["unchanged"] == 1


@pytest.mark.parametrize("group", [None, "curators"])
def test_users_without_cities_or_agency_may_not_import(client_of, world, group):
    user = UserFactory()
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    response = upload(client_of(user), [city_row(3)])
    assert response.status_code == 403
    assert not City.objects.filter(name="Town 3").exists()


def test_admins_import_any_row(client_of, world):
    response = upload(client_of(UserFactory(is_staff=True)), [row_for(world["hanoi"])])
    assert response.status_code == 200
    assert City.objects.get(pk=world["hanoi"].pk).population == 7


def test_the_command_runs_as_an_admin_or_as_the_user_given(tmp_path, world):
    path = tmp_path / "cities.csv"
    path.write_bytes(csv_bytes([row_for(world["hanoi"])]))
    agency = world["agency"].username
    with pytest.raises(CommandError, match=r"row 2, name: Hanoi \(VN\) is maintained"):
        call_command("import_cities", str(path), "--no-progress", "--as", agency)
    assert City.objects.get(pk=world["hanoi"].pk).population == 8_000_000
    with pytest.raises(CommandError, match="no active user"):
        call_command("import_cities", str(path), "--no-progress", "--as", "nobody")
    call_command("import_cities", str(path), "--no-progress", "--as", world["editor"].username)
    assert City.objects.get(pk=world["hanoi"].pk).population == 7
    path.write_bytes(csv_bytes([row_for(world["hanoi"], population=9)]))
    call_command("import_cities", str(path), "--no-progress")
    assert City.objects.get(pk=world["hanoi"].pk).population == 9
