"""City profiles, the taxonomies they are described with, and the organizations that support them.

The profile's fields take their labels, help and limits from ``cities.profile``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .countries import COUNTRIES, REGIONS, region_of
from .languages import normalise_languages
from .profile import (
    ABSORPTIVE_CAPACITY_MAX,
    EXPERTISE_LABELS,
    FIELD,
    LEVEL_MAX,
    LEVEL_MIN,
    NEED_LABELS,
    SHARE_MAX,
    level_words,
    validate_finite,
)
from .profile import Role as ProfileRole
from .querysets import CityQuerySet, OrganizationQuerySet
from .validation import clean_profile

language_code_validator = RegexValidator(
    r"^[a-z]{2}$", _("Use a two-letter ISO 639-1 code in lower case, such as 'en'.")
)
# The level scale of expertise and needs (SCORING.md's E and N).
LEVEL_VALIDATORS = [MinValueValidator(LEVEL_MIN), MaxValueValidator(LEVEL_MAX)]


def _described(name: str) -> dict[str, Any]:
    """The label, help and validators of a profile field, as model field options."""
    field = FIELD[name]
    return {
        "verbose_name": field.label,
        "help_text": field.help_text,
        "validators": field.validators(),
    }


class PolicyArea(models.Model):
    """A field of municipal policy in which cities cooperate (waste, air, water…)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    sdg_targets = models.JSONField(
        _("SDG targets"), default=list, blank=True, help_text=_('UN SDG targets, e.g. ["11.6"].')
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order in lists and in scoring.")
    )

    class Meta:
        verbose_name = _("policy area")
        verbose_name_plural = _("policy areas")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Sector(models.Model):
    """An ISIC Rev.4 section (A–U)."""

    code = models.CharField(
        _("code"), max_length=1, unique=True, validators=[RegexValidator(r"^[A-U]$")]
    )
    name = models.CharField(_("name"), max_length=200)
    relevant_areas: models.ManyToManyField[PolicyArea, SectorRelevance] = models.ManyToManyField(
        PolicyArea,
        through="SectorRelevance",
        related_name="relevant_sectors",
        blank=True,
    )

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"


class SectorRelevance(models.Model):
    """One cell of the 0/1 sector→policy-area table R of the scoring model (a row means 1)."""

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="relevances")
    policy_area = models.ForeignKey(PolicyArea, on_delete=models.CASCADE, related_name="relevances")

    class Meta:
        ordering = ["sector__code", "policy_area__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sector", "policy_area"], name="unique_sector_relevance"
            )
        ]
        verbose_name = _("sector relevance")

    def __str__(self) -> str:
        return f"{self.sector.code} → {self.policy_area.code}"


