"""The best-practice catalogue: what a city did, step by step, with evidence, figures and lessons.

Only published practices are public and count in scoring. Every write goes through
``bestpractices.services``, which keeps the search vector, the revisions and the status history.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cities.languages import validate_language_code
from cities.models import City, Organization, PolicyArea, Sector

from .markup import render_markdown
from .querysets import BestPracticeQuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YEAR_VALIDATORS = [MinValueValidator(1900), MaxValueValidator(2100)]
CAPACITY_VALIDATORS = [MinValueValidator(0), MaxValueValidator(5)]
# A DOI as registered by Crossref/DataCite: "10.", a registrant code, "/", a suffix.
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")


def _range_error(low: int | None, high: int | None) -> bool:
    return low is not None and high is not None and low > high


class BestPractice(models.Model):
    class Scale(models.TextChoices):
        PILOT = "pilot", _("Pilot")
        DISTRICT = "district", _("District")
        CITYWIDE = "citywide", _("Citywide")
        NATIONAL = "national", _("National")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    city = models.ForeignKey(
        City,
        verbose_name=_("city"),
        on_delete=models.CASCADE,
        related_name="best_practices",
        help_text=_("The city that implemented the practice."),
    )
    policy_areas = models.ManyToManyField(
        PolicyArea, related_name="best_practices", verbose_name=_("policy areas")
    )
    sectors = models.ManyToManyField(
        Sector, related_name="best_practices", blank=True, verbose_name=_("sectors")
    )
    summary = models.TextField(
        _("summary"), max_length=1000, help_text=_("Two or three sentences.")
    )
    # The language the author wrote in (ISO 639-1); pages and the API filter the catalogue by it.
    language = models.CharField(
        _("language"),
        max_length=2,
        default="en",
        db_index=True,
        validators=[validate_language_code],
        help_text=_("The language the practice is written in (ISO 639-1 code, such as ja)."),
    )
    body = models.TextField(_("body"), blank=True, help_text=_("The full story, in Markdown."))
    # Rendered from ``body`` on every save and sanitised: the only user HTML a page shows.
    body_html = models.TextField(blank=True, editable=False)
    scale = models.CharField(
        _("scale"), max_length=10, choices=Scale.choices, default=Scale.CITYWIDE
    )
    start_year = models.PositiveSmallIntegerField(
        _("start year"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    end_year = models.PositiveSmallIntegerField(
        _("end year"),
        null=True,
        blank=True,
        validators=YEAR_VALIDATORS,
        help_text=_("Empty while it runs."),
    )
    cost_usd = models.PositiveBigIntegerField(
        _("cost (USD)"),
        null=True,
        blank=True,
        help_text=_("Total cost in USD, when known as one amount."),
    )
    cost_min_usd = models.PositiveBigIntegerField(
        _("cost from (USD)"),
        null=True,
        blank=True,
        help_text=_("Lower end of the cost range (USD)."),
    )
    cost_max_usd = models.PositiveBigIntegerField(
        _("cost up to (USD)"),
        null=True,
        blank=True,
        help_text=_("Upper end of the cost range (USD)."),
    )
    funding_sources = models.TextField(_("funding sources"), blank=True)
    partners: models.ManyToManyField[Organization, PracticePartner] = models.ManyToManyField(
        Organization,
        through="PracticePartner",
        related_name="best_practices",
        blank=True,
        verbose_name=_("partners"),
    )
    context = models.TextField(
        _("context"),
        blank=True,
        help_text=_("Why it worked there: local conditions, who drove it."),
    )
    # Transferability: which cities could adopt it.
    population_min = models.PositiveBigIntegerField(_("smallest population"), null=True, blank=True)
    population_max = models.PositiveBigIntegerField(_("largest population"), null=True, blank=True)
    min_absorptive_capacity = models.PositiveSmallIntegerField(
        _("absorptive capacity needed"),
        null=True,
        blank=True,
        validators=CAPACITY_VALIDATORS,
        help_text=_("Absorptive capacity (0–5) the adopting administration needs."),
    )
    min_budget_usd = models.PositiveBigIntegerField(
        _("co-funding needed (USD)"),
        null=True,
        blank=True,
        help_text=_("Co-funding (USD) the adopting city should be able to bring."),
    )
    preconditions = models.TextField(
        _("preconditions"), blank=True, help_text=_("What must be in place first.")
    )
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    # Key figures agencies compare across practices (per year where it says so).
    co2_avoided_t_per_year = models.FloatField(
        _("CO₂ avoided (t/yr)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    energy_saved_mwh_per_year = models.FloatField(
        _("energy saved (MWh/yr)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    waste_diverted_t_per_year = models.FloatField(
        _("waste diverted (t/yr)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    people_served = models.PositiveBigIntegerField(_("people served"), null=True, blank=True)
    jobs_created = models.PositiveIntegerField(_("jobs created"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="best_practices",
        editable=False,
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Weighted tsvector (A title, B summary, C body, steps, lessons) kept by the services;
    # stays empty on SQLite, where search falls back to plain matching.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = BestPracticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("best practice")
        verbose_name_plural = _("best practices")
        ordering = ["title", "id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="practice_search_gin"),
            models.Index(fields=["status", "city"], name="practice_status_city"),
            # The list's default order, for curators (every status) and for everyone else
            # (published first: the visibility filter leads).
            models.Index(fields=["title", "id"], name="practice_title_order"),
            models.Index(fields=["status", "title", "id"], name="practice_status_title"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "published", "archived"]),
                name="practice_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(scale__in=["pilot", "district", "citywide", "national"]),
                name="practice_scale_valid",
            ),
            models.CheckConstraint(
                condition=Q(end_year__isnull=True)
                | Q(start_year__isnull=True)
                | Q(end_year__gte=models.F("start_year")),
                name="practice_years_ordered",
            ),
            models.CheckConstraint(
                condition=Q(cost_min_usd__isnull=True)
                | Q(cost_max_usd__isnull=True)
                | Q(cost_max_usd__gte=models.F("cost_min_usd")),
                name="practice_cost_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(population_min__isnull=True)
                | Q(population_max__isnull=True)
                | Q(population_max__gte=models.F("population_min")),
                name="practice_population_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_html = render_markdown(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("practice-detail", kwargs={"slug": self.slug})

    @property
    def cost(self) -> float | None:
        """The cost scoring uses: the amount, else the midpoint of the range."""
        if self.cost_usd is not None:
            return float(self.cost_usd)
        if self.cost_min_usd is not None and self.cost_max_usd is not None:
            return (self.cost_min_usd + self.cost_max_usd) / 2
        return None

    @property
    def has_transferability(self) -> bool:
        return bool(self.preconditions.strip()) or any(
            value is not None
            for value in (
                self.population_min,
                self.population_max,
                self.min_absorptive_capacity,
                self.min_budget_usd,
            )
        )

    def clean(self) -> None:
        super().clean()
        errors: dict[str, StrOrPromise] = {}
        if _range_error(self.start_year, self.end_year):
            errors["end_year"] = _("The end year cannot be before the start year.")
        if self.cost_usd is not None and (
            self.cost_min_usd is not None or self.cost_max_usd is not None
        ):
            errors["cost_usd"] = _("Give either one amount or a range, not both.")
        elif (self.cost_min_usd is None) != (self.cost_max_usd is None):
            field = "cost_max_usd" if self.cost_max_usd is None else "cost_min_usd"
            errors[field] = _("A cost range needs both a lower and an upper end.")
        elif _range_error(self.cost_min_usd, self.cost_max_usd):
            errors["cost_max_usd"] = _("The upper end cannot be below the lower end.")
        if _range_error(self.population_min, self.population_max):
            errors["population_max"] = _("The largest population cannot be below the smallest.")
        if errors:
            raise ValidationError(errors)


class PracticePartner(models.Model):
    """An organization that took part, and how (public-private partnerships are common)."""

    class Role(models.TextChoices):
        FUNDER = "funder", _("Funder")
        TECHNICAL = "technical", _("Technical partner")
        IMPLEMENTER = "implementer", _("Implementer")
        PRIVATE = "private", _("Private partner (PPP)")
        RESEARCH = "research", _("Research partner")
        NETWORK = "network", _("Network or facilitator")

    practice = models.ForeignKey(
        BestPractice, on_delete=models.CASCADE, related_name="partner_links"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="practice_links",
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.TECHNICAL)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "organization"], name="unique_practice_partner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


class Evidence(models.Model):
    """A source the practice rests on: a peer-reviewed paper, a report or a data set."""

    class Kind(models.TextChoices):
        PEER_REVIEWED = "peer_reviewed", _("Peer-reviewed")
        REPORT = "report", _("Report")
        DATASET = "dataset", _("Data set")

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="evidence")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title = models.CharField(_("title"), max_length=400)
    doi = models.CharField("DOI", max_length=200, blank=True, help_text=_("For example 10.1016/…"))
    url = models.URLField("URL", max_length=500, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices, default=Kind.REPORT)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("evidence")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def link(self) -> str:
        return self.doi_url or self.url

    def clean(self) -> None:
        super().clean()
        doi = self.doi.strip()
        for prefix in DOI_PREFIXES:
            if doi.lower().startswith(prefix):
                doi = doi[len(prefix) :].strip()
        self.doi = doi
        if doi and not DOI_PATTERN.match(doi):
            raise ValidationError({"doi": _("Enter a DOI such as 10.1016/j.wasman.2010.01.001.")})
        if self.url and not self.url.lower().startswith(("http://", "https://")):
            raise ValidationError({"url": _("Enter an http:// or https:// address.")})


class ActionStep(models.Model):
    """One concrete measure, in order; together the steps are the practice's action list."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    duration = models.CharField(
        _("duration"), max_length=100, blank=True, help_text=_("For example: 6 months.")
    )
    responsible = models.CharField(
        _("responsible"), max_length=200, blank=True, help_text=_("Who carried it out.")
    )
    evidence = models.ManyToManyField(
        Evidence,
        verbose_name=_("evidence"),
        related_name="steps",
        blank=True,
        help_text=_("The practice's own evidence this step rests on."),
    )

    class Meta:
        verbose_name = _("action step")
        verbose_name_plural = _("action steps")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class Outcome(models.Model):
    """A measured result: an indicator, its baseline and the result reached."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="outcomes")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    indicator = models.CharField(_("indicator"), max_length=200)
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    result = models.FloatField(_("result"), null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, validators=YEAR_VALIDATORS
    )

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.indicator


class Lesson(models.Model):
    """A challenge or a mistake, told honestly so that other cities can avoid it."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    what_went_wrong = models.TextField(
        _("what went wrong"),
    )
    do_differently = models.TextField(_("what they would do differently"), blank=True)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.what_went_wrong[:80]


class StatusChange(models.Model):
    """Who moved a practice through the curation workflow, when, and why."""

    practice = models.ForeignKey(
        BestPractice, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(
        _("from status"), max_length=10, choices=BestPractice.Status.choices
    )
    to_status = models.CharField(_("to status"), max_length=10, choices=BestPractice.Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.practice}: {self.from_status} → {self.to_status}"


class PracticeRevision(models.Model):
    """A snapshot of a practice and its steps, evidence, outcomes and lessons after a change."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(
        _("number"),
    )
    snapshot = models.JSONField()
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "number"], name="unique_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.practice} r{self.number}"
