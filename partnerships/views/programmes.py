"""Programme pages: networks of many cities, who may join them, their pairs and partnerships."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cities.models import PolicyArea
from toolkit.pages import signed_in_user

from ..forms import ApplyForm
from ..models import Programme
from ..permissions import can_act_for
from ..services import programmes as service
from .common import run_service


def _programmes():
    return Programme.objects.select_related("organization").prefetch_related("policy_areas")


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    cities = list(signed_in_user(request).edited_cities.prefetch_related("area_levels"))
    programmes = list(_programmes())
    table = service.eligibility_table(cities, programmes)
    rows = [
        {"programme": programme, "standing": [table[city.pk][i] for city in cities]}
        for i, programme in enumerate(programmes)
    ]
    ctx = {"rows": rows, "cities": cities}
    return render(request, "partnerships/cooperation/programme_list.html", ctx)


def _page(request: HttpRequest, programme: Programme, apply_form: ApplyForm | None = None):
    cities = list(signed_in_user(request).edited_cities.prefetch_related("area_levels"))
    table = service.eligibility_table(cities, [programme])
    eligibility = [table[city.pk][0] for city in cities]
    can_apply = [e.city for e in eligibility if e.may_apply]
    ctx = {
        "programme": programme,
        "members": list(programme.memberships.select_related("city").order_by("city__name")),
        "pairs": service.suggested_pairs(programme),
        "partnerships": service.partnerships_of(programme),
        "rounds": list(programme.rounds.order_by("-opens_on", "-id")),
        "eligibility": eligibility,
        "area_names": dict(PolicyArea.objects.values_list("code", "name")),
        "apply_form": apply_form or (ApplyForm(cities=can_apply) if can_apply else None),
    }
    return render(request, "partnerships/cooperation/programme_detail.html", ctx)


@login_required
def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, get_object_or_404(_programmes(), slug=slug))


@login_required
@require_POST
def programme_apply(request: HttpRequest, slug: str) -> HttpResponse:
    programme = get_object_or_404(_programmes(), slug=slug)
    user = signed_in_user(request)
    cities = [c for c in user.edited_cities.all() if can_act_for(user, c.pk)]
    if not cities:
        raise PermissionDenied(_("Only editors of a city may apply for it."))
    form = ApplyForm(request.POST, cities=cities)
    applied = run_service(
        form,
        lambda: service.apply_to_programme(
            user=request.user, programme=programme, **form.cleaned_data
        ),
    )
    if applied is None:
        return _page(request, programme, apply_form=form)
    messages.success(
        request,
        _("%(city)s applied to %(programme)s; the programme will confirm.")
        % {"city": applied.city.name, "programme": programme.name},
    )
    return redirect(programme)
