"""Admin of cooperation: programmes and their members (editable), partnerships, projects and
messages (readable, with the few edits that keep the history right).

Status moves, ledger entries and answers to messages go through the pages and the API, which
apply the rules and record who did what; the admin shows them.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from bestpractices.models import BestPractice

from .models import (
    ExpressionOfInterest,
    LedgerEntry,
    Milestone,
    Partnership,
    PartnershipEvent,
    PartnershipOrganization,
    Programme,
    ProgrammeMembership,
    Project,
    ProjectFigure,
    StepProposal,
)
from .services import details, programmes
from .services.history import describe


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = (
            "name",
            "slug",
            "organization",
            "description",
            "policy_areas",
            "funding_usd",
            "funding_note",
            "min_population",
            "countries",
            "min_cofunding_usd",
            "requires_adopted_plan",
        )

    def clean_countries(self):
        from cities.countries import COUNTRY_NAMES

        countries = self.cleaned_data["countries"]
        if not isinstance(countries, list) or not all(isinstance(c, str) for c in countries):
            raise ValidationError(_('Give a list of ISO 3166-1 alpha-2 codes, e.g. ["ID", "VN"].'))
        unknown = [code for code in countries if code not in COUNTRY_NAMES]
        if unknown:
            raise ValidationError(
                _("Unknown country codes: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        return countries


class MembershipInline(admin.TabularInline):
    model = ProgrammeMembership
    extra = 0
    autocomplete_fields = ("city",)
    fields = ("city", "status", "has_adopted_plan", "plan_title", "applied_by", "created_at")
    readonly_fields = ("applied_by", "created_at")


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = ProgrammeForm
    list_display = ("name", "organization", "min_population", "min_cofunding_usd", "members")
    search_fields = ("name", "organization__name")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("policy_areas",)
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization")

    @admin.display(description=gettext_lazy("members"))
    def members(self, programme: Programme) -> int:
        return programme.memberships.filter(status=ProgrammeMembership.Status.MEMBER).count()


@admin.register(ProgrammeMembership)
class ProgrammeMembershipAdmin(admin.ModelAdmin):
    list_display = ("city", "programme", "status", "has_adopted_plan", "plan_title", "created_at")
    list_filter = ("status", "programme")
    search_fields = ("city__name", "programme__name")
    autocomplete_fields = ("city",)
    actions = ["admit_selected"]

    @admin.action(description=gettext_lazy("Admit the selected applications"))
    def admit_selected(self, request, queryset) -> None:
        admitted = 0
        for membership in queryset.select_related("city", "programme"):
            if membership.status != ProgrammeMembership.Status.MEMBER:
                programmes.admit(user=request.user, membership=membership)
                admitted += 1
        self.message_user(
            request,
            ngettext("%(count)d city admitted.", "%(count)d cities admitted.", admitted)
            % {"count": admitted},
        )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OrganizationLinkInline(ReadOnlyInline):
    model = PartnershipOrganization
    fields = ("organization", "role", "note")


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ("occurred_on", "city", "direction", "kind", "amount", "unit", "description")


class EventInline(ReadOnlyInline):
    model = PartnershipEvent
    fields = ("created_at", "user", "action", "from_status", "to_status", "what_happened", "note")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("what happened"))
    def what_happened(self, event: PartnershipEvent) -> str:
        return describe(event)


class StepInline(ReadOnlyInline):
    """Steps one city proposed and the other confirmed, declined or left waiting."""

    model = StepProposal
    fk_name = "partnership"
    fields = (
        "created_at",
        "to_status",
        "proposed_for_city",
        "proposed_by",
        "state",
        "decided_by",
        "override",
        "reason",
    )
    readonly_fields = fields


class PartnershipForm(forms.ModelForm):
    class Meta:
        model = Partnership
        fields = ("reasons", "policy_areas", "review_on", "programme")


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    """Details are edited through the service (so the history records it); the status moves
    on the partnership's page or over the API."""

    form = PartnershipForm
    list_display = ("__str__", "kind", "status", "programme", "review_on", "updated_at")
    list_filter = ("status", "kind", "programme")
    search_fields = ("donor__name", "recipient__name")
    readonly_fields = (
        "donor",
        "recipient",
        "kind",
        "status",
        "status_reason",
        "outcome",
        "agreed_on",
        "match_ref",
        "match_snapshot",
        "created_by",
        "created_at",
    )
    fields = (*readonly_fields[:8], "reasons", "policy_areas", "review_on", "programme",
              "match_snapshot", "created_by", "created_at")  # fmt: skip
    filter_horizontal = ("policy_areas",)
    inlines = [OrganizationLinkInline, LedgerInline, StepInline, EventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("donor", "recipient", "programme")

    def has_add_permission(self, request) -> bool:
        # A partnership starts from its cities (a match page, the API), by their editors.
        return False

    def save_model(self, request, obj, form, change) -> None:
        try:
            details.update_partnership(
                user=request.user,
                partnership=obj,
                policy_areas=form.cleaned_data["policy_areas"],
                reasons=form.cleaned_data["reasons"],
                review_on=form.cleaned_data["review_on"],
                programme=form.cleaned_data["programme"],
            )
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))

    def save_related(self, request, form, formsets, change) -> None:
        # The service saved the policy areas (no form.save_m2m()); the inlines are read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class FigureInline(admin.TabularInline):
    model = ProjectFigure
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("title", "partnership", "policy_area", "status", "budget_usd")
    list_filter = ("status", "policy_area")
    search_fields = ("title", "partnership__donor__name", "partnership__recipient__name")
    raw_id_fields = ("partnership", "practice", "practice_draft")
    inlines = [MilestoneInline, FigureInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "practice":
            kwargs["queryset"] = BestPractice.objects.published()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ExpressionOfInterest)
class ExpressionOfInterestAdmin(admin.ModelAdmin):
    list_display = ("from_city", "to_city", "status", "created_at", "answered_at")
    list_filter = ("status",)
    search_fields = ("from_city__name", "to_city__name", "message")
    readonly_fields = [field.name for field in ExpressionOfInterest._meta.fields] + ["policy_areas"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ("partnership", "city", "direction", "kind", "amount", "unit", "occurred_on")
    list_filter = ("direction", "kind")
    search_fields = ("description", "city__name")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
