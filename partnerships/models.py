"""Scoring profiles, match runs and the matches they store."""

from __future__ import annotations

import math

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from .querysets import MatchQuerySet, MatchRunQuerySet

COMPONENTS = (
    "need_fit",
    "evidence",
    "reciprocity",
    "size",
    "industry",
    "capacity",
    "budget",
    "language",
)
DEFAULT_WEIGHTS = {
    "need_fit": 0.30,
    "evidence": 0.15,
    "reciprocity": 0.15,
    "size": 0.10,
    "industry": 0.10,
    "capacity": 0.10,
    "budget": 0.05,
    "language": 0.05,
}


def _weight_field(component: str) -> models.FloatField:
    return models.FloatField(default=DEFAULT_WEIGHTS[component], validators=[MinValueValidator(0)])


class ScoringProfile(models.Model):
    """Weights and constants of the scoring model (SCORING.md); admins edit them."""

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    weight_need_fit = _weight_field("need_fit")
    weight_evidence = _weight_field("evidence")
    weight_reciprocity = _weight_field("reciprocity")
    weight_size = _weight_field("size")
    weight_industry = _weight_field("industry")
    weight_capacity = _weight_field("capacity")
    weight_budget = _weight_field("budget")
    weight_language = _weight_field("language")
    size_sigma = models.FloatField(
        default=math.log(4),
        validators=[MinValueValidator(0.01)],
        help_text="σ of the size component, in natural-log units (ln 4 by default).",
    )
    default_cost_usd = models.PositiveBigIntegerField(
        default=250_000, help_text="Cost assumed for a donor without published practices."
    )
    top_k = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_profile"
            )
        ]

    def __str__(self) -> str:
        return self.name + (" (default)" if self.is_default else "")

    @property
    def weights(self) -> dict[str, float]:
        return {name: getattr(self, f"weight_{name}") for name in COMPONENTS}

    def snapshot(self) -> dict:
        """What a run stores, so that every score it keeps can be reproduced."""
        return {
            "profile": self.name,
            "weights": self.weights,
            "size_sigma": self.size_sigma,
            "default_cost_usd": self.default_cost_usd,
            "top_k": self.top_k,
        }


class MatchRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        ADMIN = "admin", "Admin"
        API = "api", "API"
        SCHEDULE = "schedule", "Schedule"
        PROFILE_CHANGE = "profile_change", "Profile change"
        COMMAND = "command", "Command line"

    IN_PROGRESS = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.ADMIN)
    is_active = models.BooleanField(default=False)
    profile = models.ForeignKey(
        ScoringProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    weights = models.JSONField(
        default=dict, blank=True, help_text="The exact weights and constants used."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cities = models.PositiveIntegerField(default=0)
    pairs_scored = models.PositiveBigIntegerField(default=0)
    matches_stored = models.PositiveIntegerField(default=0)
    shards_total = models.PositiveIntegerField(default=0)
    shards_done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    objects = MatchRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_run"
            ),
            # Only a finished, successful run can be the active one…
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(status="succeeded"), name="active_run_succeeded"
            ),
            # …so every queued or running run has is_active=False, and this index lets the
            # database refuse a second run in progress whatever the Python code does.
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(status__in=["queued", "running"]),
                name="one_run_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("run-detail", kwargs={"pk": self.pk})

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 3)
        return None

    @property
    def in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS


