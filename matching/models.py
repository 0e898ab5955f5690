"""Scoring profiles, match runs and the matches they store."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .fields import MillionthsField, TopAreasField
from .querysets import MatchQuerySet, MatchRunQuerySet
from .vocabulary import (
    COMPONENTS,
    DEFAULT_COST_USD,
    DEFAULT_SIZE_SIGMA,
    DEFAULT_TOP_K,
    DEFAULT_WEIGHTS,
    MAX_TOP_K,
)


def _weight_field(component: str) -> models.FloatField:
    return models.FloatField(default=DEFAULT_WEIGHTS[component], validators=[MinValueValidator(0)])


class ScoringProfile(models.Model):
    """Weights and constants of the scoring model (SCORING.md); admins edit them."""

    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    is_default = models.BooleanField(default=False, verbose_name=_("is default"))
    weight_need_fit = _weight_field("need_fit")
    weight_evidence = _weight_field("evidence")
    weight_reciprocity = _weight_field("reciprocity")
    weight_size = _weight_field("size")
    weight_industry = _weight_field("industry")
    weight_capacity = _weight_field("capacity")
    weight_budget = _weight_field("budget")
    weight_language = _weight_field("language")
    size_sigma = models.FloatField(
        default=DEFAULT_SIZE_SIGMA,
        validators=[MinValueValidator(0.01)],
        help_text=_("σ of the size component, in natural-log units (ln 4 by default)."),
        verbose_name=_("size sigma"),
    )
    default_cost_usd = models.PositiveBigIntegerField(
        default=DEFAULT_COST_USD,
        help_text=_("Cost assumed for a donor without published practices."),
        verbose_name=_("default cost (USD)"),
    )
    top_k = models.PositiveSmallIntegerField(
        default=DEFAULT_TOP_K,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TOP_K)],
        verbose_name=_("top k"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("scoring profile")
        verbose_name_plural = _("scoring profiles")
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
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("API")
        SCHEDULE = "schedule", _("Schedule")
        PROFILE_CHANGE = "profile_change", _("Profile change")
        COMMAND = "command", _("Command line")

    IN_PROGRESS = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, verbose_name=_("status")
    )
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)], verbose_name=_("progress")
    )
    trigger = models.CharField(
        max_length=20, choices=Trigger.choices, default=Trigger.ADMIN, verbose_name=_("trigger")
    )
    is_active = models.BooleanField(default=False, verbose_name=_("is active"))
    profile = models.ForeignKey(
        ScoringProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("profile"),
    )
    weights = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The exact weights and constants used."),
        verbose_name=_("weights"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    cities = models.PositiveIntegerField(default=0, verbose_name=_("cities"))
    pairs_scored = models.PositiveBigIntegerField(default=0, verbose_name=_("pairs scored"))
    matches_stored = models.PositiveIntegerField(default=0, verbose_name=_("matches stored"))
    shards_total = models.PositiveIntegerField(default=0, verbose_name=_("shards total"))
    shards_done = models.PositiveIntegerField(default=0, verbose_name=_("shards done"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    # Why the run failed as a message (kind and parameters, ``services.failures``): the
    # sentence is written at read time in the reader's language.
    error_message = models.JSONField(default=dict, blank=True, verbose_name=_("what happened"))
    # Every step of a running run (preparing, each shard, finishing) touches this while it
    # works; a run silent for long lost its worker and is re-queued (``recover_lost_runs``).
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When a worker last reported working on the run."),
        verbose_name=_("heartbeat at"),
    )
    recoveries = models.PositiveSmallIntegerField(
        default=0,
        help_text=_("Times the run was re-queued after its worker was lost."),
        verbose_name=_("recoveries"),
    )
    # Raised in the same transaction as every change to what the run's match lists show (a
    # city rescored, a partnership flag, a city edited or deleted): cached list pages are kept
    # under the run and this number, so a page cached before a change is never served after it.
    list_version = models.PositiveBigIntegerField(default=0, editable=False)

    objects = MatchRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("match run")
        verbose_name_plural = _("match runs")
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
        verbose_name=_("run"),
    )
    donor = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("donor"),
    )
    recipient = models.ForeignKey(
        "cities.City",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("recipient"),
    )
    score = models.FloatField(verbose_name=_("score"))
    # The components to six decimals, stored as millionths (``fields.MillionthsField``).
    need_fit = MillionthsField(verbose_name=_("need fit"))
    evidence = MillionthsField(verbose_name=_("evidence"))
    reciprocity = MillionthsField(verbose_name=_("reciprocity"))
    size = MillionthsField(verbose_name=_("size"))
    industry = MillionthsField(verbose_name=_("industry"))
    capacity = MillionthsField(verbose_name=_("capacity"))
    budget = MillionthsField(verbose_name=_("budget"))
    language = MillionthsField(verbose_name=_("language"))
    donor_rank = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Rank of this recipient among the donor's top matches."),
        verbose_name=_("donor rank"),
    )
    recipient_rank = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Rank of this donor among the recipient's top matches."),
        verbose_name=_("recipient rank"),
    )
    size_ratio = models.FloatField(
        help_text=_("Larger population divided by the smaller."), verbose_name=_("size ratio")
    )
    # Stored as "waste:3:2 air:2:1" (``fields.TopAreasField``), read as the list of dicts.
    top_areas = TopAreasField(
        default=list,
        help_text=_("[{area, need, expertise}], best first."),
        verbose_name=_("top areas"),
    )
    # The top area codes again as " waste air ", so both databases filter them with LIKE.
    top_area_codes = models.CharField(max_length=120, blank=True, verbose_name=_("top area codes"))
    practices = models.JSONField(
        default=list,
        help_text=_("The donor's practices in the top areas."),
        verbose_name=_("practices"),
    )
    gives_back = models.JSONField(
        default=list,
        help_text=_("Areas where the recipient can help the donor."),
        verbose_name=_("gives back"),
    )
    existing_partnership = models.BooleanField(
        default=False, verbose_name=_("existing partnership")
    )

    objects = MatchQuerySet.as_manager()

    # Not a column: the list pages set it on the rows they show (``views.common.label_areas``),
    # the names of the top areas for the templates.
    area_labels: list[str]

    class Meta:
        verbose_name = _("match")
        ordering = ["-score", "recipient_id", "donor_id"]
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(fields=["run", "donor", "recipient"], name="unique_match_pair")
        ]
        # One index per order the lists offer, each holding the whole order (tie-breakers
        # included), so a page is read from the front of an index without sorting the run
        # (tests/matching/api/test_list_plans.py). Without the run: on PostgreSQL each run's
        # rows are a partition of their own (services/partitions.py), where a leading run id
        # is the same in every key and only made each comparison of the index builds' sorts
        # go one column further; a list reads its run's partition alone.
        indexes = [
            models.Index(fields=["-score", "recipient", "donor"], name="match_order"),
            models.Index(fields=["recipient", "recipient_rank"], name="match_recipient"),
            # A donor's rows are found through unique_match_pair (run, donor, recipient).
            models.Index(
                fields=["donor_rank", "-score", "recipient", "donor"], name="match_donor_rank"
            ),
            models.Index(
                fields=["recipient_rank", "-score", "recipient", "donor"],
                name="match_recipient_rank",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} → {self.recipient}: {self.score}"

    def get_absolute_url(self) -> str:
        """The pair's lasting address (its two cities), not this row's: see services.pairs."""
        return reverse(
            "match-detail", kwargs={"donor": self.donor.slug, "recipient": self.recipient.slug}
        )

    @property
    def components(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in COMPONENTS}


class RunInputs(models.Model):
    """The arrays a run scores, frozen when it starts so every shard sees the same profiles.

    Kept out of ``MatchRun`` so that lists of runs never load megabytes of arrays; deleted when
    the run ends.
    """

    run = models.OneToOneField(
        MatchRun,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="inputs",
        verbose_name=_("run"),
    )
    data = models.BinaryField(
        help_text=_("numpy npz of the engine's CityArrays."), verbose_name=_("data")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("run inputs")
        verbose_name_plural = _("run inputs")

    def __str__(self) -> str:
        return f"Inputs of run {self.run_id}"


class RunShard(models.Model):
    """One slice of a run's recipients (rows ``first_row``…``stop_row - 1`` of its arrays).

    A shard task locks its row, replaces its result and sets ``done``, so running a shard twice
    stores one result and counts once towards the run's progress.
    """

    run = models.ForeignKey(
        MatchRun, on_delete=models.CASCADE, related_name="shards", verbose_name=_("run")
    )
    index = models.PositiveIntegerField(verbose_name=_("index"))
    first_row = models.PositiveIntegerField(verbose_name=_("first row"))
    stop_row = models.PositiveIntegerField(verbose_name=_("stop row"))
    done = models.BooleanField(default=False, verbose_name=_("done"))
    result = models.BinaryField(
        null=True,
        blank=True,
        help_text=_("numpy npz of the block result."),
        verbose_name=_("result"),
    )
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("run shard")
        verbose_name_plural = _("run shards")
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="unique_run_shard"),
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} shard {self.index}"
