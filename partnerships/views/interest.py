"""Expressions of interest: send one from a match page, answer them in the inbox."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms import DeclineForm, InterestForm
from ..models import ExpressionOfInterest
from ..permissions import can_act_for, can_answer
from ..services import interest as service
from .common import run_service
from .matches import fitting_match


@login_required
def interest_send(request: HttpRequest, donor: str, recipient: str) -> HttpResponse:
    """GET: the form on its own page; POST (also from the match page): send it."""
    match = fitting_match(donor, recipient)
    cities = [city for city in (match.donor, match.recipient) if can_act_for(request.user, city.pk)]
    if not cities:
        raise PermissionDenied(_("Only editors of one of the two cities may express interest."))
    form = InterestForm(request.POST or None, match=match, cities=cities)
    if request.method == "POST":
        sent = run_service(
            form,
            lambda: service.send_interest(
                user=request.user,
                match=match,
                from_city=form.cleaned_data["from_city"],
                message=form.cleaned_data["message"],
                policy_areas=form.cleaned_data["policy_areas"],
            ),
        )
        if sent is not None:
            messages.success(
                request, _("Message sent to %(city)s's editors.") % {"city": sent.to_city.name}
            )
            return redirect(match)
    # Messages still waiting for an answer, so the page says so instead of offering a form
    # that the service would refuse.
    waiting = list(
        ExpressionOfInterest.objects.filter(
            Q(from_city=match.donor, to_city=match.recipient)
            | Q(from_city=match.recipient, to_city=match.donor),
            from_city__in=cities,
            status=ExpressionOfInterest.Status.OPEN,
        ).select_related("from_city", "to_city")
    )
    ctx = {"match": match, "form": form, "waiting": waiting, "can_send": len(waiting) < len(cities)}
    return render(request, "partnerships/cooperation/interest_form.html", ctx)


@login_required
def interest_inbox(request: HttpRequest) -> HttpResponse:
    return _inbox(request)


def _inbox(
    request: HttpRequest, *, decline_forms: dict | None = None, problems: dict | None = None
) -> HttpResponse:
    """Messages to the user's cities (unanswered first) and from them; a refused answer is
    shown next to its message."""
    boxes = ExpressionOfInterest.objects.inbox(request.user)
    ctx = {
        "received": list(boxes["received"][:200]),
        "sent": list(boxes["sent"][:200]),
        "decline_forms": decline_forms or {},
        "problems": problems or {},
    }
    return render(request, "partnerships/cooperation/inbox.html", ctx)


def _interest(request: HttpRequest, pk: int) -> ExpressionOfInterest:
    """A message the user may answer (its receiving city's editors, admins)."""
    interest = get_object_or_404(
        ExpressionOfInterest.objects.select_related("from_city", "to_city"), pk=pk
    )
    if not can_answer(request.user, interest):
        raise PermissionDenied(_("Only editors of the city it was sent to may answer."))
    return interest


@login_required
@require_POST
def interest_accept(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _interest(request, pk)
    try:
        partnership = service.accept_interest(user=request.user, interest=interest)
    except ValidationError as error:
        return _inbox(request, problems={interest.pk: error.messages})
    messages.success(
        request,
        _("Partnership proposed with %(city)s: agree it to get started.")
        % {"city": interest.from_city.name},
    )
    return redirect(partnership)


@login_required
@require_POST
def interest_decline(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _interest(request, pk)
    form = DeclineForm(request.POST)
    declined = run_service(
        form,
        lambda: service.decline_interest(
            user=request.user, interest=interest, reason=form.cleaned_data["reason"]
        ),
    )
    if declined is None:
        return _inbox(request, decline_forms={interest.pk: form})
    messages.success(
        request, _("Declined; %(city)s sees your reason.") % {"city": interest.from_city.name}
    )
    return redirect("interest-inbox")
