"""Scoring runs: the list, a run's live progress, and starting a run."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cities.permissions import is_agency
from toolkit.pages import paginate

from .. import services
from ..models import MatchRun


def _runs_page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    runs = MatchRun.objects.select_related("created_by").defer("weights")
    ctx = {"can_start": is_agency(request.user), **paginate(request, runs)}
    return render(request, "matching/run_list.html", ctx, status=status)


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    return _runs_page(request)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(MatchRun.objects.select_related("created_by", "profile"), pk=pk)
    ctx = {
        "run": run,
        "failure": services.describe_failure(run),
        "can_start": is_agency(request.user),
    }
    return render(request, "matching/run_detail.html", ctx)


@login_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    if not is_agency(request.user):
        raise PermissionDenied(_("Only administrators and agency users may start a run."))
    try:
        run = services.start_run(trigger=MatchRun.Trigger.ADMIN, user=request.user)
    except services.RunInProgress as exc:
        if exc.run is not None:
            message = _(
                "Run %(run)s is already queued or running: wait for it to finish, then start again."
            ) % {"run": exc.run.pk}
        else:
            message = _(
                "Another run is already queued or running: wait for it to finish, then start again."
            )
        messages.error(request, message)
        return _runs_page(request, status=409)
    messages.success(request, _("Run %(run)s started.") % {"run": run.pk})
    return redirect(run)
