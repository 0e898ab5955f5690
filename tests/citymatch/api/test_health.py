"""/api/health/: database, cache and broker; degraded without cache or broker, 503 without the
database."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

pytestmark = pytest.mark.django_db


def test_health_reports_each_service(api_client, settings):
    settings.CELERY_BROKER_URL = ""
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "down": [],
        "database": "ok",
        "cache": "ok",
        "broker": "not configured",
    }


def test_database_down_is_503(api_client, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)
    response = api_client.get("/api/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["status"] == "unavailable"


def test_cache_down_is_degraded_not_down(api_client, settings):
    settings.CELERY_BROKER_URL = ""
    # Nothing listens on port 1; the fail-open cache answers as an empty one.
    settings.CACHES = {
        "default": {
            "BACKEND": "toolkit.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["down"] == ["cache"]
    assert response.json()["cache"] == "unavailable"


def test_unreachable_broker_is_reported(api_client, settings, monkeypatch):
    # Nothing listens on port 1: the broker check must fail fast, not hang.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    # Celery prefers the CELERY_BROKER_URL environment variable to its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", settings.CELERY_BROKER_URL)
    from citymatch.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        response = api_client.get("/api/health/")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"] == "unavailable"
    assert "broker" in response.json()["down"]
