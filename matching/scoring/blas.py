"""numpy's OpenBLAS on one thread while the engine runs its own threads (no threadpoolctl)."""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

_BLAS_THREADS: tuple | None = None


def _blas_thread_functions() -> tuple:
    """(get, set) of the OpenBLAS that numpy ships, or (None, None) when not found."""
    global _BLAS_THREADS
    if _BLAS_THREADS is None:
        found: tuple = (None, None)
        libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
        for path in sorted(glob.glob(os.path.join(libs, "*openblas*"))):
            library = ctypes.CDLL(path)
            for prefix in ("scipy_openblas", "openblas"):
                for suffix in ("64_", ""):
                    getter = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
                    setter = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
                    if getter is not None and setter is not None:
                        getter.restype = ctypes.c_int
                        setter.argtypes = [ctypes.c_int]
                        found = (getter, setter)
        _BLAS_THREADS = found
    return _BLAS_THREADS


_blas_lock = threading.Lock()
_blas_users = 0
_blas_before = 0


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run numpy's OpenBLAS on one thread while inside (re-entrant, thread-safe).

    The engine parallelises over blocks itself; OpenBLAS threads on top of that oversubscribe
    the cores, and its spinning threads are very slow on a busy machine. The first thread in
    sets one thread, the last one out restores the previous count.
    """
    global _blas_users, _blas_before
    getter, setter = _blas_thread_functions()
    if getter is None:
        yield
        return
    with _blas_lock:
        if _blas_users == 0:
            _blas_before = getter()
            setter(1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                setter(_blas_before)