class Match(models.Model):
    """One scored donor/recipient pair of a run, with the explanation of its score."""

    # A run writes ~1e6 rows through COPY, and each index and foreign-key check costs time at
    # that scale (the deferred checks alone took longer than the rest of a 10,000-city run).
    # So the three keys carry no database constraint and no index of their own: the indexes
    # below all start with the run, deleting a city or a run still cascades (Django does it),
    # and a run drops the rows of cities deleted while it scored (runs.finish_run). Matches
    # are derived data: the next run rebuilds them from the profiles.
    run = models.ForeignKey(
        MatchRun,
        on_delete=models.CASCADE,
        related_name="matches",
        db_index=False,
        db_constraint=False,
    )
    donor = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    recipient = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    score = models.FloatField()
    need_fit = models.FloatField()
    evidence = models.FloatField()
    reciprocity = models.FloatField()
    size = models.FloatField()
    industry = models.FloatField()
    capacity = models.FloatField()
    budget = models.FloatField()
    language = models.FloatField()
    donor_rank = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rank of this recipient among the donor's top matches."
    )
    recipient_rank = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rank of this donor among the recipient's top matches."
    )
    size_ratio = models.FloatField(help_text="Larger population divided by the smaller.")
    top_areas = models.JSONField(default=list, help_text="[{area, need, expertise}], best first.")
    # The top area codes again as " waste air ", so both databases filter them with LIKE.
    top_area_codes = models.CharField(max_length=120, blank=True)
    practices = models.JSONField(default=list, help_text="The donor's practices in the top areas.")
    gives_back = models.JSONField(
        default=list, help_text="Areas where the recipient can help the donor."
    )
    existing_partnership = models.BooleanField(default=False)

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "recipient_id", "donor_id"]
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(fields=["run", "donor", "recipient"], name="unique_match_pair")
        ]
        indexes = [
            models.Index(fields=["run", "-score"], name="match_run_score"),
            models.Index(fields=["run", "recipient", "recipient_rank"], name="match_run_recipient"),
            # A donor's rows are found through unique_match_pair (run, donor, recipient).
        ]

    def __str__(self) -> str:
        return f"{self.donor} → {self.recipient}: {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("match-detail", kwargs={"pk": self.pk})

    @property
    def components(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in COMPONENTS}


class RunInputs(models.Model):
    """The arrays a run scores, frozen when it starts so every shard sees the same profiles.

    Kept out of ``MatchRun`` so that lists of runs never load megabytes of arrays; deleted when
    the run ends.
    """

    run = models.OneToOneField(
        MatchRun, on_delete=models.CASCADE, primary_key=True, related_name="inputs"
    )
    data = models.BinaryField(help_text="numpy npz of the engine's CityArrays.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "run inputs"

    def __str__(self) -> str:
        return f"Inputs of run {self.run_id}"


class RunShard(models.Model):
    """One slice of a run's recipients (rows ``first_row``…``stop_row - 1`` of its arrays).

    A shard task locks its row, replaces its result and sets ``done``, so running a shard twice
    stores one result and counts once towards the run's progress.
    """

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="shards")
    index = models.PositiveIntegerField()
    first_row = models.PositiveIntegerField()
    stop_row = models.PositiveIntegerField()
    done = models.BooleanField(default=False)
    result = models.BinaryField(null=True, blank=True, help_text="numpy npz of the block result.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="unique_run_shard"),
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} shard {self.index}"


# --- Cooperation: expressions of interest, partnerships, projects, programmes ---------------
#
# A match is where cooperation starts: one city tells the other it is interested, the two agree
# a partnership, run one or two projects, scale them, widen to new areas, and join programmes
# that link many cities. Services for all of it live in ``partnerships/cooperation/``.

NON_NEGATIVE = [MinValueValidator(0)]


