"""The end of a test run names the services whose absence skipped tests, and how to get them."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from tests.conftest import HOW_TO_GET, NOT_CONFIGURED, skipped_for_services


def skipped(reason: str) -> SimpleNamespace:
    return SimpleNamespace(longrepr=("tests/x.py", 3, f"Skipped: {reason}"))


def test_skips_for_want_of_a_service_are_counted_per_service():
    reports = [
        skipped(f"PostgreSQL (DATABASE_URL){NOT_CONFIGURED}"),
        skipped(f"PostgreSQL (DATABASE_URL){NOT_CONFIGURED}"),
        skipped(f"Chromium (/usr/bin/chromium){NOT_CONFIGURED}"),
        skipped("the executemany path is SQLite's"),  # not a missing service
        SimpleNamespace(longrepr=None),
    ]
    assert skipped_for_services(reports) == {
        "PostgreSQL (DATABASE_URL)": 2,
        "Chromium (/usr/bin/chromium)": 1,
    }


def test_every_service_a_test_requires_says_how_to_get_it():
    tests = Path(__file__).parent
    required = set()
    for path in tests.rglob("*.py"):
        required.update(
            re.findall(r'require_service\([^\n]*,\s*"([^"]+)"\)$', path.read_text(), re.M)
        )
    assert required and required <= set(HOW_TO_GET), required - set(HOW_TO_GET)
