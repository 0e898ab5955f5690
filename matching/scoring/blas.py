"""numpy's BLAS on one thread while the engine runs its own threads (threadpoolctl)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import OpenBLASController, ThreadpoolController

_lock = threading.Lock()
_users = 0
_limiter = None
_controller: ThreadpoolController | None = None


def _take_control() -> None:
    """Let this thread change OpenBLAS's limit.

    threadpoolctl lets only one "controlling" thread (the first that set a limit, usually the
    main thread) change OpenBLAS's process-wide thread count and silently ignores the others,
    so a limit set from an engine thread or a server thread would do nothing: a 2-thread run of
    10,000 cities then took 5x the CPU time under load, its GEMMs on 2 BLAS threads each.
    Called under _lock, so engine threads do not fight over it.
    """
    OpenBLASController.clear_controlling_thread(force=True)


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run numpy's BLAS on one thread while inside (re-entrant, thread-safe).

    The engine parallelises over blocks itself; BLAS threads on top of that oversubscribe the
    cores, and OpenBLAS's spinning threads are very slow on a busy machine. threadpoolctl's
    limit is process-wide, so the first thread in sets it and the last one out restores it.
    """
    global _users, _limiter, _controller
    with _lock:
        if _users == 0:
            # Anew each time: a BLAS loaded since (scipy's own OpenBLAS) is limited too.
            _controller = ThreadpoolController()
            _take_control()
            _limiter = _controller.limit(limits=1, user_api="blas")
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _limiter is not None:
                _take_control()
                _limiter.restore_original_limits()
                _limiter = None
