"""The advisory lock that keeps a run's activation and city deletions apart (PostgreSQL).

Match keys carry no foreign-key constraint (see ``Match``), so nothing in the database stops a
run from activating rows of a city deleted while the run was being written. Every deletion of
a city takes this lock in shared mode for its transaction (``receivers.py``, before Django
deletes the city's matches); the activation of a run takes it exclusively, then leaves out the
cities that are gone. A deletion either commits before the activation looks (its city is left
out) or waits until the activation has committed (it then deletes the city's rows from the new
run too). Deletions do not wait for one another, and readers never wait at all.
"""

from __future__ import annotations

from django.db import connection

# Any fixed 64-bit number; only this lock uses it.
CITY_SET_LOCK = 7_102_455_318_001


def _take(function: str) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite serialises writers already
    if not connection.in_atomic_block:
        raise RuntimeError("The city-set lock is held for a transaction: open one first.")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [CITY_SET_LOCK])


def share_city_set() -> None:
    """Held by a transaction that deletes cities, until it ends."""
    _take("pg_advisory_xact_lock_shared")


def hold_city_set() -> None:
    """Held by a run's activation, until it commits: no city is deleted meanwhile."""
    _take("pg_advisory_xact_lock")
