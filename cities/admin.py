"""Admin for the taxonomies, city profiles and organizations.

Changelists and change forms cost a fixed number of queries: list columns come from the row
itself or from one prefetch, and the select boxes of inline rows share one list of choices
per request instead of querying once per row.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from . import services
from .importing import export_cities
from .models import (
    City,
    CityAreaLevel,
    CitySector,
    Organization,
    PolicyArea,
    Sector,
    SectorRelevance,
)


class CodeListField(forms.CharField):
    """A list of short codes typed as text: ``ja, en`` ↔ ``["ja", "en"]``."""

    def __init__(self, *, upper: bool = False, lower: bool = False, **kwargs):
        self.upper, self.lower = upper, lower
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:  # type: ignore[override]  # a list, by design
        text = super().to_python(value) or ""
        codes = []
        for part in text.replace(";", ",").replace(" ", ",").split(","):
            code = part.strip()
            code = code.upper() if self.upper else code.lower() if self.lower else code
            if code and code not in codes:
                codes.append(code)
        return codes

    def has_changed(self, initial, data) -> bool:
        return self.to_python(self.prepare_value(initial)) != self.to_python(data)


class SharedChoicesMixin:
    """Inline rows render their foreign-key selects from one list of choices per request."""

    shared_choice_fields: tuple[str, ...] = ()
    # Each row shows its object's str(), which names these relations.
    related_for_str: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related_for_str)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in self.shared_choice_fields and request is not None and field:
            shared = request.__dict__.setdefault("_citymatch_admin_choices", {})
            key = (db_field.model, db_field.name)
            if key not in shared:
                # iter(): list() of the choices would first ask their len(), a COUNT query.
                shared[key] = list(iter(field.choices))
            field.choices = shared[key]
        return field


# --- Taxonomies -------------------------------------------------------------------------------


class PolicyAreaForm(forms.ModelForm):
    sdg_targets = CodeListField(help_text="UN SDG targets separated by commas, e.g. 11.6, 12.5.")

    class Meta:
        model = PolicyArea
        fields = ["code", "name", "description", "sdg_targets", "position"]


@admin.register(PolicyArea)
class PolicyAreaAdmin(admin.ModelAdmin):
    form = PolicyAreaForm
    list_display = ("code", "name", "sdg_targets_display", "position")
    list_editable = ("position",)
    search_fields = ("code", "name", "description")
    ordering = ("position", "code")

    @admin.display(description="SDG targets")
    def sdg_targets_display(self, area: PolicyArea) -> str:
        return ", ".join(area.sdg_targets or [])


class SectorRelevanceInline(SharedChoicesMixin, admin.TabularInline):
    """The row of the sector→policy-area relevance table R (SCORING.md): one line per area."""

    model = SectorRelevance
    fields = ("policy_area",)
    extra = 0
    shared_choice_fields = ("policy_area",)
    related_for_str = ("sector", "policy_area")
    verbose_name = "relevant policy area"
    verbose_name_plural = "relevant policy areas (the scoring model's table R)"


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "relevant_area_codes")
    search_fields = ("code", "name")
    inlines = [SectorRelevanceInline]

    def get_queryset(self, request: HttpRequest):
        # The relevant areas column reads one prefetch, not a query per sector.
        return super().get_queryset(request).prefetch_related("relevant_areas")

    @admin.display(description="relevant policy areas")
    def relevant_area_codes(self, sector: Sector) -> str:
        return ", ".join(area.code for area in sector.relevant_areas.all())


# --- Cities -----------------------------------------------------------------------------------


class CityAreaLevelInline(SharedChoicesMixin, admin.TabularInline):
    model = CityAreaLevel
    fields = ("policy_area", "expertise", "need")
    extra = 0
    shared_choice_fields = ("policy_area",)
    related_for_str = ("city", "policy_area")


class CitySectorInline(SharedChoicesMixin, admin.TabularInline):
    model = CitySector
    fields = ("sector", "share")
    extra = 0
    shared_choice_fields = ("sector",)
    related_for_str = ("city", "sector")
    verbose_name_plural = "sector shares (need not sum to 1)"


class CityAdminForm(forms.ModelForm):
    languages = CodeListField(
        lower=True, help_text="ISO 639-1 codes separated by commas, e.g. ja, en."
    )

    class Meta:
        model = City
        fields = [
            "name",
            "slug",
            "country",
            "role",
            "is_synthetic",
            "latitude",
            "longitude",
            "population",
            "geonames_id",
            "languages",
            "has_international_department",
            "international_staff",
            "years_of_cooperation",
            "absorptive_capacity",
            "cooperation_budget_usd",
            "cofunding_usd",
            "sources",
            "editors",
        ]


@admin.action(description="Export the selected cities as CSV (import format)")
def export_selected_cities(modeladmin, request: HttpRequest, queryset) -> HttpResponse:
    out = io.StringIO()
    export_cities(queryset, out, fmt="csv")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cities.csv"'
    return response


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    form = CityAdminForm
    list_display = (
        "name",
        "country",
        "region",
        "role",
        "population",
        "has_international_department",
        "is_synthetic",
        "updated_at",
    )
    list_filter = ("role", "region", "is_synthetic", "has_international_department", "country")
    search_fields = ("name", "=country", "=slug")
    ordering = ("name", "country")
    prepopulated_fields = {"slug": ("name", "country")}
    readonly_fields = ("region", "created_at", "updated_at")
    filter_horizontal = ("editors",)
    inlines = [CityAreaLevelInline, CitySectorInline]
    actions = [export_selected_cities]
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("name", "slug", "country", "region", "role", "is_synthetic")}),
        ("Place", {"fields": ("latitude", "longitude", "population", "geonames_id")}),
        (
            "Capacity and budget",
            {
                "fields": (
                    "languages",
                    "has_international_department",
                    "international_staff",
                    "years_of_cooperation",
                    "absorptive_capacity",
                    "cooperation_budget_usd",
                    "cofunding_usd",
                )
            },
        ),
        ("Provenance and editors", {"fields": ("sources", "editors", "created_at", "updated_at")}),
    )

    def save_related(self, request: HttpRequest, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # After the inlines, and on commit: the admin's change view is one transaction, so
        # listeners see the city with its levels and shares.
        services.notify_profiles_changed(city_ids=[form.instance.pk], trigger="admin")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    class Form(forms.ModelForm):
        countries = CodeListField(
            upper=True,
            help_text="ISO 3166-1 alpha-2 codes separated by commas; empty means worldwide.",
        )

        class Meta:
            model = Organization
            fields = [
                "name",
                "slug",
                "kind",
                "description",
                "website",
                "countries",
                "policy_areas",
            ]

    form = Form
    list_display = ("name", "kind", "countries_display", "area_codes", "website")
    list_filter = ("kind",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("policy_areas",)
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("policy_areas")

    @admin.display(description="countries")
    def countries_display(self, organization: Organization) -> str:
        return ", ".join(organization.countries) if organization.countries else "worldwide"

    @admin.display(description="policy areas")
    def area_codes(self, organization: Organization) -> str:
        return ", ".join(area.code for area in organization.policy_areas.all())
