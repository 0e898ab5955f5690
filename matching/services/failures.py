"""Why a run failed, written in the reader's language.

A failed run stores what happened as a message: its kind and parameters (``MatchRun
.error_message``). ``describe_failure`` writes the sentence at read time in the active
language, from the run's own fields only (no query). ``MatchRun.error`` keeps the technical
text (the exception, or the English sentence) for administrators and the logs; runs that
failed before messages existed have an empty message and show ``error`` as it is.
"""

from __future__ import annotations

from typing import Any, cast

from django.utils import formats
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, ngettext

# The kinds of failure a run's message records.
FAILED = "failed"  # no cause given
RAISED = "raised"  # a step raised: its exception text is in ``error``
TIMED_OUT = "timed_out"  # queued or running past the time limit
WORKER_LOST = "worker_lost"  # no heartbeat, too many times


def failed() -> dict[str, Any]:
    return {"kind": FAILED}


def raised() -> dict[str, Any]:
    return {"kind": RAISED}


def timed_out(minutes: int) -> dict[str, Any]:
    return {"kind": TIMED_OUT, "minutes": minutes}


def worker_lost(times: int, seconds: int) -> dict[str, Any]:
    return {"kind": WORKER_LOST, "times": times, "seconds": seconds}


def sentence(message: dict[str, Any] | None, error: str = "") -> str:
    """The failure's sentence in the active language; ``error`` when there is no (known)
    message."""
    message = message or {}
    kind = message.get("kind", "")
    if kind == FAILED:
        return gettext("The run failed.")
    if kind == RAISED:
        return gettext("A step of the run stopped on an error: %(error)s") % {"error": error}
    if kind == TIMED_OUT:
        minutes = int(message["minutes"])
        return ngettext(
            "No result within %(minutes)s minute: the worker was lost or killed.",
            "No result within %(minutes)s minutes: the worker was lost or killed.",
            minutes,
        ) % {"minutes": formats.number_format(minutes, force_grouping=True)}
    if kind == WORKER_LOST:
        times = int(message["times"])
        seconds = int(message["seconds"])
        return ngettext(
            "The worker was lost %(times)s time (no heartbeat for %(seconds)s s); "
            "the previous run stays active.",
            "The worker was lost %(times)s times (no heartbeat for %(seconds)s s); "
            "the previous run stays active.",
            times,
        ) % {
            "times": formats.number_format(times, force_grouping=True),
            "seconds": formats.number_format(seconds, force_grouping=True),
        }
    return error


def describe_failure(run) -> str:
    """Why ``run`` failed, in the active language ("" for a run that did not fail)."""
    return sentence(run.error_message, run.error)


lazy_sentence = lazy(sentence, str)


def failure_text(message: dict[str, Any], error: str) -> Promise:
    """The sentence as a lazy message: a notification renders it in each reader's language."""
    return cast(Promise, lazy_sentence(message, error))
