"""What a server or worker process does once it has started."""

from __future__ import annotations

import gc


def freeze_start_up_objects() -> None:
    """Take what start-up built out of the garbage collector's sight.

    Modules, Django's registries, the engine's compiled kernels and the profiles a worker
    reads to rescore live as long as the process: some 170,000 objects. A full collection
    walks every object it tracks, so with them in sight one request in a dozen or so paid
    100–250 ms for a collection that frees none of them (on-the-fly scoring, which makes
    many short-lived objects, met it most: bench/api.py). Frozen, they are never walked;
    they are still freed when their last reference goes. Objects made afterwards are
    collected as usual.
    """
    gc.collect()
    gc.freeze()