class Programme(models.Model):
    """A network led by an organization (a national agency, a city network) linking many cities.

    Its eligibility rules are checked by ``cooperation.programmes.eligibility``; a rule left
    empty (no minimum population, no countries, no areas, no co-funding) lets every city pass.
    """

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=220, unique=True)
    organization = models.ForeignKey(
        "cities.Organization", on_delete=models.PROTECT, related_name="programmes"
    )
    description = models.TextField(blank=True)
    policy_areas = models.ManyToManyField(
        "cities.PolicyArea", related_name="programmes", blank=True
    )
    funding_usd = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Funds the programme has for its partnerships (USD)."
    )
    funding_note = models.CharField(
        max_length=300, blank=True, help_text="What the funds pay for, and on what terms."
    )
    min_population = models.PositiveBigIntegerField(null=True, blank=True)
    countries = models.JSONField(
        default=list,
        blank=True,
        help_text="ISO 3166-1 alpha-2 codes of the countries it covers; empty means worldwide.",
    )
    min_cofunding_usd = models.PositiveBigIntegerField(
        default=0, help_text="Co-funding a member city must bring (USD)."
    )
    requires_adopted_plan = models.BooleanField(
        default=False, help_text="Members must have adopted a plan (climate, waste…) of their own."
    )
    members = models.ManyToManyField(
        "cities.City", through="ProgrammeMembership", related_name="programmes", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
        APPLIED = "applied", "Applied"
        MEMBER = "member", "Member"
        LEFT = "left", "Left"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="memberships")
    city = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="programme_memberships"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    has_adopted_plan = models.BooleanField(default=False)
    plan_title = models.CharField(
        max_length=200, blank=True, help_text="The adopted plan, e.g. 'Climate action plan 2030'."
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme", "city__name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "city"], name="unique_programme_city")
        ]

    def __str__(self) -> str:
        return f"{self.city} in {self.programme} ({self.status})"


class Partnership(models.Model):
    """Two cities cooperating: donor and recipient, or peers (``donor`` is then simply city A)."""

    class Kind(models.TextChoices):
        DONOR_RECIPIENT = "donor_recipient", "Donor and recipient"
        PEERS = "peers", "Peers"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        AGREED = "agreed", "Agreed"
        PILOT = "pilot", "Pilot"
        SCALING = "scaling", "Scaling up"
        EXPANDED = "expanded", "Expanded to new areas"
        CONCLUDED = "concluded", "Concluded"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"

    class Outcome(models.TextChoices):
        GOOD = "good", "Good"
        MIXED = "mixed", "Mixed"
        POOR = "poor", "Poor"

    # Cooperating now: these mark their match ``existing_partnership`` in every run.
    ACTIVE = (Status.AGREED, Status.PILOT, Status.SCALING, Status.EXPANDED)
    # Finished for good: nothing moves them any more.
    CLOSED = (Status.CONCLUDED, Status.ENDED)

    donor = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="partnerships_as_donor"
    )
    recipient = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="partnerships_as_recipient"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DONOR_RECIPIENT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    status_reason = models.TextField(
        blank=True, help_text="Why it was paused or ended (required for those states)."
    )
    # Where a pause returns to when the partnership resumes.
    paused_from = models.CharField(max_length=10, choices=Status.choices, blank=True)
    outcome = models.CharField(
        max_length=5,
        choices=Outcome.choices,
        blank=True,
        help_text="How it went, given when it concludes; good outcomes count as the donor's "
        "experience in scoring.",
    )
    policy_areas = models.ManyToManyField(
        "cities.PolicyArea", related_name="partnerships", blank=True
    )
    # Runs are dropped as new ones arrive, and a foreign key to ``Match`` would stop their fast
    # bulk delete: the match is kept as its id and a snapshot of what it said.
    match_ref = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Id of the match it started from (may be gone)."
    )
    match_snapshot = models.JSONField(
        default=dict,
        blank=True,
        help_text="The match's score, components and explanation when the partnership started.",
    )
    reasons = models.TextField(
        blank=True, help_text="Why this partner was chosen, kept for later councils."
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partnerships",
    )
    organizations = models.ManyToManyField(
        "cities.Organization",
        through="PartnershipOrganization",
        related_name="partnerships",
        blank=True,
    )
    agreed_on = models.DateField(null=True, blank=True)
    review_on = models.DateField(
        null=True, blank=True, help_text="When the cooperation agreement is due for review."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
        ]

    def __str__(self) -> str:
        joiner = " and " if self.kind == self.Kind.PEERS else " → "
        return f"{self.donor}{joiner}{self.recipient}"

    def get_absolute_url(self) -> str:
        return reverse("partnership-detail", kwargs={"pk": self.pk})

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
        FUNDING = "funding", "Funding"
        TECHNICAL = "technical", "Technical support"
        PRIVATE = "private", "Private partner"
        NETWORK = "network", "Network or programme"

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="organization_links"
    )
    organization = models.ForeignKey(
        "cities.Organization", on_delete=models.CASCADE, related_name="partnership_links"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.TECHNICAL)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organization"], name="unique_partnership_organization"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


