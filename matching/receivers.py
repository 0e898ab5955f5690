"""Signal handlers: how changes elsewhere reach the matching engine, and when its compiled
kernels are loaded.

The profile and practice signals are sent after the sender's transaction committed, so the
rescoring never sees a profile or practice that was rolled back.
"""

from __future__ import annotations

import logging

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from bestpractices.signals import practices_changed
from cities.models import City
from cities.signals import city_profiles_changed

from .models import MatchRun

logger = logging.getLogger(__name__)


@receiver(city_profiles_changed, dispatch_uid="matching.rescore_changed_profiles")
def rescore_changed_profiles(sender, city_ids, trigger=None, **kwargs) -> None:
    from .services import queue_rescoring  # numpy and the engine load on first use only

    retire_cached_lists()
    queue_rescoring(city_ids=city_ids)


@receiver([post_save, post_delete], sender=City, dispatch_uid="matching.city_saved_lists")
def city_changed(sender, **kwargs) -> None:
    retire_cached_lists()


def retire_cached_lists() -> None:
    """A match list shows its cities' names, countries and sizes and filters on more of their
    profile: a city written (in the writer's transaction, as these signals are sent) changes
    the lists of every readable run, so their cached pages are retired with it. Imports write
    cities in bulk, without ``post_save``, and send ``city_profiles_changed``."""
    MatchRun.objects.filter(status=MatchRun.Status.SUCCEEDED).lists_changed()


@receiver(practices_changed, dispatch_uid="matching.rescore_changed_practices")
def rescore_changed_practices(sender, city_ids, **kwargs) -> None:
    from .services import queue_rescoring

    # A published practice changes its city's evidence and budget components as a donor.
    queue_rescoring(city_ids=city_ids)


@receiver(pre_delete, sender=City, dispatch_uid="matching.city_deletion_lock")
def lock_out_activation(sender, instance, **kwargs) -> None:
    """A city's deletion and a run's activation never overlap (``services/locks.py``).

    Django sends this inside the deletion's transaction, before it deletes the city's matches.
    """
    from .services.locks import share_city_set

    share_city_set()


def warm_up_engine(**kwargs) -> None:
    """Compile the engine's kernels into their disk cache (or load them from it), so that no
    user's request or task waits for a compiler: after ``migrate`` (which ``make run`` and
    deployments run first) and in every worker process as it starts. ``migrate`` shows a
    bar, since the first compilation takes a while with nothing else on screen."""
    from toolkit.progress import progress_bars

    from .scoring import warm_up

    stdout = kwargs.get("stdout")
    if stdout is None or kwargs.get("verbosity", 1) < 1:
        warm_up()
        return
    with progress_bars(getattr(stdout, "_out", stdout)) as progress:
        warm_up(lambda done, total: progress("engine", done, total))


def warm_up_rescoring(**kwargs) -> None:
    """A worker process starting reads the profiles its first rescoring needs (see
    ``services.rescoring``), so the first profile edit does not wait for every profile to be
    read. A database that is not reachable or not migrated yet only leaves that to the edit."""
    import logging

    from django.db import DatabaseError

    from .services.rescoring import warm_rescoring

    try:
        warm_rescoring()
    except DatabaseError:
        logging.getLogger(__name__).warning("Profiles not read at start: database unavailable.")


def freeze_start_up_objects(**kwargs) -> None:
    """A worker process, once warmed up, keeps what it loaded out of full collections."""
    from toolkit.process import freeze_start_up_objects as freeze

    freeze()


def recover_lost_runs(**kwargs) -> None:
    """At worker start: re-queue (or fail) the runs whose worker died (``services.runs``)."""
    from .services import recover_lost_runs as recover

    try:
        recover()
    except Exception:  # the worker must start even if the database is away for a moment
        logger.exception("Looking for lost scoring runs at worker start failed.")
