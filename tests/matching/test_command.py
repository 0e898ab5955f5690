"""``manage.py run_scoring``: starts a run, follows it with --wait, says why it cannot."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from matching import services
from matching.models import MatchRun
from tests.factories import MatchRunFactory, ScoringProfileFactory, population

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed_at_once(monkeypatch):
    """Run on-commit work at once, as outside a test's transaction (the shell's autocommit)."""

    def on_commit(func, using=None, robust=False):
        try:
            func()
        except Exception:
            if not robust:
                raise

    monkeypatch.setattr(transaction, "on_commit", on_commit)


def run_command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("run_scoring", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_wait_follows_the_run_to_the_end(committed_at_once):
    population(15)
    out, err = run_command("--wait")
    run = MatchRun.objects.get()
    assert (run.trigger, run.status, run.is_active) == ("command", "succeeded", True)
    assert f"Run {run.pk} succeeded: 15 cities" in out
    assert f"{run.matches_stored:,} matches stored" in out
    assert "100%" in err  # the progress bar reached the end


def test_without_wait_it_reports_the_run(committed_at_once):
    population(6)
    out, _ = run_command()
    run = MatchRun.objects.get()
    assert f"Run {run.pk} succeeded" in out  # tasks run in-process without a broker


def test_a_named_profile_is_used(committed_at_once):
    population(6)
    profile = ScoringProfileFactory(name="Budget first", weight_budget=0.5)
    run_command("--wait", "--profile", "Budget first", "--no-progress")
    assert MatchRun.objects.get().profile == profile


def test_an_unknown_profile_is_named():
    with pytest.raises(CommandError, match="No scoring profile named 'Nope'. Profiles: Default"):
        run_command("--profile", "Nope")
    assert not MatchRun.objects.exists()


def test_a_run_in_progress_is_a_clear_refusal():
    MatchRunFactory(status=MatchRun.Status.RUNNING, progress=40, finished_at=None)
    with pytest.raises(
        CommandError, match=r"already in progress \(run \d+, running\). It is at 40 %"
    ):
        run_command("--wait")


def test_a_failed_run_exits_non_zero_with_its_error(committed_at_once, monkeypatch):
    population(9)

    def broken(*args, **kwargs):
        raise RuntimeError("no space left on device")

    monkeypatch.setattr(services.runs, "score_block", broken)
    with pytest.raises(
        CommandError, match=r"Run \d+ failed: RuntimeError: no space left on device"
    ):
        run_command("--wait", "--no-progress")


def test_waiting_ends_when_the_run_outlives_its_time_limit(settings, monkeypatch):
    """No worker ever takes the run: past the limit it is failed, and so is the command."""
    settings.SCORING_RUN_TIME_LIMIT = 0
    monkeypatch.setattr(services.runs, "_enqueue", lambda run_id: None)
    monkeypatch.setattr(services.runs, "fail_stale_runs", lambda: 0)  # not at the start
    with pytest.raises(CommandError, match=r"failed: No result within 0 minutes"):
        run_command("--wait", "--no-progress", "--poll", "0.01")


def test_with_the_broker_down_the_run_waits_in_the_outbox_and_the_command_says_so(
    committed_at_once, monkeypatch
):
    from citymatch.celery import app as celery_app
    from toolkit.outbox import services as outbox

    def no_broker(message):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(outbox, "_publish", no_broker)
    celery_app.conf.task_always_eager = False  # the autouse fixture sets it back
    out, err = run_command()
    run = MatchRun.objects.get()
    assert out.strip() == f"Run {run.pk} queued (follow it with the runs page or API)."
    assert "The broker does not answer: the run stays queued" in err


def test_a_failed_run_fails_the_command_in_one_line(committed_at_once, monkeypatch):
    population(9)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full\nwhile writing matches")

    monkeypatch.setattr(services.runs, "score_block", broken)
    with pytest.raises(CommandError) as failure:
        run_command("--no-progress")
    assert str(failure.value) == f"Run {MatchRun.objects.get().pk} failed: RuntimeError: disk full"
