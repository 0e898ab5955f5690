"""``manage.py run_scoring [--wait] [--profile NAME]``: start a full scoring run from the shell."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from matching import services
from matching.models import MatchRun, ScoringProfile
from toolkit.outbox import services as outbox


class Command(BaseCommand):
    help = (
        "Start a full scoring run (every donor/recipient pair). With --wait, show its progress "
        "and exit non-zero if it fails. Only one run may be in progress at a time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--wait", action="store_true", help="Follow the run until it ends, with a progress bar."
        )
        parser.add_argument(
            "--profile", metavar="NAME", help="Scoring profile to use (default: the default one)."
        )
        parser.add_argument(
            "--poll", type=float, default=0.5, metavar="SECONDS", help="Polling interval (--wait)."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the bar.")

    def handle(self, *args, wait: bool, profile: str | None, poll: float, **options) -> None:
        chosen = None
        if profile:
            chosen = ScoringProfile.objects.filter(name=profile).first()
            if chosen is None:
                names = ", ".join(ScoringProfile.objects.values_list("name", flat=True)) or "none"
                raise CommandError(f"No scoring profile named {profile!r}. Profiles: {names}.")
        try:
            run = services.start_run(trigger=MatchRun.Trigger.COMMAND, profile=chosen)
        except services.RunInProgress as exc:
            current = exc.run
            detail = f" It is at {current.progress} %." if current is not None else ""
            raise CommandError(
                f"{exc}{detail} Wait for it to end (or follow it on the runs page) and try again."
            ) from exc
        run.refresh_from_db()
        if run.status == MatchRun.Status.QUEUED and _waits_for_the_broker(run):
            self.stderr.write(
                "The broker does not answer: the run stays queued and is sent when it is back "
                "(`manage.py relay_outbox`, or the workers and beat do it)."
            )
        elif wait and run.in_progress and not _workers_answer():
            self.stderr.write(
                "No Celery worker answered: the run stays queued until one starts "
                "(`celery -A citymatch worker`)."
            )
        if wait:
            run = self._follow(run, poll=poll, quiet=options["no_progress"])
        # Without a broker the run works in a thread of this process: let it end (the steps
        # after the activation too) before the command exits.
        outbox.wait_for_background()
        run.refresh_from_db()
        if run.status == MatchRun.Status.FAILED:
            raise CommandError(f"Run {run.pk} failed: {_one_line(run.error)}")
        if not wait:
            self.stdout.write(f"Run {run.pk} {run.status} (follow it with the runs page or API).")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {run.pk} succeeded: {run.cities:,} cities, {run.pairs_scored:,} pairs scored, "
                f"{run.matches_stored:,} matches stored in {run.duration_s} s."
            )
        )

    def _follow(self, run: MatchRun, *, poll: float, quiet: bool) -> MatchRun:
        stream = getattr(self.stderr, "_out", self.stderr)
        with tqdm(total=100, desc=f"Run {run.pk}", unit="%", file=stream, disable=quiet) as bar:
            while True:
                bar.update(run.progress - bar.n)
                bar.set_postfix_str(run.status)
                if not run.in_progress:
                    return run
                time.sleep(poll)
                # A worker killed mid-run never reports: its run is resumed or failed by its
                # silent heartbeat, and past the time limit failed in any case.
                services.recover_lost_runs()
                services.fail_stale_runs()
                run.refresh_from_db()


def _one_line(error: str) -> str:
    """The first line of a run's error (a traceback's last line is in the worker's log)."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    return lines[0] if lines else "no reason recorded"


def _waits_for_the_broker(run: MatchRun) -> bool:
    from toolkit.outbox.models import Message

    return Message.objects.filter(
        task="matching.tasks.run_scoring", kwargs__run_id=run.pk, sent_at__isnull=True
    ).exists()


def _workers_answer() -> bool:
    """Whether a Celery worker is there to take the run (always, when tasks run in-process)."""
    from citymatch.celery import app

    if app.conf.task_always_eager:
        return True
    try:
        return bool(app.control.ping(timeout=1.0))
    except Exception:  # the broker itself is down: the run waits in the outbox (said above)
        return True
