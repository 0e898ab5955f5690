"""Property-based run of every API operation from /api/schema/ (schemathesis, in-process),
with every check: no 5xx, every status and body documented, schema-valid requests accepted
and invalid ones refused (schemathesis.toml says which operations may refuse valid-looking
requests for domain rules), authentication honoured.

An admin's token makes every write reachable. `make test` runs a small number of generated
requests per operation; ``SCHEMATHESIS_FULL=1`` runs the full size (50 examples per
operation and the coverage phase: several minutes):

    SCHEMATHESIS_FULL=1 .venv/bin/python -m pytest tests/citymatch/api/test_schemathesis.py
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.config import SchemathesisConfig

from tests.factories import CityFactory, MatchFactory, MatchRunFactory, OrganizationFactory

FULL = os.environ.get("SCHEMATHESIS_FULL") == "1"
OPTIONS = tomllib.loads((Path(__file__).parents[3] / "schemathesis.toml").read_text())
# The coverage phase sends every boundary value of every parameter (over 1,000 requests for
# some operations, minutes in all); in `make test` the examples and the fuzzing phase keep
# this test near a minute.
OPTIONS["phases"] = {"coverage": {"enabled": FULL}}
CONFIG = SchemathesisConfig.from_dict(OPTIONS)
# The schema view reads no table, so the schema loads at collection time (the lazy
# ``schemathesis.pytest.from_fixture`` loader does not run under pytest 9).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


@pytest.fixture
def keep_connection():
    """Requests must not close the database connection: the test's transaction holds its data.

    (Django's test client does the same; here the production WSGI application is called.)
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(db, monkeypatch, keep_connection):
    """A small world for the generated requests: an active run, two cities, an organization."""
    # Thousands of requests in a few seconds: the throttles would answer 429 to most of them.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None})
    run = MatchRunFactory(is_active=True)
    osaka = CityFactory(
        name="Osaka", expertise={"waste": 3}, needs={"air": 2}, sectors={"C": 0.4, "E": 0.2}
    )
    lyon = CityFactory(name="Lyon", country="FR", needs={"waste": 3}, expertise={"air": 2})
    MatchFactory(run=run, donor=osaka, recipient=lyon, score=72.5)
    MatchFactory(run=run, donor=lyon, recipient=osaka, score=41.0, donor_rank=None)
    OrganizationFactory(name="JICA", countries=["JP"]).policy_areas.set([1])


@pytest.fixture
def admin_headers(staff_user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.get_or_create(user=staff_user)[0].key}"}


@schema.parametrize()
@settings(
    max_examples=50 if FULL else 5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_match_the_schema_and_never_fail(case, api_data, admin_headers):
    # No list of checks: every check schemathesis has runs.
    case.call_and_validate(headers=admin_headers)
