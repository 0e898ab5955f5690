"""Project pages: add one to a partnership, its milestones and outcomes, and the catalogue draft."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms import FigureForm, MilestoneForm, ProjectForm
from ..models import Milestone, Project
from ..permissions import can_change_partnership, can_see_partnership_details
from ..services import projects as service
from .common import error_lines, get_partnership, run_service


def _project(request: HttpRequest, pk: int, *, edit: bool = False) -> Project:
    project = get_object_or_404(
        Project.objects.select_related(
            "partnership__donor",
            "partnership__recipient",
            "policy_area",
            "practice",
            "practice_draft",
        ),
        pk=pk,
    )
    if edit and not can_change_partnership(request.user, project.partnership):
        raise PermissionDenied(_("Only editors of one of the two cities and admins may change it."))
    return project


def _page(
    request: HttpRequest,
    project: Project,
    *,
    milestone_form: MilestoneForm | None = None,
    figure_form: FigureForm | None = None,
    propose_errors: list[str] | None = None,
) -> HttpResponse:
    can_change = can_change_partnership(request.user, project.partnership)
    ctx = {
        "project": project,
        "partnership": project.partnership,
        "milestones": list(project.milestones.all()),
        "figures": list(project.figures.all()),
        "can_change": can_change,
        "can_see_details": can_see_partnership_details(request.user, project.partnership),
        "milestone_form": milestone_form or MilestoneForm(),
        "figure_form": figure_form or FigureForm(),
        "propose_errors": propose_errors,
    }
    return render(request, "partnerships/cooperation/project_detail.html", ctx)


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _project(request, pk))


@login_required
def project_edit(request: HttpRequest, pk: int | None = None, partnership_pk: int | None = None):
    """New project (``partnership_pk``) or an existing one (``pk``)."""
    project = _project(request, pk, edit=True) if pk else None
    if project is not None:
        partnership = project.partnership
    elif partnership_pk is not None:
        partnership = get_partnership(partnership_pk)
    else:
        raise Http404(_("No partnership given."))
    if not can_change_partnership(request.user, partnership):
        raise PermissionDenied(_("Only editors of one of the two cities and admins may add one."))
    areas = service.area_choices_for(partnership)
    form = ProjectForm(request.POST or None, instance=project, areas=areas)
    if request.method == "POST":
        saved = run_service(
            form,
            lambda: service.save_project(
                user=request.user,
                partnership=partnership,
                project=project,
                fields={name: form.cleaned_data[name] for name in service.PROJECT_FIELDS},
            ),
        )
        if saved is not None:
            messages.success(request, _("Project “%(title)s” saved.") % {"title": saved.title})
            return redirect("project-detail", pk=saved.pk)
    ctx = {"form": form, "project": project, "partnership": partnership}
    return render(request, "partnerships/cooperation/project_form.html", ctx)


@login_required
@require_POST
def project_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, edit=True)
    form = MilestoneForm(request.POST)
    added = run_service(
        form, lambda: service.add_milestone(user=request.user, project=project, **form.cleaned_data)
    )
    if added is None:
        return _page(request, project, milestone_form=form)
    return redirect("project-detail", pk=project.pk)


@login_required
@require_POST
def milestone_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(Milestone.objects.select_related("project__partnership"), pk=pk)
    service.set_milestone_done(
        user=request.user, milestone=milestone, done=request.POST.get("done") == "true"
    )
    return redirect("project-detail", pk=milestone.project_id)


@login_required
@require_POST
def project_figure(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, edit=True)
    form = FigureForm(request.POST)
    added = run_service(
        form, lambda: service.add_figure(user=request.user, project=project, **form.cleaned_data)
    )
    if added is None:
        return _page(request, project, figure_form=form)
    return redirect("project-detail", pk=project.pk)


@login_required
@require_POST
def project_propose(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, edit=True)
    try:
        practice = service.propose_to_catalogue(user=request.user, project=project)
    except ValidationError as error:
        return _page(request, project, propose_errors=error_lines(error))
    messages.success(
        request, _("A draft practice was created from the project: complete it and submit it.")
    )
    return redirect(practice)
