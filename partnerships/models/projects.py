"""Projects of a partnership: their figures and milestones."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Project(models.Model):
    """One project inside a partnership: start with one or two, then scale."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    partnership = models.ForeignKey(
        "partnerships.Partnership",
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
