"""Catalogue pages: the list, a practice, the submit/edit form, curation and revisions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_filters.widgets import BooleanWidget

from cities.countries import country_choices
from cities.models import City
from cities.permissions import is_curator

from . import services
from .filtersets import BestPracticeFilterSet
from .forms import PracticeForms
from .models import BestPractice, PracticeRevision
from .permissions import can_edit, can_view
from .querysets import cities_that_could_use, similar_practices
from .revisions import diff_snapshots

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 20
WORKFLOW_ACTIONS: dict[str, tuple[services.WorkflowStep, StrOrPromise]] = {
    "submit": (services.submit_practice, _("Submitted: the curators will review it.")),
    "publish": (services.publish_practice, _("Published: it is public and counts in scoring.")),
    "send_back": (services.send_back_practice, _("Sent back to its author as a draft.")),
    "archive": (services.archive_practice, _("Archived: it no longer shows or counts.")),
}


def _visible_practice(
    request: HttpRequest, slug: str, queryset: QuerySet[BestPractice] | None = None
) -> BestPractice:
    """The practice, or a 404 for anyone who may not see it (drafts stay unknown)."""
    practice = get_object_or_404(
        BestPractice.objects.all() if queryset is None else queryset, slug=slug
    )
    if not can_view(request.user, practice):
        raise Http404(gettext("No such practice."))
    return practice


# On the page, a select speaks for itself; the API-oriented help stays in the API schema.
PAGE_HELP = {
    "q": None,
    "cost_max": _("The amount, or the middle of the cost range."),
    "status": _("Without it, published practices. Others: your own practices (curators: all)."),
}


# The sort options in words (the API's ``ordering`` keeps its field names).
SORT_WORDS = [
    ("", _("Best match, else title")),
    ("title", _("Title, A to Z")),
    ("-published_at", _("Newest first")),
    ("-updated_at", _("Recently changed")),
    ("-start_year", _("Most recent start")),
    ("cost", _("Lowest cost first")),
    ("-cost", _("Highest cost first")),
    ("-co2_avoided", _("Most CO₂ avoided")),
    ("-energy_saved", _("Most energy saved")),
    ("-waste_diverted", _("Most waste diverted")),
    ("-people_served", _("Most people served")),
    ("-jobs_created", _("Most jobs created")),
]


def _filter_form(filterset: BestPracticeFilterSet) -> forms.Form:
    """The FilterSet's form, worded for people (the API reads the same fields): countries
    that have published practices only, sort options in words."""
    fields = filterset.form.fields
    countries = BestPractice.objects.published().order_by().values_list("city__country")
    for name, choices in (
        ("country", country_choices(code for (code,) in countries.distinct())),
        ("ordering", SORT_WORDS),
    ):
        field = cast(forms.ChoiceField, fields[name])
        # django-filter adds its own blank choice unless told not to: these carry theirs.
        field.empty_label = None  # type: ignore[attr-defined]
        field.choices = choices
    for name, field in filterset.form.fields.items():
        if isinstance(field.widget, BooleanWidget):
            field.widget.choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        elif isinstance(field, forms.ModelChoiceField):
            field.empty_label = _("Any")
        elif isinstance(field, forms.ChoiceField) and name not in ("country", "ordering"):
            # django-filter wrote its blank choice into the list when the field was made.
            field.empty_label = None  # type: ignore[attr-defined]
            pairs = cast("Iterable[tuple[Any, Any]]", field.choices)
            field.choices = [("", _("Any")), *((key, label) for key, label in pairs if key != "")]
        if name in PAGE_HELP:
            field.help_text = PAGE_HELP[name] or field.help_text
        else:
            field.help_text = ""
    return filterset.form


def practice_list(request: HttpRequest) -> HttpResponse:
    filterset = BestPracticeFilterSet(
        request.GET, queryset=BestPractice.objects.for_cards(), request=request
    )
    # Worded before validation: a validated form keeps the help and choices it was read with.
    form = _filter_form(filterset)
    valid = filterset.is_valid()
    page = Paginator(filterset.qs if valid else BestPractice.objects.none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    city_id = filterset.form.cleaned_data.get("city") if valid else None
    ctx = {
        "form": form,
        "city": City.objects.filter(pk=city_id).only("name", "country").first()
        if city_id
        else None,
        "filters_valid": valid,
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
        "page": page,
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_ends=1)),
        "is_curator": is_curator(request.user),
    }
    return render(request, "bestpractices/practice_list.html", ctx)


def practice_detail(request: HttpRequest, slug: str) -> HttpResponse:
    practice = _visible_practice(request, slug, BestPractice.objects.for_list())
    may_curate = is_curator(request.user)
    is_author = request.user.is_authenticated and practice.author_id == request.user.pk
    ctx = {
        "practice": practice,
        "similar": similar_practices(practice),
        "could_use": cities_that_could_use(practice),
        "can_edit": can_edit(request.user, practice),
        "is_curator": may_curate,
        "is_author": is_author,
        "checklist": services.checklist(practice) if may_curate or is_author else None,
        "who_may_publish": services.who_may_publish(practice, request.user),
        "is_admin": request.user.is_staff,
        "history": practice.status_changes.select_related("user")[:10] if may_curate else (),
    }
    return render(request, "bestpractices/practice_detail.html", ctx)


@login_required
def practice_create(request: HttpRequest) -> HttpResponse:
    bundle = PracticeForms(
        request.POST or None, user=request.user, city_slug=request.GET.get("city")
    )
    if request.method == "POST" and bundle.is_valid():
        try:
            practice = services.create_practice(user=request.user, content=bundle.content())
        except ValidationError as error:
            bundle.add_service_errors(error)
        else:
            messages.success(
                request, gettext("Saved as a draft. Submit it when it is ready for review.")
            )
            return redirect(practice)
    return render(request, "bestpractices/practice_form.html", {"forms": bundle, "practice": None})


@login_required
def practice_edit(request: HttpRequest, slug: str) -> HttpResponse:
    practice = _visible_practice(request, slug)
    if not can_edit(request.user, practice):
        raise PermissionDenied(gettext("Only its author (while a draft) and curators may edit it."))
    bundle = PracticeForms(request.POST or None, user=request.user, practice=practice)
    if request.method == "POST" and bundle.is_valid():
        try:
            services.update_practice(practice=practice, user=request.user, content=bundle.content())
        except ValidationError as error:
            bundle.add_service_errors(error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect(practice)
    ctx = {"forms": bundle, "practice": practice}
    return render(request, "bestpractices/practice_form.html", ctx)


@login_required
def practice_delete(request: HttpRequest, slug: str) -> HttpResponse:
    practice = _visible_practice(request, slug)
    if not can_edit(request.user, practice):
        raise PermissionDenied(
            gettext("Only its author (while a draft) and curators may delete it.")
        )
    if request.method == "POST":
        services.delete_practice(practice=practice, user=request.user)
        messages.success(request, gettext("“%(title)s” was deleted.") % {"title": practice.title})
        return redirect("practice-list")
    return render(request, "bestpractices/practice_delete.html", {"practice": practice})


@require_POST
@login_required
def practice_workflow(request: HttpRequest, slug: str) -> HttpResponse:
    """Submit, publish, send back or archive; refusals come back as a message on the page."""
    practice = _visible_practice(request, slug)
    action, done = WORKFLOW_ACTIONS.get(request.POST.get("action", ""), (None, ""))
    if action is None:
        messages.error(request, gettext("Choose what to do with the practice."))
        return redirect(practice)
    comment = request.POST.get("comment", "")
    try:
        if action is services.publish_practice:
            override = request.POST.get("override") == "1"
            services.publish_practice(
                practice=practice, user=request.user, comment=comment, override=override
            )
        else:
            action(practice=practice, user=request.user, comment=comment)
    except services.WorkflowError as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(practice)


def _curated_practice(request: HttpRequest, slug: str) -> BestPractice:
    if not request.user.is_authenticated:
        raise PermissionDenied(gettext("Sign in as a curator."))
    if not is_curator(request.user):
        raise PermissionDenied(gettext("Only curators see revisions."))
    return get_object_or_404(BestPractice, slug=slug)


def practice_revisions(request: HttpRequest, slug: str) -> HttpResponse:
    practice = _curated_practice(request, slug)
    ctx = {
        "practice": practice,
        "revisions": practice.revisions.select_related("author").defer("snapshot"),
        "history": practice.status_changes.select_related("user"),
    }
    return render(request, "bestpractices/practice_revisions.html", ctx)


def practice_revision_compare(request: HttpRequest, slug: str) -> HttpResponse:
    """Two revisions side by side: ``?old=<number>&new=<number>`` (default: the last change)."""
    practice = _curated_practice(request, slug)
    numbers = sorted(practice.revisions.values_list("number", flat=True))
    if not numbers:
        raise Http404(gettext("This practice has no revisions."))
    new_number = _number(request.GET.get("new"), numbers[-1])
    old_number = _number(request.GET.get("old"), max([n for n in numbers if n < new_number] or [1]))
    revisions = {
        r.number: r for r in practice.revisions.filter(number__in=[old_number, new_number])
    }
    if old_number not in revisions or new_number not in revisions:
        raise Http404(gettext("No such revision."))
    old, new = revisions[old_number], revisions[new_number]
    ctx = {
        "practice": practice,
        "old": old,
        "new": new,
        "rows": diff_snapshots(old.snapshot, new.snapshot),
        "numbers": numbers,
    }
    return render(request, "bestpractices/practice_compare.html", ctx)


def _number(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() else default


@require_POST
def practice_revision_restore(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    practice = _curated_practice(request, slug)
    revision = get_object_or_404(PracticeRevision, practice=practice, number=number)
    try:
        services.restore_revision(revision=revision, user=request.user)
    except services.WorkflowError as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            gettext("Revision %(number)s restored (kept as a new revision).") % {"number": number},
        )
    return redirect("practice-revisions", slug=practice.slug)
