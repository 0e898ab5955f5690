"""What follows a match: interest, partnerships and their pipeline, projects, ledger, programmes.

A match is where cooperation starts: one city tells the other it is interested, the two agree
a partnership, run one or two projects, scale them, widen to new areas, and join programmes
that link many cities. The rules for all of it live in ``partnerships/services/``.

Interest, projects and programme rounds have modules of their own here (``interest``,
``projects``, ``rounds``); every model is importable from ``partnerships.models``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..querysets import PartnershipQuerySet
from .interest import ExpressionOfInterest as ExpressionOfInterest
from .projects import Milestone as Milestone
from .projects import Project as Project
from .projects import ProjectFigure as ProjectFigure
from .rounds import Round as Round
from .rounds import RoundApplication as RoundApplication
from .rounds import RoundCapacity as RoundCapacity
from .rounds import RoundDecision as RoundDecision
from .rounds import RoundPair as RoundPair

if TYPE_CHECKING:
    from cities.models import City, Organization

NON_NEGATIVE = [MinValueValidator(0)]


class Programme(models.Model):
    """A network led by an organization (a national agency, a city network) linking many cities.

    Its eligibility rules are checked by ``services.programmes.eligibility``; a rule left
    empty (no minimum population, no countries, no areas, no co-funding) lets every city pass.
    """

    name = models.CharField(max_length=200, unique=True, verbose_name=_("name"))
    slug = models.SlugField(max_length=220, unique=True, verbose_name=_("slug"))
    organization = models.ForeignKey(
        "cities.Organization",
        on_delete=models.PROTECT,
        related_name="programmes",
        verbose_name=_("organization"),
    )
    description = models.TextField(blank=True, verbose_name=_("description"))
    policy_areas = models.ManyToManyField(
        "cities.PolicyArea", related_name="programmes", blank=True, verbose_name=_("policy areas")
    )
    funding_usd = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text=_("Funds the programme has for its partnerships (USD)."),
        verbose_name=_("funding (USD)"),
    )
    funding_note = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("What the funds pay for, and on what terms."),
        verbose_name=_("funding note"),
    )
    min_population = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name=_("minimum population")
    )
    countries = models.JSONField(
        default=list,
        blank=True,
        help_text=_("ISO 3166-1 alpha-2 codes of the countries it covers; empty means worldwide."),
        verbose_name=_("countries"),
    )
    min_cofunding_usd = models.PositiveBigIntegerField(
        default=0,
        help_text=_("Co-funding a member city must bring (USD)."),
        verbose_name=_("minimum co-funding (USD)"),
    )
    requires_adopted_plan = models.BooleanField(
        default=False,
        help_text=_("Members must have adopted a plan (climate, waste…) of their own."),
        verbose_name=_("requires an adopted plan"),
    )
    members: models.ManyToManyField[City, ProgrammeMembership] = models.ManyToManyField(
        "cities.City",
        through="ProgrammeMembership",
        related_name="programmes",
        blank=True,
        verbose_name=_("members"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("programme-detail", kwargs={"slug": self.slug})

    def covers_country(self, country: str) -> bool:
        return not self.countries or country in self.countries


class ProgrammeMembership(models.Model):
    """A city's application to a programme, and its membership once accepted.

    The application records whether the city has adopted a plan, which is what the programme's
    "adopted plan" rule reads.
    """

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        MEMBER = "member", _("Member")
        LEFT = "left", _("Left")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("programme")
    )
    city = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="programme_memberships",
        verbose_name=_("city"),
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.APPLIED, verbose_name=_("status")
    )
    has_adopted_plan = models.BooleanField(default=False, verbose_name=_("has an adopted plan"))
    plan_title = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The adopted plan, e.g. 'Climate action plan 2030'."),
        verbose_name=_("plan title"),
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
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("programme membership")
        verbose_name_plural = _("programme memberships")
        ordering = ["programme", "city__name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "city"], name="unique_programme_city")
        ]

    def __str__(self) -> str:
        return f"{self.city} in {self.programme} ({self.status})"


class Partnership(models.Model):
    """Two cities cooperating: donor and recipient, or peers (``donor`` is then simply city A)."""

    class Kind(models.TextChoices):
        DONOR_RECIPIENT = "donor_recipient", _("Donor and recipient")
        PEERS = "peers", _("Peers")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        AGREED = "agreed", _("Agreed")
        PILOT = "pilot", _("Pilot")
        SCALING = "scaling", _("Scaling up")
        EXPANDED = "expanded", _("Expanded to new areas")
        CONCLUDED = "concluded", _("Concluded")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    class Outcome(models.TextChoices):
        GOOD = "good", _("Good")
        MIXED = "mixed", _("Mixed")
        POOR = "poor", _("Poor")

    # Cooperating now: these mark their match ``existing_partnership`` in every run.
    ACTIVE = (Status.AGREED, Status.PILOT, Status.SCALING, Status.EXPANDED)
    # Finished for good: nothing moves them any more.
    CLOSED = (Status.CONCLUDED, Status.ENDED)
    # The donor has mentored its partner (an active or concluded partnership).
    MENTORED = (*ACTIVE, Status.CONCLUDED)

    donor = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="partnerships_as_donor",
        verbose_name=_("donor"),
    )
    recipient = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="partnerships_as_recipient",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(
        max_length=16, choices=Kind.choices, default=Kind.DONOR_RECIPIENT, verbose_name=_("kind")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PROPOSED, verbose_name=_("status")
    )
    status_reason = models.TextField(
        blank=True,
        help_text=_("Why it was paused or ended (required for those states)."),
        verbose_name=_("status reason"),
    )
    # Where a pause returns to when the partnership resumes.
    paused_from = models.CharField(
        max_length=10, choices=Status.choices, blank=True, verbose_name=_("paused from")
    )
    outcome = models.CharField(
        max_length=5,
        choices=Outcome.choices,
        blank=True,
        help_text=_(
            "How it went, given when it concludes; good outcomes count as the donor's "
            "experience in scoring."
        ),
        verbose_name=_("outcome"),
    )
    policy_areas = models.ManyToManyField(
        "cities.PolicyArea", related_name="partnerships", blank=True, verbose_name=_("policy areas")
    )
    # Runs are dropped as new ones arrive, and a foreign key to ``Match`` would stop their fast
    # bulk delete: the match is kept as its id and a snapshot of what it said.
    match_ref = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text=_("Id of the match it started from (may be gone)."),
        verbose_name=_("match"),
    )
    match_snapshot = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The match's score, components and explanation when the partnership started."),
        verbose_name=_("match snapshot"),
    )
    reasons = models.TextField(
        blank=True,
        help_text=_("Why this partner was chosen, kept for later councils."),
        verbose_name=_("reasons"),
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partnerships",
        verbose_name=_("programme"),
    )
    organizations: models.ManyToManyField[Organization, PartnershipOrganization] = (
        models.ManyToManyField(
            "cities.Organization",
            through="PartnershipOrganization",
            related_name="partnerships",
            blank=True,
        )
    )
    agreed_on = models.DateField(null=True, blank=True, verbose_name=_("agreed on"))
    review_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("When the cooperation agreement is due for review."),
        verbose_name=_("review on"),
    )
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

    objects = PartnershipQuerySet.as_manager()

    # Not a column: the lists set it on the rows they read (``PartnershipQuerySet.of_cities``,
    # the partnerships page) for the templates' "review due" badge.
    review_is_due: bool

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(donor=models.F("recipient")), name="partnership_two_cities"
            ),
            # One open partnership per pair in this direction; the services also refuse the
            # reverse direction.
            models.UniqueConstraint(
                fields=["donor", "recipient"],
                condition=~Q(status__in=["concluded", "ended"]),
                name="one_open_partnership_per_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["donor", "status"], name="partnership_donor_status"),
            models.Index(fields=["recipient", "status"], name="partnership_recipient_status"),
            # The lists' default order: the latest changes first.
            models.Index(fields=["-updated_at", "-id"], name="partnership_recent"),
        ]

    def __str__(self) -> str:
        joiner = " ↔ " if self.kind == self.Kind.PEERS else " → "
        return f"{self.donor}{joiner}{self.recipient}"

    def get_absolute_url(self) -> str:
        return reverse("partnership-detail", kwargs={"pk": self.pk})

    def get_match_url(self) -> str:
        """The two cities' match page as it scores now (row ids change with every run)."""
        return reverse(
            "match-detail", kwargs={"donor": self.donor.slug, "recipient": self.recipient.slug}
        )

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED

    @property
    def city_ids(self) -> tuple[int, int]:
        return (self.donor_id, self.recipient_id)


