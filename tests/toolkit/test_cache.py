"""The fail-open Redis cache: an unreachable Redis reads as an empty cache, never an error."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.cache import caches

from tests.factories import CityFactory

DEAD_REDIS = {
    "default": {
        "BACKEND": "toolkit.cache.FailOpenRedisCache",
        # Nothing listens on port 1: every call is refused at once.
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = DEAD_REDIS
    return caches["default"]


def test_every_operation_answers_as_an_empty_cache_and_warns_once(dead_cache, caplog):
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="toolkit.cache"):
        dead_cache.set("k", 1)
        assert dead_cache.get("k", "fallback") == "fallback"
        assert dead_cache.add("k", 1) is False
        assert dead_cache.get_many(["a", "b"]) == {}
        assert dead_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert dead_cache.incr("hits", 3) == 3
        assert dead_cache.has_key("k") is False
        assert dead_cache.touch("k") is False
        assert dead_cache.delete("k") is False
        dead_cache.delete_many(["a"])
        dead_cache.clear()
    assert time.monotonic() - started < 2
    warnings = [r for r in caplog.records if r.name == "toolkit.cache"]
    assert len(warnings) == 1
    assert "Cache unavailable" in warnings[0].getMessage()


def test_throttled_api_and_filtered_pages_answer_without_the_cache(
    dead_cache, settings, client, admin_user
):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["anon"] and rates["user"]  # the throttles are on and read the cache
    CityFactory()
    assert client.get("/api/policy-areas/").status_code == 200  # anonymous: the anon throttle
    client.force_login(admin_user)
    for url in ("/cities/", "/practices/", "/matches/", "/api/cities/", "/api/matches/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
