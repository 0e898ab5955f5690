"""Programme rounds: a call of a programme, its donors' capacities, its recipients'
applications, the agency's locked and ruled-out pairs, and the pairs its solution chose."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Round(models.Model):
    """A call of a programme: recipients apply, donors state their capacity, and the agency
    pairs them at once within every donor's capacity and the round's budget
    (``services.rounds``, solved by the ``rounds`` package)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        PROPOSED = "proposed", _("Partnerships proposed")
        CLOSED = "closed", _("Closed")

    class Costing(models.TextChoices):
        EXPECTED = "expected", _("The expected cost per partnership")
        PRACTICES = "practices", _("The practices' costs")

    programme = models.ForeignKey(
        "partnerships.Programme",
        on_delete=models.CASCADE,
        related_name="rounds",
        verbose_name=_("programme"),
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    opens_on = models.DateField(verbose_name=_("opens on"))
    closes_on = models.DateField(verbose_name=_("closes on"))
    budget_usd = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text=_("The round's money (USD); empty for no budget limit."),
        verbose_name=_("budget (USD)"),
    )
    policy_areas = models.ManyToManyField(
        "cities.PolicyArea",
        related_name="+",
        blank=True,
        help_text=_("The policy areas the round funds; none chosen funds every area."),
        verbose_name=_("policy areas"),
    )
    expected_cost_usd = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text=_("What one partnership is expected to cost (USD)."),
        verbose_name=_("expected cost (USD)"),
    )
    costing = models.CharField(
        max_length=10,
        choices=Costing.choices,
        default=Costing.EXPECTED,
        help_text=_(
            "How a pair's cost is counted: the expected cost, or the cheapest of the donor's "
            "practices in the pair's areas (the expected cost when none states a cost)."
        ),
        verbose_name=_("costing"),
    )
    max_partners = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("The most donors one recipient may be paired with in the round."),
        verbose_name=_("partners per recipient"),
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.OPEN, verbose_name=_("state")
    )
    solution = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The last solution: totals, left-out recipients and their remedies."),
        verbose_name=_("solution"),
    )
    solved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("solved at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="round_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("round-detail", kwargs={"slug": self.programme.slug, "pk": self.pk})


class RoundCapacity(models.Model):
    """How many new partnerships a member donor can take in a round."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="capacities", verbose_name=_("round")
    )
    donor = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("donor")
    )
    capacity = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(50)],
        help_text=_(
            "New partnerships the donor can take in the round. By default one per five "
            "international staff (at least one), plus one with 20 years of cooperation or "
            "more, at most five."
        ),
        verbose_name=_("capacity"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("round capacity")
        verbose_name_plural = _("round capacities")
        ordering = ["round", "donor__name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "donor"], name="unique_round_donor"),
        ]

    def __str__(self) -> str:
        return f"{self.donor} in {self.round}: {self.capacity}"


class RoundApplication(models.Model):
    """A member recipient city applying to a round."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="applications", verbose_name=_("round")
    )
    recipient = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("round application")
        verbose_name_plural = _("round applications")
        ordering = ["round", "recipient__name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "recipient"], name="unique_round_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} applies to {self.round}"


class RoundDecision(models.Model):
    """The agency's decision on one pair of a round: locked in, or ruled out."""

    class Kind(models.TextChoices):
        LOCK = "lock", _("Locked in")
        RULE_OUT = "rule_out", _("Ruled out")

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("round")
    )
    donor = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("donor")
    )
    recipient = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("decision"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("round decision")
        verbose_name_plural = _("round decisions")
        ordering = ["round", "donor__name", "recipient__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "donor", "recipient"], name="unique_round_decision"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} → {self.recipient}: {self.kind}"


class RoundPair(models.Model):
    """A pair chosen by the last solution of a round, by one method (optimal or stable)."""

    class Method(models.TextChoices):
        OPTIMAL = "optimal", _("Optimal")
        STABLE = "stable", _("Stable")

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="pairs", verbose_name=_("round")
    )
    method = models.CharField(max_length=10, choices=Method.choices, verbose_name=_("method"))
    donor = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("donor")
    )
    recipient = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    score = models.FloatField(verbose_name=_("score"))
    cost_usd = models.PositiveBigIntegerField(verbose_name=_("cost (USD)"))
    locked = models.BooleanField(default=False, verbose_name=_("locked"))
    components = models.JSONField(
        default=dict, help_text=_("The score's parts, 0 to 1 each."), verbose_name=_("components")
    )
    areas = models.JSONField(
        default=list, help_text=_("Codes of the pair's top policy areas."), verbose_name=_("areas")
    )
    stored = models.BooleanField(
        default=True,
        help_text=_("False when the pair was scored on the fly, not by the run."),
        verbose_name=_("stored"),
    )
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partnership"),
    )

    class Meta:
        verbose_name = _("round pair")
        verbose_name_plural = _("round pairs")
        ordering = ["round", "method", "-score", "donor_id", "recipient_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "method", "donor", "recipient"], name="unique_round_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} → {self.recipient} ({self.method}, {self.score})"