class PartnershipOrganization(models.Model):
    """An organization supporting a partnership, and how."""

    class Role(models.TextChoices):
        FUNDING = "funding", _("Funding")
        TECHNICAL = "technical", _("Technical support")
        PRIVATE = "private", _("Private partner")
        NETWORK = "network", _("Network or programme")

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="organization_links",
        verbose_name=_("partnership"),
    )
    organization = models.ForeignKey(
        "cities.Organization",
        on_delete=models.CASCADE,
        related_name="partnership_links",
        verbose_name=_("organization"),
    )
    role = models.CharField(
        max_length=10, choices=Role.choices, default=Role.TECHNICAL, verbose_name=_("role")
    )
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))

    class Meta:
        verbose_name = _("partnership organization")
        verbose_name_plural = _("partnership organizations")
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organization"], name="unique_partnership_organization"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


class StepProposal(models.Model):
    """One city proposing the next step of a partnership; an editor of the other confirms it.

    Steps that commit both cities (``agreed`` and every later stage) wait here until the other
    city answers. At most one proposal per partnership is pending.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the other city"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="step_proposals",
        verbose_name=_("partnership"),
    )
    from_status = models.CharField(
        max_length=10, choices=Partnership.Status.choices, verbose_name=_("from status")
    )
    to_status = models.CharField(
        max_length=10, choices=Partnership.Status.choices, verbose_name=_("to status")
    )
    outcome = models.CharField(
        max_length=5, choices=Partnership.Outcome.choices, blank=True, verbose_name=_("outcome")
    )
    note = models.TextField(
        blank=True,
        help_text=_("What the proposing city says about the step."),
        verbose_name=_("note"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_for_city = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The proposing city."),
        verbose_name=_("proposed for city"),
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, verbose_name=_("state")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    reason = models.TextField(
        blank=True, help_text=_("Why it was declined or withdrawn."), verbose_name=_("reason")
    )
    # When the system withdraws the step, why as a message (kind and parameters,
    # ``services.history.step_reason``) written at read time in the reader's language.
    reason_message = models.JSONField(default=dict, blank=True, verbose_name=_("why it ended"))
    override = models.BooleanField(
        default=False,
        help_text=_("Confirmed by an admin acting for the other city."),
        verbose_name=_("override"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("step proposal")
        verbose_name_plural = _("step proposals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership"],
                condition=Q(state="pending"),
                name="one_pending_step_per_partnership",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partnership}: {self.from_status} → {self.to_status} ({self.state})"

    @property
    def waiting_for_city_id(self) -> int:
        """The city whose editors must answer."""
        partnership = self.partnership
        if self.proposed_for_city_id == partnership.donor_id:
            return partnership.recipient_id
        return partnership.donor_id


class PartnershipEvent(models.Model):
    """One dated change of a partnership and who made it: its history."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        STEP = "step", _("Step proposed")
        DECLINED = "declined", _("Step declined")
        WITHDRAWN = "withdrawn", _("Step withdrawn")
        EDITED = "edited", _("Details edited")
        ORGANIZATION = "organization", _("Organizations changed")
        LEDGER = "ledger", _("Ledger entry")
        PROJECT = "project", _("Project changed")
        REVIEWED = "reviewed", _("Reviewed")

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="events", verbose_name=_("partnership")
    )
    action = models.CharField(max_length=12, choices=Action.choices, verbose_name=_("action"))
    from_status = models.CharField(
        max_length=10, choices=Partnership.Status.choices, blank=True, verbose_name=_("from status")
    )
    to_status = models.CharField(
        max_length=10, choices=Partnership.Status.choices, blank=True, verbose_name=_("to status")
    )
    note = models.TextField(blank=True, verbose_name=_("note"))
    # What happened, as a kind and its parameters (names as given at the time, codes, ISO
    # dates, amounts as strings): the sentence is written at read time in the reader's
    # language. Empty on events that carry only ``note``.
    message = models.JSONField(default=dict, blank=True, verbose_name=_("what happened"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("partnership event")
        verbose_name_plural = _("partnership events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.partnership}: {self.get_action_display()}"


class LedgerEntry(models.Model):
    """What one side of a partnership contributes or gains: the reciprocity ledger."""

    class Kind(models.TextChoices):
        STAFF_DAYS = "staff_days", _("Staff days")
        MONEY = "money", _("Money")
        KNOW_HOW = "know_how", _("Know-how")
        BUSINESS = "business", _("Business")
        LESSONS = "lessons", _("Lessons")

    class Direction(models.TextChoices):
        CONTRIBUTES = "contributes", _("Contributes")
        GAINS = "gains", _("Gains")

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="ledger", verbose_name=_("partnership")
    )
    city = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city")
    )
    direction = models.CharField(
        max_length=12, choices=Direction.choices, verbose_name=_("direction")
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        verbose_name=_("amount"),
    )
    unit = models.CharField(
        max_length=20, blank=True, help_text=_("days, USD, contracts…"), verbose_name=_("unit")
    )
    description = models.CharField(max_length=300, verbose_name=_("description"))
    occurred_on = models.DateField(verbose_name=_("occurred on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("ledger entry")
        ordering = ["-occurred_on", "-id"]
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.city} {self.direction} {self.get_kind_display()}"
