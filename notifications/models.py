"""A notification to one user about one object, and how each user wants to be e-mailed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    INTEREST_RECEIVED = "interest_received", _("Interest received")
    INTEREST_ANSWERED = "interest_answered", _("Interest answered")
    STEP_WAITING = "step_waiting", _("A partnership step waiting for you")
    STEP_DECIDED = "step_decided", _("A partnership step confirmed or declined")
    REVIEW_DUE = "review_due", _("A partnership review date near or passed")
    PRACTICE_WAITING = "practice_waiting", _("A practice waiting for review")
    PRACTICE_PUBLISHED = "practice_published", _("Your practice published")
    PRACTICE_RETURNED = "practice_returned", _("Your practice sent back")
    RUN_FINISHED = "run_finished", _("A run you started finished")
    RUN_FAILED = "run_failed", _("A run you started failed")


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", _("At once")
    DIGEST = "digest", _("In the daily digest")
    NONE = "none", _("Not by e-mail")


# What a user gets without choosing: at once when someone waits for them, else the digest.
DEFAULT_DELIVERY: dict[str, str] = {
    kind: Delivery.IMMEDIATE if kind == Kind.STEP_WAITING else Delivery.DIGEST for kind in Kind
}


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def unsent(self) -> NotificationQuerySet:
        """Not e-mailed, and not skipped for good."""
        return self.filter(emailed_at__isnull=True, email_skipped="")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(max_length=24, choices=Kind.choices, verbose_name=_("kind"))
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("content type"),
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("object id"))
    target = GenericForeignKey("content_type", "object_id")
    title = models.CharField(max_length=300, verbose_name=_("title"))
    body = models.TextField(blank=True, verbose_name=_("body"))
    url = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("Site path of the object."),
        verbose_name=_("address"),
    )
    # Reminders written by scheduled tasks carry a key so that a second run writes nothing.
    key = models.CharField(max_length=120, blank=True, verbose_name=_("key"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("emailed at"))
    email_skipped = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Why it was not e-mailed (no address, bounced…)."),
        verbose_name=_("email skipped"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="one_notification_per_key"
            )
        ]
        indexes = [
            # The navigation's unread count, on every page.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(fields=["kind", "emailed_at"], name="notification_kind_emailed"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailPreference(models.Model):
    """One user's choice for one kind; a kind without a row uses ``DEFAULT_DELIVERY``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(max_length=24, choices=Kind.choices, verbose_name=_("kind"))
    delivery = models.CharField(max_length=10, choices=Delivery.choices, verbose_name=_("delivery"))

    class Meta:
        verbose_name = _("email preference")
        verbose_name_plural = _("email preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.delivery}"


class MailBounce(models.Model):
    """An address the mail server refused: no more e-mail to it until it changes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mail_bounce",
        verbose_name=_("user"),
    )
    address = models.EmailField(verbose_name=_("address"))
    reason = models.CharField(max_length=300, blank=True, verbose_name=_("reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("mail bounce")
        verbose_name_plural = _("mail bounces")

    def __str__(self) -> str:
        return f"{self.address} bounced"
