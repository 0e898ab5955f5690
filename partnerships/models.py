"""What follows a match: interest, partnerships and their pipeline, projects, ledger, programmes.

A match is where cooperation starts: one city tells the other it is interested, the two agree
a partnership, run one or two projects, scale them, widen to new areas, and join programmes
that link many cities. The rules for all of it live in ``partnerships/services/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .querysets import InterestQuerySet, PartnershipQuerySet

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


class Project(models.Model):
    """One project inside a partnership: start with one or two, then scale."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="projects",
        verbose_name=_("partnership"),
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    policy_area = models.ForeignKey(
        "cities.PolicyArea",
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("policy area"),
    )
    practice = models.ForeignKey(
        "bestpractices.BestPractice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        help_text=_("The published best practice the project follows."),
        verbose_name=_("practice"),
    )
    summary = models.TextField(blank=True, verbose_name=_("summary"))
    budget_usd = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name=_("budget (USD)")
    )
    funding_source = models.CharField(max_length=300, blank=True, verbose_name=_("funding source"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PLANNED, verbose_name=_("status")
    )
    outcomes = models.TextField(
        blank=True, help_text=_("What the project achieved, in words."), verbose_name=_("outcomes")
    )
    lessons = models.TextField(
        blank=True,
        help_text=_("What went wrong, and what to do differently."),
        verbose_name=_("lessons"),
    )
    practice_draft = models.ForeignKey(
        "bestpractices.BestPractice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The catalogue draft proposed from this project."),
        verbose_name=_("practice draft"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class ProjectFigure(models.Model):
    """A measured outcome of a project (the catalogue's outcome fields, so drafts inherit it)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="figures", verbose_name=_("project")
    )
    indicator = models.CharField(max_length=200, verbose_name=_("indicator"))
    baseline = models.FloatField(null=True, blank=True, verbose_name=_("baseline"))
    result = models.FloatField(null=True, blank=True, verbose_name=_("result"))
    unit = models.CharField(max_length=50, blank=True, verbose_name=_("unit"))
    year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
        verbose_name=_("year"),
    )

    class Meta:
        verbose_name = _("project figure")
        verbose_name_plural = _("project figures")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.indicator


class Milestone(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("project")
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    due_on = models.DateField(verbose_name=_("due on"))
    done = models.BooleanField(default=False, verbose_name=_("done"))
    done_on = models.DateField(null=True, blank=True, verbose_name=_("done on"))

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


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
        Partnership,
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
        Programme, on_delete=models.CASCADE, related_name="rounds", verbose_name=_("programme")
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
        Partnership,
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
