"""Who may edit which city: editors their own cities, admins every city."""

import pytest
from django.contrib.auth.models import AnonymousUser

from cities.models import City
from cities.permissions import can_edit_city, is_admin, is_agency, is_curator
from tests.factories import CityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cities():
    return CityFactory(name="Osaka"), CityFactory(name="Kitakyushu"), CityFactory(name="Hue")


def test_an_editor_edits_only_the_cities_given_to_them(cities):
    osaka, kitakyushu, _ = cities
    editor = UserFactory()
    osaka.editors.add(editor)
    assert can_edit_city(editor, osaka)
    assert not can_edit_city(editor, kitakyushu)
    assert list(City.objects.editable_by(editor)) == [osaka]


def test_a_user_may_edit_several_cities(cities):
    osaka, kitakyushu, hue = cities
    editor = UserFactory()
    editor.edited_cities.add(osaka, kitakyushu)
    assert set(City.objects.editable_by(editor)) == {osaka, kitakyushu}
    assert not can_edit_city(editor, hue)


def test_an_admin_edits_every_city(cities, staff_user):
    assert all(can_edit_city(staff_user, city) for city in cities)
    assert City.objects.editable_by(staff_user).count() == 3
    assert is_admin(staff_user) and is_agency(staff_user) and is_curator(staff_user)


def test_anonymous_users_and_plain_users_edit_nothing(cities, user):
    anonymous = AnonymousUser()
    assert not any(can_edit_city(anonymous, city) for city in cities)
    assert City.objects.editable_by(anonymous).count() == 0
    assert City.objects.editable_by(user).count() == 0
    assert not is_agency(user) and not is_curator(user) and not is_admin(anonymous)


def test_agency_and_curator_groups_grant_no_city_editing(cities, agency_user, curator):
    assert is_agency(agency_user) and not is_curator(agency_user)
    assert is_curator(curator) and not is_agency(curator)
    assert City.objects.editable_by(agency_user).count() == 0
    assert not can_edit_city(curator, cities[0])
