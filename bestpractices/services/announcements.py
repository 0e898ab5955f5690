"""The news for scoring: ``practices_changed`` once the transaction commits.

Matching listens to the signal (``bestpractices`` never imports it) and rescores the cities whose
published practices changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

from ..models import BestPractice
from ..signals import practices_changed

# While ``announcing_once()`` is active, the cities whose practices changed are gathered here.
_pending_announcement: ContextVar[set[int] | None] = ContextVar(
    "pending_practices_changed", default=None
)


@contextmanager
def announcing_once() -> Iterator[None]:
    """Changes inside the block (a bulk action, the demo loader) are announced once, with
    every city, after commit, instead of once per practice."""
    if _pending_announcement.get() is not None:
        yield
        return
    token = _pending_announcement.set(set())
    try:
        yield
    finally:
        # Also after an error: changes that were committed must still reach scoring (inside a
        # transaction that rolls back, the callback is dropped with it).
        city_ids = _pending_announcement.get() or set()
        _pending_announcement.reset(token)
        if city_ids:
            announce(city_ids)


def announce(city_ids: Iterable[int]) -> None:
    """Tell scoring, after commit, that these cities' published practices changed."""
    ids = sorted(set(city_ids))
    pending = _pending_announcement.get()
    if pending is not None:
        pending.update(ids)
        return
    transaction.on_commit(lambda: practices_changed.send(sender=BestPractice, city_ids=ids))
