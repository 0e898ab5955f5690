"""Expressions of interest: one city tells another it wants to cooperate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..querysets import InterestQuerySet


class ExpressionOfInterest(models.Model):
    """One city telling another, from a match, that it would like to cooperate."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    class Role(models.TextChoices):
        DONOR = "donor", _("As donor")
        RECIPIENT = "recipient", _("As recipient")
        PEER = "peer", _("As peer")

    # Interest that still counts towards "both sides interested".
    STANDING = (Status.OPEN, Status.ACCEPTED)

    from_city = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="interest_sent",
        verbose_name=_("from city"),
    )
    to_city = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="interest_received",
        verbose_name=_("to city"),
    )
    from_role = models.CharField(max_length=10, choices=Role.choices, verbose_name=_("from role"))
    match_ref = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text=_("Id of the match it was sent from (may be gone)."),
        verbose_name=_("match"),
    )
    message = models.TextField(
        max_length=2000, help_text=_("Why this partner."), verbose_name=_("message")
    )
    policy_areas = models.ManyToManyField(
        "cities.PolicyArea", related_name="+", blank=True, verbose_name=_("policy areas")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, verbose_name=_("status")
    )
    decline_reason = models.TextField(blank=True, verbose_name=_("decline reason"))
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interests",
        verbose_name=_("partnership"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))

    objects = InterestQuerySet.as_manager()

    class Meta:
        verbose_name = _("expression of interest")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("expressions of interest")
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_city=models.F("to_city")), name="interest_two_cities"
            ),
            models.UniqueConstraint(
                fields=["from_city", "to_city"],
                condition=Q(status="open"),
                name="one_open_interest_per_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["from_city", "to_city", "status"], name="interest_pair_status"),
        ]

    def __str__(self) -> str:
        return f"{self.from_city} → {self.to_city} ({self.status})"

    def get_match_url(self) -> str:
        """The pair's match page, by the two cities (row ids change with every run)."""
        donor, recipient = (
            (self.to_city, self.from_city)
            if self.from_role == self.Role.RECIPIENT
            else (self.from_city, self.to_city)
        )
        return reverse("match-detail", kwargs={"donor": donor.slug, "recipient": recipient.slug})
