from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        from celery.signals import worker_process_init, worker_ready
        from django.db.models.signals import post_migrate

        from . import receivers  # connects the rescoring handlers

        post_migrate.connect(receivers.warm_up_engine, sender=self)
        worker_process_init.connect(receivers.warm_up_engine, weak=False)
        worker_process_init.connect(receivers.warm_up_rescoring, weak=False)
        # After the warm-ups, so that what they load is frozen with the rest.
        worker_process_init.connect(receivers.freeze_start_up_objects, weak=False)
        # A worker (re)starting after a crash resumes the runs its predecessor lost.
        worker_ready.connect(receivers.recover_lost_runs, weak=False)
