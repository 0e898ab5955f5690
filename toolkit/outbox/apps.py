from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "toolkit.outbox"
    label = "outbox"
    verbose_name = "Task outbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import worker_ready

        from . import receivers

        # A worker starting after an outage sends what waited meanwhile.
        worker_ready.connect(receivers.relay_at_worker_start, weak=False)
