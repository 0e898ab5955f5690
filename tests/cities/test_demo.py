"""load_demo: curated and synthetic cities, organizations, users; idempotent; DEBUG only."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from cities.demo import DATA_DIR, load_demo
from cities.models import City, CityAreaLevel, CitySector, Organization
from cities.permissions import can_edit_city, is_agency, is_curator

pytestmark = pytest.mark.django_db

PANEL_CITIES = {("Kitakyushu", "JP"), ("Osaka", "JP"), ("Ho Chi Minh City", "VN")}


def run_load_demo(settings, *args) -> tuple[str, str]:
    settings.DEBUG = True
    out, err = io.StringIO(), io.StringIO()
    call_command("load_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot() -> dict:
    return {
        "cities": sorted(
            City.objects.values_list(
                "name",
                "slug",
                "country",
                "population",
                "role",
                "languages",
                "is_synthetic",
                "cooperation_budget_usd",
                "updated_at",
            )
        ),
        "levels": sorted(
            CityAreaLevel.objects.values_list(
                "city__name", "policy_area__code", "expertise", "need"
            )
        ),
        "sectors": sorted(CitySector.objects.values_list("city__name", "sector__code", "share")),
        "organizations": sorted(Organization.objects.values_list("slug", "updated_at")),
    }


def test_load_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("load_demo", "--cities", "5")
    assert City.objects.count() == 0


def test_load_demo_loads_curated_and_synthetic_cities(settings):
    out, err = run_load_demo(settings, "--cities", "25")

    curated = json.loads((DATA_DIR / "curated_cities.json").read_text(encoding="utf-8"))
    assert len(curated) >= 30
    assert City.objects.filter(is_synthetic=False).count() == len(curated)
    assert City.objects.filter(is_synthetic=True).count() == 25
    stored = set(City.objects.filter(is_synthetic=False).values_list("name", "country"))
    assert stored >= PANEL_CITIES
    assert f"Loaded {len(curated)} curated and 25 synthetic cities" in out
    assert "Writing cities: 100%" in err


def test_curated_cities_carry_sources_real_places_and_their_programmes(settings):
    run_load_demo(settings, "--cities", "0")
    kitakyushu = City.objects.get(name="Kitakyushu")
    assert kitakyushu.is_synthetic is False
    assert kitakyushu.role == "donor"
    assert kitakyushu.geonames_id == 1859307
    assert kitakyushu.population == 940_978  # from GeoNames
    assert round(kitakyushu.latitude, 2) == 33.85
    assert "Surabaya" in kitakyushu.sources and "Phnom Penh" in kitakyushu.sources
    levels = dict(
        CityAreaLevel.objects.filter(city=kitakyushu).values_list("policy_area__code", "expertise")
    )
    assert {levels[code] for code in ("waste", "air", "water", "industry")} == {3}
    hcmc = City.objects.get(name="Ho Chi Minh City")
    assert hcmc.role == "recipient"
    needs = dict(CityAreaLevel.objects.filter(city=hcmc).values_list("policy_area__code", "need"))
    assert {"waste", "air", "adaptation", "sanitation", "transport"} <= {
        code for code, need in needs.items() if need >= 2
    }
    for city in City.objects.filter(is_synthetic=False):
        assert city.sources.strip(), city.name
        assert city.languages, city.name
        assert CitySector.objects.filter(city=city).exists(), city.name


def test_synthetic_cities_are_real_places_with_generated_fields(settings):
    run_load_demo(settings, "--cities", "40")
    synthetic = City.objects.filter(is_synthetic=True)
    assert all(city.geonames_id for city in synthetic)
    assert all("generated" in city.sources for city in synthetic)
    # The most populous GeoNames cities come first; curated ones are not repeated.
    assert synthetic.filter(name="Shanghai", country="CN").exists()
    assert not synthetic.filter(geonames_id=1566083).exists()  # Ho Chi Minh City is curated
    roles = set(synthetic.values_list("role", flat=True))
    assert roles <= {"donor", "recipient", "both"} and len(roles) >= 2
    assert CityAreaLevel.objects.filter(city__is_synthetic=True, need__gt=0).exists()


def test_load_demo_is_idempotent(settings):
    run_load_demo(settings, "--cities", "30")
    before = snapshot()
    out, _ = run_load_demo(settings, "--cities", "30")
    assert snapshot() == before
    assert "0 created, 0 updated" in out


def test_the_same_seed_gives_the_same_profiles_and_another_seed_others(settings):
    run_load_demo(settings, "--cities", "20", "--seed", "7")
    first = snapshot()["levels"]
    City.objects.all().delete()
    run_load_demo(settings, "--cities", "20", "--seed", "7")
    assert snapshot()["levels"] == first
    run_load_demo(settings, "--cities", "20", "--seed", "8")
    assert snapshot()["levels"] != first


def test_a_smaller_load_removes_the_extra_synthetic_cities(settings):
    run_load_demo(settings, "--cities", "30")
    out, _ = run_load_demo(settings, "--cities", "10")
    assert City.objects.filter(is_synthetic=True).count() == 10
    assert "20 removed" in out


def test_a_real_profile_of_a_place_is_not_overwritten_by_a_synthetic_one(settings):
    from tests.factories import CityFactory

    CityFactory(name="Shanghai", country="CN", population=1, role="donor")
    run_load_demo(settings, "--cities", "10")
    shanghai = City.objects.get(name="Shanghai", country="CN")
    assert shanghai.is_synthetic is False
    assert shanghai.population == 1


def test_demo_users_are_created_with_their_rights_and_printed(settings):
    out, _ = run_load_demo(settings, "--cities", "0")
    users = {user.username: user for user in get_user_model().objects.all()}
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert users["admin"].check_password("citymatch-admin")
    assert is_curator(users["curator"]) and not users["curator"].is_staff
    assert is_agency(users["agency"])
    token = Token.objects.get(user=users["agency"])
    hcmc = City.objects.get(name="Ho Chi Minh City")
    kitakyushu = City.objects.get(name="Kitakyushu")
    assert can_edit_city(users["hcmc-editor"], hcmc)
    assert not can_edit_city(users["hcmc-editor"], kitakyushu)
    assert can_edit_city(users["kitakyushu-editor"], kitakyushu)
    for username, password in [
        ("admin", "citymatch-admin"),
        ("curator", "citymatch-curator"),
        ("hcmc-editor", "citymatch-hcmc"),
        ("kitakyushu-editor", "citymatch-kitakyushu"),
        ("agency", "citymatch-agency"),
    ]:
        assert f"| {username}" in out and password in out
    assert token.key in out

    out, _ = run_load_demo(settings, "--cities", "0")
    assert Token.objects.get(user=users["agency"]).key == token.key
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_organizations_are_loaded_with_their_areas(settings):
    run_load_demo(settings, "--cities", "0")
    jica = Organization.objects.get(slug="jica")
    assert jica.kind == "national_agency"
    assert jica.covers_country("VN")
    assert "waste" in set(jica.policy_areas.values_list("code", flat=True))
    names = set(Organization.objects.values_list("slug", flat=True))
    assert {"cdia", "clean-air-asia", "uclg-aspac", "iges", "adb", "world-bank", "c40"} <= names


def test_load_demo_sends_no_profile_signal(
    settings, profile_signals, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_load_demo(settings, "--cities", "5")
    assert profile_signals == []


def test_the_loader_function_reports_what_it_did():
    result = load_demo(cities=3, seed=1)
    assert result.synthetic == 3
    assert result.created == result.curated + 3
    assert [user.username for user in result.users][0] == "admin"