class PartnershipEvent(models.Model):
    """One dated change of a partnership and who made it: its history."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status changed"
        EDITED = "edited", "Details edited"
        ORGANIZATION = "organization", "Organizations changed"
        LEDGER = "ledger", "Ledger entry"
        PROJECT = "project", "Project changed"
        REVIEWED = "reviewed", "Reviewed"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=12, choices=Action.choices)
    from_status = models.CharField(max_length=10, choices=Partnership.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Partnership.Status.choices, blank=True)
    note = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.partnership}: {self.get_action_display()}"


class LedgerEntry(models.Model):
    """What one side of a partnership contributes or gains: the reciprocity ledger."""

    class Kind(models.TextChoices):
        STAFF_DAYS = "staff_days", "Staff days"
        MONEY = "money", "Money"
        KNOW_HOW = "know_how", "Know-how"
        BUSINESS = "business", "Business"
        LESSONS = "lessons", "Lessons"

    class Direction(models.TextChoices):
        CONTRIBUTES = "contributes", "Contributes"
        GAINS = "gains", "Gains"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="ledger")
    city = models.ForeignKey("cities.City", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=12, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE
    )
    unit = models.CharField(max_length=20, blank=True, help_text="days, USD, contracts…")
    description = models.CharField(max_length=300)
    occurred_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.city} {self.direction} {self.get_kind_display()}"


class Project(models.Model):
    """One project inside a partnership: start with one or two, then scale."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(max_length=200)
    policy_area = models.ForeignKey(
        "cities.PolicyArea", on_delete=models.PROTECT, related_name="projects"
    )
    practice = models.ForeignKey(
        "bestpractices.BestPractice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        help_text="The published best practice the project follows.",
    )
    summary = models.TextField(blank=True)
    budget_usd = models.PositiveBigIntegerField(null=True, blank=True)
    funding_source = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    outcomes = models.TextField(blank=True, help_text="What the project achieved, in words.")
    lessons = models.TextField(blank=True, help_text="What went wrong, and what to do differently.")
    practice_draft = models.ForeignKey(
        "bestpractices.BestPractice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The catalogue draft proposed from this project.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class ProjectFigure(models.Model):
    """A measured outcome of a project (the catalogue's outcome fields, so drafts inherit it)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="figures")
    indicator = models.CharField(max_length=200)
    baseline = models.FloatField(null=True, blank=True)
    result = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=50, blank=True)
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.indicator


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_on = models.DateField()
    done = models.BooleanField(default=False)
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ExpressionOfInterest(models.Model):
    """One city telling another, from a match, that it would like to cooperate."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    class Role(models.TextChoices):
        DONOR = "donor", "As donor"
        RECIPIENT = "recipient", "As recipient"
        PEER = "peer", "As peer"

    # Interest that still counts towards "both sides interested".
    STANDING = (Status.OPEN, Status.ACCEPTED)

    from_city = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="interest_sent"
    )
    to_city = models.ForeignKey(
        "cities.City", on_delete=models.CASCADE, related_name="interest_received"
    )
    from_role = models.CharField(max_length=10, choices=Role.choices)
    match_ref = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Id of the match it was sent from (may be gone)."
    )
    message = models.TextField(max_length=2000, help_text="Why this partner.")
    policy_areas = models.ManyToManyField("cities.PolicyArea", related_name="+", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decline_reason = models.TextField(blank=True)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.SET_NULL, null=True, blank=True, related_name="interests"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "expressions of interest"
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
