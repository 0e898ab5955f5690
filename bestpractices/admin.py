"""The catalogue in the admin site: curators edit practices and publish or archive in bulk.

Status moves go through the services (checklist, history, scoring news); a save in the admin
is recorded as a revision like any other change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import ManyToManyField, QuerySet
from django.forms import ModelForm, ModelMultipleChoiceField
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    ActionStep,
    BestPractice,
    Evidence,
    Lesson,
    Outcome,
    PracticePartner,
    PracticeRevision,
    StatusChange,
)
from .querysets import BestPracticeQuerySet


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["position", "title", "doi", "url", "year", "kind"]


class ActionStepInline(admin.StackedInline):
    model = ActionStep
    extra = 0
    fields = ["position", "title", "detail", "duration", "responsible", "evidence"]
    filter_horizontal = ["evidence"]

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        # A step cites its own practice's evidence only (none while the practice is new).
        if db_field.name == "evidence":
            url = request.resolver_match
            practice_id = url.kwargs.get("object_id") if url is not None else None
            kwargs["queryset"] = Evidence.objects.filter(practice_id=practice_id or 0)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 0
    fields = ["position", "indicator", "baseline", "result", "unit", "year"]


class LessonInline(admin.StackedInline):
    model = Lesson
    extra = 0
    fields = ["position", "what_went_wrong", "do_differently"]


class PartnerInline(admin.TabularInline):
    model = PracticePartner
    extra = 0
    autocomplete_fields = ["organization"]


HISTORY_COLUMNS = ("created_at", "from_status", "to_status", "user", "comment")


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = HISTORY_COLUMNS
    readonly_fields = HISTORY_COLUMNS
    verbose_name_plural = _("curation history")

    def has_add_permission(self, request: HttpRequest, obj: BestPractice | None = None) -> bool:
        return False


def _run_workflow(
    modeladmin: admin.ModelAdmin[BestPractice],
    request: HttpRequest,
    queryset: QuerySet[BestPractice],
    step: services.WorkflowStep,
    done: Callable[[int], str],
) -> None:
    """One service call per practice; a refusal names the practice and the reason. Scoring
    hears once about all the cities."""
    succeeded = 0
    with services.announcing_once():
        for practice in queryset:
            try:
                step(practice=practice, user=request.user, comment="")
            except (services.WorkflowError, PermissionDenied) as exc:
                reason = exc.message if isinstance(exc, services.WorkflowError) else str(exc)
                modeladmin.message_user(
                    request,
                    gettext("“%(practice)s”: %(reason)s")
                    % {"practice": practice, "reason": reason},
                    messages.ERROR,
                )
            else:
                succeeded += 1
        if succeeded:
            modeladmin.message_user(request, done(succeeded), messages.SUCCESS)


def _published(count: int) -> str:
    return gettext("Published: %(count)s.") % {"count": count}


def _archived(count: int) -> str:
    return gettext("Archived: %(count)s.") % {"count": count}


@admin.register(BestPractice)
class BestPracticeAdmin(admin.ModelAdmin):
    list_display = ["title", "city", "status", "scale", "author", "updated_at"]
    list_filter = ["status", "scale", "policy_areas"]
    # The list reads through BestPractice.objects.for_admin_list() (get_queryset below); an
    # empty tuple keeps the admin from adding joins of its own.
    list_select_related = ()
    search_fields = ["title", "summary", "city__name"]
    autocomplete_fields = ["city"]
    filter_horizontal = ["policy_areas", "sectors"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["status", "author", "published_at", "revisions_link"]
    inlines = [
        ActionStepInline,
        EvidenceInline,
        OutcomeInline,
        LessonInline,
        PartnerInline,
        StatusChangeInline,
    ]
    actions = ["publish_selected", "archive_selected"]

    def get_queryset(self, request: HttpRequest) -> BestPracticeQuerySet:
        # Made for the change list; the change page and the bulk actions read through it too,
        # which costs them nothing but the two joins.
        return BestPractice.objects.for_admin_list()

    @admin.display(description=_("Revisions"))
    def revisions_link(self, obj: BestPractice) -> str:
        if not obj.pk:
            return "—"
        url = reverse("practice-revisions", args=[obj.slug])
        count = obj.revisions.count()
        words = ngettext(
            "%(count)s revision: compare and restore",
            "%(count)s revisions: compare and restore",
            count,
        ) % {"count": count}
        return format_html('<a href="{}">{}</a>', url, words)

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        # The change is recorded here, once the rows of the inlines are saved too. The form's
        # initial data still holds the city the practice had before.
        super().save_related(request, form, formsets, change)
        services.record_admin_save(
            practice=form.instance,
            user=request.user,
            created=not change,
            old_city_id=form.initial.get("city") if change else None,
        )

    @admin.action(description=_("Publish selected practices (checklist must be complete)"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[BestPractice]) -> None:
        _run_workflow(self, request, queryset, services.publish_practice, _published)

    @admin.action(description=_("Archive selected practices"))
    def archive_selected(self, request: HttpRequest, queryset: QuerySet[BestPractice]) -> None:
        _run_workflow(self, request, queryset, services.archive_practice, _archived)


@admin.register(PracticeRevision)
class PracticeRevisionAdmin(admin.ModelAdmin):
    list_display = ["practice", "number", "summary", "author", "created_at"]
    list_select_related = ["practice", "author"]
    search_fields = ["practice__title", "summary"]
    readonly_fields = ["practice", "number", "summary", "author", "created_at", "snapshot"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PracticeRevision | None = None
    ) -> bool:
        return False
