"""Admin of matching: scoring profiles (editable), runs and matches (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import COMPONENTS, Match, MatchRun, ScoringProfile


class ScoringProfileForm(forms.ModelForm):
    class Meta:
        model = ScoringProfile
        fields = (
            "name",
            "is_default",
            *(f"weight_{name}" for name in COMPONENTS),
            "size_sigma",
            "default_cost_usd",
            "top_k",
        )

    def _get_validation_exclusions(self):
        # Saving takes the default flag from the previous default (services.save_profile), so
        # the "one default" constraint holds after the save even though it fails before it.
        exclude = super()._get_validation_exclusions()
        exclude.add("is_default")
        return exclude

    def clean(self):
        cleaned = super().clean()
        profile = self.instance
        for name, value in cleaned.items():
            setattr(profile, name, value)
        services.validate_profile(profile)
        return cleaned


@admin.register(ScoringProfile)
class ScoringProfileAdmin(admin.ModelAdmin):
    form = ScoringProfileForm
    list_display = ("name", "is_default", *(f"weight_{name}" for name in COMPONENTS), "top_k")
    fieldsets = (
        (None, {"fields": ("name", "is_default")}),
        ("Weights", {"fields": tuple(f"weight_{name}" for name in COMPONENTS)}),
        ("Constants", {"fields": ("size_sigma", "default_cost_usd", "top_k")}),
    )
    actions = ["start_run_with_profile"]

    def save_model(self, request, obj, form, change) -> None:
        services.save_profile(profile=obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # The default profile is what every run and on-the-fly score starts from.
        return super().has_delete_permission(request, obj) and not (obj and obj.is_default)

    @admin.action(description=_("Start a scoring run with the selected profile"))
    def start_run_with_profile(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one profile."), messages.ERROR)
            return
        _start_run(self, request, profile=queryset.get())


def _start_run(model_admin, request: HttpRequest, profile: ScoringProfile | None = None) -> None:
    try:
        run = services.start_run(trigger=MatchRun.Trigger.ADMIN, user=request.user, profile=profile)
    except services.RunInProgress as exc:
        model_admin.message_user(request, str(exc), messages.WARNING)
        return
    model_admin.message_user(
        request, gettext("Run %(run)s queued.") % {"run": run.pk}, messages.SUCCESS
    )


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "progress_percent",
        "trigger",
        "is_active",
        "cities",
        "matches_stored",
        "duration",
        "created_at",
        "created_by",
    )
    list_filter = ("status", "trigger", "is_active")
    list_select_related = ("created_by", "profile")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in MatchRun._meta.fields if field.name != "id"] + [
        "duration"
    ]
    change_list_template = "admin/matching/matchrun/change_list.html"

    @admin.display(description=_("progress"), ordering="progress")
    def progress_percent(self, run: MatchRun) -> str:
        return f"{run.progress} %"

    @admin.display(description=_("duration (s)"))
    def duration(self, run: MatchRun) -> float | None:
        return run.duration_s

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # The active run is what every reader sees, and a run in progress is being written.
        if obj is not None and (obj.is_active or obj.in_progress):
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self):
        start = path(
            "start/",
            self.admin_site.admin_view(self.start_view),
            name="matching_matchrun_start",
        )
        return [start, *super().get_urls()]

    def start_view(self, request: HttpRequest):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("matching.add_matchrun") and not request.user.is_superuser:
            self.message_user(request, gettext("You may not start runs."), messages.ERROR)
        else:
            _start_run(self, request)
        return HttpResponseRedirect(reverse("admin:matching_matchrun_changelist"))


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("id", "run", "donor", "recipient", "score", "donor_rank", "recipient_rank")
    # Runs are few (the last three are kept); listing them all is cheaper than finding the
    # distinct runs of a million matches.
    list_filter = ("run", "existing_partnership")
    list_select_related = ("run", "donor", "recipient")
    search_fields = ("donor__name", "recipient__name")
    # Counting a million matches for "N total" on every page costs more than the page itself.
    show_full_result_count = False
    readonly_fields = [field.name for field in Match._meta.fields if field.name != "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("donor__sources", "recipient__sources")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
