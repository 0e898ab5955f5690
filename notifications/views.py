"""The inbox: every notification of the signed-in user, and their e-mail choices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import services
from .forms import PreferencesForm
from .models import Notification

PAGE_SIZE = 30


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(recipient_id=request.user.pk)
    if request.GET.get("show") == "unread":
        rows = rows.unread()
    page = Paginator(rows.only(*LIST_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number),
        "notifications": page.object_list,
        "show": request.GET.get("show"),
    }
    return render(request, "notifications/inbox.html", ctx)


LIST_FIELDS = ("id", "kind", "title", "body", "url", "read_at", "created_at", "recipient_id")


@login_required
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark it read and go to what it is about."""
    notification = get_object_or_404(Notification, pk=pk, recipient_id=request.user.pk)
    services.mark_read(user=request.user, ids=[notification.pk])
    safe = url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None)
    return redirect(notification.url if notification.url and safe else "notification-inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_read(user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)s notification marked read.", "%(count)s notifications marked read.", count
        )
        % {"count": count},
    )
    return redirect("notification-inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    current = services.preferences_of(request.user)
    form = PreferencesForm(request.POST or None, initial_choices=current)
    if request.method == "POST" and form.is_valid():
        services.set_preferences(user=request.user, choices=form.cleaned_data)
        messages.success(request, _("Your e-mail choices are saved."))
        return redirect("notification-preferences")
    ctx = {"form": form, "email": getattr(request.user, "email", "")}
    return render(request, "notifications/preferences.html", ctx)
