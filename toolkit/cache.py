"""A Redis cache that fails open: when Redis is down, reads miss and writes are dropped.

The cache only ever holds what can be recomputed (throttle counters, filter choices, scoring
bars), so a Redis outage must cost speed, not pages: DRF's throttles, the filter forms and the
scoring code call the cache on nearly every request, and Django's own ``RedisCache`` raises
``redis.ConnectionError`` from all of them. Here each operation catches the client's connection
and timeout errors, logs one warning per ``WARN_EVERY_S`` seconds (an outage under load must not
flood the log) and answers as a cache that holds nothing would.

``/api/health/`` still sees the outage: its probe writes then reads a value, and a fail-open
cache gives nothing back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What a short outage raises: refused or dropped connections, timeouts, a server that is loading
# its data or read-only while it fails over (both ConnectionError subclasses in redis-py).
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY_S = 60.0
# A cache that takes longer than this to answer is slower than recomputing what it holds.
DEFAULT_CONNECT_TIMEOUT_S = 0.5
DEFAULT_SOCKET_TIMEOUT_S = 1.0


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one ``redis.Redis`` per connection pool.

    Django builds a new ``redis.Redis`` for every cache operation, and each one builds its
    table of ~170 response callbacks: a third of the CPU time of a list page served from the
    cache, which calls the cache three times (two throttles and the page). A ``redis.Redis``
    is safe to share (its pool hands out connections), and Django keeps a cache object per
    thread anyway.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailOpenRedisCache(RedisCache):
    """Django's ``RedisCache`` with short timeouts whose errors read as misses (see module)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", DEFAULT_CONNECT_TIMEOUT_S)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT_S)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClientRedisCacheClient
        self._warned_at = float("-inf")
        self._warn_lock = threading.Lock()

    def _fail_open(self, operation: str, call: Callable[[], T], fallback: T) -> T:
        try:
            return call()
        except UNAVAILABLE as exc:
            self._warn(operation, exc)
            return fallback

    def _warn(self, operation: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self._warn_lock:
            if now - self._warned_at < WARN_EVERY_S:
                return
            self._warned_at = now
        logger.warning(
            "Cache unavailable (%s: %s: %s); serving without it, next warning in %.0f s.",
            operation,
            type(exc).__name__,
            exc,
            WARN_EVERY_S,
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._fail_open("add", partial(super().add, key, value, timeout, version), False)

    def get(self, key, default=None, version=None):
        return self._fail_open("get", partial(super().get, key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        self._fail_open("set", partial(super().set, key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._fail_open("touch", partial(super().touch, key, timeout, version), False)

    def delete(self, key, version=None) -> bool:
        return self._fail_open("delete", partial(super().delete, key, version), False)

    def get_many(self, keys, version=None) -> dict:
        return self._fail_open("get_many", partial(super().get_many, keys, version), {})

    def has_key(self, key, version=None) -> bool:
        return self._fail_open("has_key", partial(super().has_key, key, version), False)

    def incr(self, key, delta=1, version=None) -> int:
        # As if the counter started now: a rate limit counted in the cache lets requests through
        # while the cache is away rather than refusing everyone.
        return self._fail_open("incr", partial(super().incr, key, delta, version), delta)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list:
        return self._fail_open(
            "set_many", partial(super().set_many, data, timeout, version), list(data)
        )

    def delete_many(self, keys, version=None) -> None:
        self._fail_open("delete_many", partial(super().delete_many, keys, version), None)

    def clear(self) -> None:
        self._fail_open("clear", super().clear, None)
