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


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The demo users' passwords are hashed on every load; the real hasher takes ~0.5 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
