"""Admin for the taxonomies, city profiles and organizations.

Changelists and change forms cost a fixed number of queries: list columns come from the row
itself or from one prefetch, and the select boxes of inline rows share one list of choices
per request instead of querying once per row.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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
from .profile import DERIVED_AFTER, ROW_FIELDS, Part, fields_of
from .validation import clean_profile


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
    sdg_targets = CodeListField(
        label=_("SDG targets"),
        help_text=_("UN SDG targets separated by commas, e.g. 11.6, 12.5."),
    )

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

    @admin.display(description=_("SDG targets"))
    def sdg_targets_display(self, area: PolicyArea) -> str:
        return ", ".join(area.sdg_targets or [])


class SectorRelevanceInline(SharedChoicesMixin, admin.TabularInline):
    """The row of the sector→policy-area relevance table R (SCORING.md): one line per area."""

    model = SectorRelevance
    fields = ("policy_area",)
    extra = 0
    shared_choice_fields = ("policy_area",)
    related_for_str = ("sector", "policy_area")
    verbose_name = _("relevant policy area")
    verbose_name_plural = _("relevant policy areas (the scoring model's table R)")


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "relevant_area_codes")
    search_fields = ("code", "name")
    inlines = [SectorRelevanceInline]

    def get_queryset(self, request: HttpRequest):
        # The relevant areas column reads one prefetch, not a query per sector.
        return super().get_queryset(request).prefetch_related("relevant_areas")

    @admin.display(description=_("relevant policy areas"))
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
    verbose_name_plural = _("sector shares (need not sum to 1)")


class CityAdminForm(forms.ModelForm):
    """The city row; its levels and shares are the inlines. Labels, help and limits come from
    the profile schema through the model."""

    languages = CodeListField(
        lower=True,
        label=_("Working languages"),
        help_text=_("ISO 639-1 codes separated by commas, e.g. ja, en."),
    )

    class Meta:
        model = City
        fields = ["slug", *ROW_FIELDS, "editors"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The profile's one check, here where its messages can still be shown on the form:
        # the service runs it again when it saves.
        given = {name: cleaned[name] for name in ROW_FIELDS if name in cleaned}
        try:
            cleaned.update(clean_profile(given))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field, messages)
        return cleaned


@admin.action(description=_("Export the selected cities as CSV (import format)"))
def export_selected_cities(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[City]
) -> HttpResponse:
    out = io.StringIO()
    export_cities(queryset, out, fmt="csv")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cities.csv"'
    return response


def _section(part: Part) -> tuple[str, ...]:
    """The part's fields, each followed by what is derived from it (the slug, the region)."""
    names: list[str] = []
    for name in fields_of(part):
        names += [name, DERIVED_AFTER[name]] if name in DERIVED_AFTER else [name]
    return tuple(names)


def _kept_rows(formset: BaseInlineFormSet) -> list[dict[str, Any]]:
    """The rows an inline leaves: every filled-in form that is not marked for deletion."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


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
    readonly_fields = ("region", "created_at", "updated_at")
    filter_horizontal = ("editors",)
    inlines = [CityAreaLevelInline, CitySectorInline]
    actions = [export_selected_cities]
    list_per_page = 50
    fieldsets = (
        (None, {"fields": _section(Part.IDENTITY)}),
        (Part.PLACE.title, {"fields": _section(Part.PLACE)}),
        (Part.CAPACITY.title, {"fields": _section(Part.CAPACITY)}),
        (
            _("Provenance and editors"),
            {"fields": (*_section(Part.PROVENANCE), "editors", "created_at", "updated_at")},
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: City | None = None) -> Any:
        # A new city's slug comes from its name and country when the service creates it, as
        # on every other path; an admin may still correct it afterwards.
        return self.readonly_fields if obj is not None else (*self.readonly_fields, "slug")

    def save_model(self, request: HttpRequest, obj: City, form: Any, change: bool) -> None:
        # Nothing yet: save_related saves the city with its inlines' levels and shares, in one
        # call of the service.
        pass

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Save the city, its levels and shares through the service: the profile's checks, its
        log line and the rescoring signal (sent once the admin's transaction commits)."""
        expertise: dict[str, int] = {}
        needs: dict[str, int] = {}
        sectors: dict[str, float] = {}
        for formset in formsets:
            # Not written here (the service does); this records what changed for the history.
            formset.save(commit=False)
            for row in _kept_rows(formset):
                if formset.model is CityAreaLevel:
                    expertise[row["policy_area"].code] = row["expertise"]
                    needs[row["policy_area"].code] = row["need"]
                elif formset.model is CitySector:
                    sectors[row["sector"].code] = row["share"]
        profile_fields = {name: form.cleaned_data[name] for name in ROW_FIELDS}
        arguments: dict[str, Any] = {
            "fields": profile_fields,
            "expertise": expertise,
            "needs": needs,
            "sectors": sectors,
            "user": request.user,
            "trigger": "admin",
        }
        if change:
            services.update_city_profile(city=form.instance, **arguments)
        else:
            services.create_city(city=form.instance, **arguments)
        form.save_m2m()


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    class Form(forms.ModelForm):
        countries = CodeListField(
            upper=True,
            label=_("countries"),
            help_text=_("ISO 3166-1 alpha-2 codes separated by commas; empty means worldwide."),
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
                "members",
            ]

    form = Form
    list_display = ("name", "kind", "countries_display", "area_codes", "website")
    list_filter = ("kind",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("policy_areas", "members")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("policy_areas")

    @admin.display(description=_("countries"))
    def countries_display(self, organization: Organization) -> str:
        return ", ".join(organization.countries) if organization.countries else gettext("worldwide")

    @admin.display(description=_("policy areas"))
    def area_codes(self, organization: Organization) -> str:
        return ", ".join(area.code for area in organization.policy_areas.all())
