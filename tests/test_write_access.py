"""Every write path x every role (API.md, "who may write"): anonymous, agency, editor of
another city, the city's own editor, curator, admin.

The world is built once for the module; each test runs in a transaction that is rolled back,
so a write in one test is never seen by the next. Clients sign in with force_login or a
token (no password hashing); no scoring run is started (a queued run makes an allowed start a
409, after the permission check).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bestpractices.models import BestPractice
from cities.models import City
from cities.permissions import AGENCY_GROUP, CURATOR_GROUP
from matching.models import MatchRun
from partnerships.models import Partnership
from tests.cities.helpers import city_row, csv_bytes
from tests.factories import BestPracticeFactory, CityFactory, PartnershipFactory, UserFactory
from tests.factories.matching import MatchRunFactory

ROLES = ["anonymous", "agency", "other_editor", "own_editor", "curator", "admin"]
POPULATION = 8_000_000


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        hanoi = CityFactory(name="Hanoi", country="VN", population=POPULATION)
        danang = CityFactory(name="Da Nang", country="VN")
        elsewhere = CityFactory(name="Elsewhere", country="FR")
        hue = CityFactory(name="Hue", country="VN")
        users = {
            "agency": UserFactory(),
            "other_editor": UserFactory(),
            "own_editor": UserFactory(),
            "curator": UserFactory(),
            "admin": UserFactory(is_staff=True, is_superuser=True),
        }
        groups = {
            name: Group.objects.get_or_create(name=name) for name in (AGENCY_GROUP, CURATOR_GROUP)
        }
        users["agency"].groups.add(groups[AGENCY_GROUP][0])
        users["curator"].groups.add(groups[CURATOR_GROUP][0])
        hanoi.editors.add(users["own_editor"])
        elsewhere.editors.add(users["other_editor"])
        partnership = PartnershipFactory(donor=hanoi, recipient=danang, reasons="Before")
        draft = BestPracticeFactory(
            city=hanoi, author=users["own_editor"], status=BestPractice.Status.DRAFT
        )
        queued = MatchRunFactory(status=MatchRun.Status.QUEUED)
        tokens = {role: Token.objects.create(user=user).key for role, user in users.items()}
    yield {
        "hanoi": hanoi,
        "danang": danang,
        "hue": hue,
        "partnership": partnership,
        "draft": draft,
        "users": users,
        "tokens": tokens,
    }
    with django_db_blocker.unblock():
        queued.delete()
        draft.delete()
        for city in (hanoi, danang, elsewhere, hue):
            city.delete()
        for user in users.values():
            user.delete()
        for group, created in groups.values():
            if created:
                group.delete()


def api(world, role: str) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][role]}")
    return client


def page(world, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def expect(role: str, allowed: set[str], ok: int | set[int], refused: int = 403) -> set[int]:
    """The statuses a role may get: ``ok`` if allowed, 401 (API) for anonymous, else ``refused``."""
    if role in allowed:
        return ok if isinstance(ok, set) else {ok}
    return {401} if role == "anonymous" else {refused}


def hanoi_population() -> int:
    return City.objects.values_list("population", flat=True).get(name="Hanoi")


CITY_BODY: dict[str, Any] = {
    "country": "VN",
    "latitude": 10.8,
    "longitude": 106.6,
    "population": 9_000_000,
    "role": "recipient",
    "languages": ["vi"],
}

parametrize_roles = pytest.mark.parametrize("role", ROLES)
pytestmark = pytest.mark.django_db


# --- Cities ----------------------------------------------------------------------------------
@parametrize_roles
def test_api_create_city(world, role):
    body = {**CITY_BODY, "name": f"Saigon {role}"}
    response = api(world, role).post("/api/cities/", body, format="json")
    assert response.status_code in expect(role, {"agency", "admin"}, 201), response.content
    assert City.objects.filter(name=body["name"]).exists() is (response.status_code == 201)


@parametrize_roles
def test_api_change_city(world, role):
    url = f"/api/cities/{world['hanoi'].pk}/"
    response = api(world, role).patch(url, {"population": 7}, format="json")
    assert response.status_code in expect(role, {"own_editor", "admin"}, 200)
    assert hanoi_population() == (7 if response.status_code == 200 else POPULATION)


@parametrize_roles
def test_api_delete_city(world, role):
    response = api(world, role).delete(f"/api/cities/{world['hanoi'].pk}/")
    assert response.status_code in expect(role, {"own_editor", "admin"}, 204)
    assert City.objects.filter(pk=world["hanoi"].pk).exists() is (response.status_code != 204)


@parametrize_roles
def test_api_import(world, role):
    row = city_row(name="Hanoi", country="VN", population=7)
    file = SimpleUploadedFile("cities.csv", csv_bytes([row]))
    response = api(world, role).post("/api/cities/import/", {"file": file}, format="multipart")
    # Agencies and other editors may import, but not this maintained city's row: 400 naming it.
    statuses = expect(role, {"own_editor", "admin"}, 200)
    if role in {"agency", "other_editor"}:
        statuses = {400}
    assert response.status_code in statuses, response.content
    if response.status_code == 400:
        assert response.json()["errors"][0]["row"] == 2
    assert hanoi_population() == (7 if response.status_code == 200 else POPULATION)


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_import_command_as_user(world, role, tmp_path):
    path = tmp_path / "cities.csv"
    path.write_bytes(csv_bytes([city_row(name="Hanoi", country="VN", population=7)]))
    username = world["users"][role].username
    if role in {"own_editor", "admin"}:
        call_command("import_cities", str(path), "--no-progress", "--as", username)
        assert hanoi_population() == 7
    else:
        with pytest.raises(CommandError):
            call_command("import_cities", str(path), "--no-progress", "--as", username)
        assert hanoi_population() == POPULATION


@parametrize_roles
def test_city_edit_form(world, role):
    from tests.cities.pages.test_city_edit import _valid_post

    response = page(world, role).post(
        f"/cities/{world['hanoi'].slug}/edit/", _valid_post(population="7")
    )
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == (302 if role in {"own_editor", "admin"} else 403)
    assert hanoi_population() == (7 if role in {"own_editor", "admin"} else POPULATION)


@parametrize_roles
def test_admin_site(world, role):
    client = page(world, role)
    change = client.get(f"/admin/cities/city/{world['hanoi'].pk}/change/")
    deleted = client.post(f"/admin/cities/city/{world['hanoi'].pk}/delete/", {"post": "yes"})
    if role == "admin":
        assert change.status_code == 200
        assert deleted.status_code == 302
        assert not City.objects.filter(pk=world["hanoi"].pk).exists()
    else:
        assert change.status_code == 302 and "/admin/login/" in change["Location"]
        assert deleted.status_code == 302 and "/admin/login/" in deleted["Location"]
        assert City.objects.filter(pk=world["hanoi"].pk).exists()


# --- Scoring runs ----------------------------------------------------------------------------
@parametrize_roles
def test_api_start_run(world, role):
    response = api(world, role).post("/api/match-runs/")
    # Allowed users pass the permission check and meet the queued run: 409.
    assert response.status_code in expect(role, {"agency", "admin"}, 409)


@parametrize_roles
def test_run_start_page(world, role):
    response = page(world, role).post("/runs/start/")
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == (409 if role in {"agency", "admin"} else 403)


# --- Partnerships ----------------------------------------------------------------------------
@parametrize_roles
def test_api_propose_partnership(world, role):
    body = {
        "donor": world["hanoi"].pk,
        "recipient": world["hue"].pk,
        "kind": "peers",
        "policy_areas": ["water"],
    }
    response = api(world, role).post("/api/partnerships/", body, format="json")
    assert response.status_code in expect(role, {"own_editor", "admin"}, 201), response.content
    created = Partnership.objects.filter(kind="peers").exists()
    assert created is (response.status_code == 201)


@parametrize_roles
def test_api_change_partnership(world, role):
    url = f"/api/partnerships/{world['partnership'].pk}/"
    response = api(world, role).patch(url, {"reasons": "After"}, format="json")
    assert response.status_code in expect(role, {"own_editor", "admin"}, 200)
    reasons = Partnership.objects.values_list("reasons", flat=True).get(pk=world["partnership"].pk)
    assert reasons == ("After" if response.status_code == 200 else "Before")


@parametrize_roles
def test_partnership_edit_page(world, role):
    url = f"/partnerships/{world['partnership'].pk}/edit/"
    response = page(world, role).get(url)
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if role in {"own_editor", "admin"} else 403)


# --- Best practices --------------------------------------------------------------------------
@parametrize_roles
def test_api_create_practice(world, role):
    # An empty body: a signed-in user passes the permission check and meets validation.
    response = api(world, role).post("/api/best-practices/", {}, format="json")
    assert response.status_code == (401 if role == "anonymous" else 400)


@parametrize_roles
def test_api_change_draft_practice(world, role):
    url = f"/api/best-practices/{world['draft'].pk}/"
    response = api(world, role).patch(url, {"title": "Renamed draft"}, format="json")
    # A draft is invisible to others than its author and curators: 404 rather than 403.
    assert response.status_code in expect(
        role, {"own_editor", "curator", "admin"}, 200, refused=404
    )
    title = BestPractice.objects.values_list("title", flat=True).get(pk=world["draft"].pk)
    assert (title == "Renamed draft") is (response.status_code == 200)


@parametrize_roles
def test_practice_edit_page(world, role):
    response = page(world, role).get(f"/practices/{world['draft'].slug}/edit/")
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code in (
            {200} if role in {"own_editor", "curator", "admin"} else {403, 404}
        )