class City(models.Model):
    Role = ProfileRole

    name = models.CharField(max_length=FIELD["name"].max_length, **_described("name"))
    slug = models.SlugField(max_length=220, unique=True)
    country = models.CharField(max_length=2, choices=COUNTRIES, **_described("country"))
    region = models.CharField(
        _("region"), max_length=2, choices=REGIONS, editable=False, db_index=True
    )
    latitude = models.FloatField(**_described("latitude"))
    longitude = models.FloatField(**_described("longitude"))
    population = models.PositiveBigIntegerField(**_described("population"))
    role = models.CharField(
        max_length=10, choices=Role.choices, default=Role.BOTH, **_described("role")
    )
    languages = models.JSONField(default=list, blank=True, **_described("languages"))
    has_international_department = models.BooleanField(
        default=False, **_described("has_international_department")
    )
    international_staff = models.PositiveIntegerField(
        default=0, **_described("international_staff")
    )
    years_of_cooperation = models.PositiveIntegerField(
        default=0, **_described("years_of_cooperation")
    )
    absorptive_capacity = models.PositiveSmallIntegerField(
        default=0, **_described("absorptive_capacity")
    )
    cooperation_budget_usd = models.PositiveBigIntegerField(
        default=0, **_described("cooperation_budget_usd")
    )
    cofunding_usd = models.PositiveBigIntegerField(default=0, **_described("cofunding_usd"))
    is_synthetic = models.BooleanField(default=False, **_described("is_synthetic"))
    geonames_id = models.PositiveIntegerField(
        null=True, blank=True, unique=True, **_described("geonames_id")
    )
    sources = models.TextField(blank=True, **_described("sources"))
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="edited_cities",
        blank=True,
        verbose_name=_("editors"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CityQuerySet.as_manager()

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name", "country"]
        constraints = [
            models.UniqueConstraint(fields=["name", "country"], name="unique_city_name_country"),
            models.CheckConstraint(condition=Q(population__gt=0), name="city_population_positive"),
            models.CheckConstraint(
                condition=Q(
                    latitude__gte=FIELD["latitude"].minimum,
                    latitude__lte=FIELD["latitude"].maximum,
                ),
                name="city_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    longitude__gte=FIELD["longitude"].minimum,
                    longitude__lte=FIELD["longitude"].maximum,
                ),
                name="city_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(absorptive_capacity__lte=ABSORPTIVE_CAPACITY_MAX),
                name="city_absorptive_capacity_range",
            ),
            models.CheckConstraint(
                condition=Q(role__in=ProfileRole.values), name="city_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["country"]), models.Index(fields=["population"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The region always follows the country, so the two can never disagree.
        self.region = region_of(self.country)
        if self.languages and all(isinstance(code, str) for code in self.languages):
            self.languages = normalise_languages(self.languages)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("city-detail", kwargs={"slug": self.slug})

    @property
    def is_donor(self) -> bool:
        return self.role in {self.Role.DONOR, self.Role.BOTH}

    @property
    def is_recipient(self) -> bool:
        return self.role in {self.Role.RECIPIENT, self.Role.BOTH}

    def clean(self) -> None:
        super().clean()
        # Imports match cities by exact name, so no stored name carries stray spaces.
        if isinstance(self.name, str):
            self.name = self.name.strip()
        # The one rule of the profile that no column type expresses: real ISO 639-1 codes.
        self.languages = clean_profile({"languages": self.languages})["languages"]


class CityAreaLevel(models.Model):
    """What a city offers (expertise) and needs in one policy area, each 0–3."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="area_levels")
    policy_area = models.ForeignKey(
        PolicyArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("policy area")
    )
    expertise = models.PositiveSmallIntegerField(
        _("expertise"),
        default=0,
        validators=LEVEL_VALIDATORS,
        help_text=format_lazy("{}.", level_words(EXPERTISE_LABELS)),
    )
    need = models.PositiveSmallIntegerField(
        _("need"),
        default=0,
        validators=LEVEL_VALIDATORS,
        help_text=format_lazy("{}.", level_words(NEED_LABELS)),
    )

    class Meta:
        ordering = ["policy_area__position"]
        constraints = [
            models.UniqueConstraint(fields=["city", "policy_area"], name="unique_city_area_level"),
            models.CheckConstraint(
                condition=Q(expertise__lte=LEVEL_MAX), name="area_expertise_range"
            ),
            models.CheckConstraint(condition=Q(need__lte=LEVEL_MAX), name="area_need_range"),
        ]
        verbose_name = _("expertise and need")
        verbose_name_plural = _("expertise and needs")

    def __str__(self) -> str:
        return f"{self.city}: {self.policy_area.code} E{self.expertise} N{self.need}"


class CitySector(models.Model):
    """The share of one ISIC section in a city's economy (shares are normalised in scoring)."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="sector_shares")
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, related_name="+", verbose_name=_("sector")
    )
    share = models.FloatField(
        _("share"),
        validators=[
            validate_finite,
            MinValueValidator(0),
            MaxValueValidator(SHARE_MAX),
        ],
    )

    class Meta:
        verbose_name = _("sector share")
        verbose_name_plural = _("sector shares")
        ordering = ["sector__code"]
        constraints = [
            models.UniqueConstraint(fields=["city", "sector"], name="unique_city_sector"),
            models.CheckConstraint(condition=Q(share__gte=0), name="city_sector_share_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.city}: {self.sector.code} {self.share:g}"


class Organization(models.Model):
    """An agency, bank, network, NGO, company or university that supports city cooperation."""

    class Kind(models.TextChoices):
        NATIONAL_AGENCY = "national_agency", _("National development agency")
        MULTILATERAL_BANK = "multilateral_bank", _("Multilateral development bank")
        CITY_NETWORK = "city_network", _("City network")
        NGO = "ngo", _("NGO")
        COMPANY = "company", _("Company")
        UNIVERSITY = "university", _("University or research institute")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(max_length=220, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    countries = models.JSONField(
        _("countries"),
        default=list,
        blank=True,
        help_text=_(
            "ISO 3166-1 alpha-2 codes of the countries it supports; empty means worldwide."
        ),
    )
    policy_areas = models.ManyToManyField(PolicyArea, related_name="organizations", blank=True)
    # Staff of the organization: they read the details (reasons, ledger, projects' funding,
    # notes) of the partnerships it is recorded as supporting.
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="organizations",
        blank=True,
        help_text=_("Users who work for this organization."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        known = {code for code, _name in COUNTRIES}
        if not isinstance(self.countries, list) or not all(
            isinstance(code, str) for code in self.countries
        ):
            raise ValidationError({"countries": _("Give a list of ISO 3166-1 alpha-2 codes.")})
        unknown = [code for code in self.countries if code not in known]
        if unknown:
            raise ValidationError(
                {
                    "countries": _("Unknown country codes: %(codes)s.")
                    % {"codes": ", ".join(unknown)}
                }
            )

    def covers_country(self, country: str) -> bool:
        return not self.countries or country in self.countries


class UserPreferences(models.Model):
    """What a person chose for themselves; one row per user, made on their first choice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the pages; empty follows the browser."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("user preferences")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return str(self.user)
