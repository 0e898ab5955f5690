"""``manage.py relay_outbox``: send the tasks that wait in the outbox (after a broker outage)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from toolkit.outbox import services
from toolkit.outbox.models import Message


class Command(BaseCommand):
    help = (
        "Send the tasks waiting in the outbox to the broker (beat does this every "
        "OUTBOX_RELAY_SECONDS, and each worker at start). Exits non-zero if some stay pending."
    )

    def handle(self, *args, **options) -> None:
        sent = services.relay()
        pending = Message.objects.filter(sent_at__isnull=True)
        left = pending.count()
        if left:
            last = pending.exclude(last_error="").order_by("-id").first()
            why = f": {last.last_error}" if last is not None else ""
            raise CommandError(f"Sent {sent} task(s); {left} still pending{why}")
        self.stdout.write(self.style.SUCCESS(f"Sent {sent} task(s); none pending."))
