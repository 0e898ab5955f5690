"""Messages for the task queue, written in the transaction of the change that asks for them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Message(models.Model):
    """One task to send to the broker; ``sent_at`` is set once the broker has taken it."""

    task = models.CharField(max_length=200, help_text="The Celery task's registered name.")
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The relay reads the pending messages, oldest first; sent ones are most rows.
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_pending"),
            # Sent messages are kept a while (to look into), then pruned by age.
            models.Index(fields=["sent_at"], name="outbox_sent_at"),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "pending"
        return f"{self.task} #{self.pk} ({state})"
