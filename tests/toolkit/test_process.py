"""Server and worker processes keep what they built at start out of full collections."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

from celery.signals import worker_process_init

from matching import receivers
from toolkit.process import freeze_start_up_objects

ROOT = Path(__file__).resolve().parents[2]


def test_freezing_moves_the_tracked_objects_out_of_collections():
    made_before = [[index] for index in range(3)]
    try:
        freeze_start_up_objects()
        assert gc.get_freeze_count() > 1000
        made_after = [[index] for index in range(3)]
        # What is frozen is in no generation, so no collection walks it; what comes later is.
        walked = {id(tracked) for tracked in gc.get_objects()}
        assert id(made_before) not in walked
        assert id(made_after) in walked
    finally:
        gc.unfreeze()


def test_the_web_server_freezes_after_its_warm_up():
    script = "import gc, citymatch.wsgi; print(gc.get_freeze_count())"
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "k" * 60}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 10_000


def test_a_worker_process_freezes_after_its_warm_ups():
    connected = [
        entry[1]() if isinstance(entry[1], weakref.ReferenceType) else entry[1]
        for entry in worker_process_init.receivers
    ]
    names = [getattr(receiver, "__name__", "") for receiver in connected]
    assert names.index("freeze_start_up_objects") > names.index("warm_up_rescoring")
    assert receivers.freeze_start_up_objects in connected


def test_a_web_server_without_a_broker_reads_the_profiles_when_it_starts(tmp_path):
    # Without a broker the web process rescores edits itself. Here its database has no
    # tables yet: the warm-up says so and the server still starts.
    script = "import citymatch.wsgi"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "DATABASE_URL")},
        "DEBUG": "false",
        "SECRET_KEY": "k" * 60,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Profiles not read at start" in result.stderr
