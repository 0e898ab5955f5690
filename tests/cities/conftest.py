import pytest

from cities.signals import city_profiles_changed


@pytest.fixture
def profile_signals():
    """Every ``city_profiles_changed`` sent during the test, as (sorted ids, trigger)."""
    sent: list[tuple[list[int], str]] = []

    def receiver(sender, city_ids, trigger, **kwargs):
        sent.append((sorted(city_ids), trigger))

    city_profiles_changed.connect(receiver, weak=False, dispatch_uid="tests-profile-signals")
    yield sent
    city_profiles_changed.disconnect(dispatch_uid="tests-profile-signals")
