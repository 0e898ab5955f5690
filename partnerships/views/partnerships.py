"""Partnership pages: start one from a match, the list, the partnership page and its actions.

Every action posts to its own URL and goes through a service; when the service refuses, the
partnership page is shown again with the errors on the form that was sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cities.models import PolicyArea
from cities.taxonomy import term
from matching.models import Match
from matching.views.explain import COMPONENT_TEXT
from toolkit.pages import filter_form_for_people, paginate_capped

from ..filtersets import PartnershipFilterSet
from ..forms import (
    EditForm,
    LedgerForm,
    OrganizationForm,
    ReviewForm,
    StartForm,
    StatusForm,
    StepAnswerForm,
)
from ..models import (
    Partnership,
    PartnershipOrganization,
    Programme,
    ProgrammeMembership,
    StepProposal,
)
from ..permissions import can_act_for, can_change_partnership, can_see_partnership_details
from ..services import details, ledger, pipeline, steps
from ..services.expansion import suggest_areas
from .common import get_partnership, run_service
from .context import reasons_from_match
from .matches import fitting_match

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _member_programmes(match: Match):
    """Programmes both cities of the match are members of."""
    donor_in = ProgrammeMembership.objects.filter(
        city=match.donor_id, status=ProgrammeMembership.Status.MEMBER
    ).values("programme_id")
    recipient_in = ProgrammeMembership.objects.filter(
        city=match.recipient_id, status=ProgrammeMembership.Status.MEMBER
    ).values("programme_id")
    return Programme.objects.filter(pk__in=donor_in).filter(pk__in=recipient_in)


@login_required
def partnership_start(request: HttpRequest, donor: str, recipient: str) -> HttpResponse:
    match = fitting_match(donor, recipient)
    if not (
        can_act_for(request.user, match.donor_id) or can_act_for(request.user, match.recipient_id)
    ):
        raise PermissionDenied(_("Only editors of one of the two cities may start a partnership."))
    initial = {
        "policy_areas": [item["area"] for item in match.top_areas or []],
        "reasons": reasons_from_match(match),
    }
    form = StartForm(request.POST or None, initial=initial, programmes=_member_programmes(match))
    if request.method == "POST":
        partnership = run_service(
            form,
            lambda: pipeline.propose_partnership(
                user=request.user,
                donor=match.donor,
                recipient=match.recipient,
                match=match,
                **form.cleaned_data,
            ),
        )
        if partnership is not None:
            messages.success(request, _("Partnership proposed: both cities can now agree it."))
            return redirect(partnership)
    return render(request, "partnerships/cooperation/start.html", {"match": match, "form": form})


# The list's filters as a person reads them (the API documents the same filters its own way).
FILTER_TEXT: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "q": (gettext_lazy("City name"), gettext_lazy("Part of either city's name.")),
    "policy_area": (gettext_lazy("Policy area"), gettext_lazy("One of its areas.")),
    "kind": (gettext_lazy("Kind"), gettext_lazy("Donor and recipient, or peers.")),
    "programme": (gettext_lazy("Programme"), ""),
    "active": (gettext_lazy("Active"), gettext_lazy("Agreed, pilot, scaling up or expanded.")),
    "review_due": (
        gettext_lazy("Review due"),
        gettext_lazy("Still running, and its review date has passed."),
    ),
    "mine": (gettext_lazy("My cities only"), gettext_lazy("Partnerships of the cities you edit.")),
    "status": (gettext_lazy("Status"), gettext_lazy("None ticked: every status.")),
}


@login_required
def partnership_list(request: HttpRequest) -> HttpResponse:
    filterset = PartnershipFilterSet(
        request.GET,
        queryset=Partnership.objects.for_list().order_by("-updated_at", "-id"),
        request=request,
    )
    form = filter_form_for_people(filterset, FILTER_TEXT)
    # Checkboxes need no "Any": none ticked means every status.
    cast(forms.ChoiceField, form.fields["status"]).choices = Partnership.Status.choices
    valid = filterset.is_valid()
    rows = filterset.qs if valid else Partnership.objects.none()
    page = paginate_capped(request, rows)
    today = timezone.localdate()
    for partnership in page["page"].object_list:
        partnership.review_is_due = details.review_due(partnership, today=today)
    ctx = {
        "form": form,
        "filters_valid": valid,
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        **page,
    }
    return render(request, "partnerships/cooperation/partnership_list.html", ctx)


def detail_context(request: HttpRequest, partnership: Partnership, **bound: forms.Form) -> dict:
    """Everything the partnership page shows, in a fixed number of queries (about fifteen)."""
    user = request.user
    can_change = can_change_partnership(user, partnership)
    can_see_details = can_see_partnership_details(user, partnership)
    entries = (
        list(partnership.ledger.select_related("city", "created_by")) if can_see_details else []
    )
    balance = ledger.ledger_balance(partnership, entries)
    next_statuses = pipeline.next_statuses(partnership)
    pending = pipeline.pending_step(partnership)
    forms_: dict[str, forms.BaseForm | None] = {}
    if can_change:
        status_form = StatusForm(next_statuses=next_statuses, allow_override=user.is_staff)
        forms_ = {
            "status_form": status_form if next_statuses else None,
            "answer_form": StepAnswerForm(),
            "organization_form": OrganizationForm(),
            "ledger_form": LedgerForm(partnership=partnership),
            "review_form": ReviewForm(),
        }
        forms_.update(bound)
    events = list(partnership.events.select_related("user")[:200])
    areas = list(PolicyArea.objects.all())
    return {
        "partnership": partnership,
        "can_change": can_change,
        "can_see_details": can_see_details,
        "pending_step": pending,
        "step_view": step_view(user, partnership, pending),
        "pipeline_steps": [(step, Partnership.Status(step).label) for step in PIPELINE],
        "passed_steps": _passed_steps(partnership, events),
        "review_is_due": details.review_due(partnership, today=timezone.localdate()),
        "projects": list(
            partnership.projects.select_related(
                "policy_area", "practice", "practice_draft"
            ).prefetch_related("milestones", "figures")
        ),
        "links": list(partnership.organization_links.select_related("organization")),
        "entries": entries,
        "balance": balance,
        "verdict": ledger.balance_verdict(balance),
        "events": events,
        "suggestions": suggest_areas(partnership, areas=areas),
        "snapshot": partnership.match_snapshot,
        "snapshot_parts": [
            (COMPONENT_TEXT[name][0] if name in COMPONENT_TEXT else name, value)
            for name, value in (partnership.match_snapshot.get("components") or {}).items()
        ],
        "area_names": {area.code: term(area.name) for area in areas},
        **forms_,
    }


PIPELINE = (
    Partnership.Status.PROPOSED,
    Partnership.Status.AGREED,
    Partnership.Status.PILOT,
    Partnership.Status.SCALING,
    Partnership.Status.EXPANDED,
    Partnership.Status.CONCLUDED,
)


def _passed_steps(partnership: Partnership, events: list) -> set[str]:
    """The pipeline steps behind the partnership: before its status, or before the step it
    was paused or ended at."""
    reached = partnership.status
    if reached == Partnership.Status.PAUSED:
        reached = partnership.paused_from
    elif reached == Partnership.Status.ENDED:
        ended = next((e for e in events if e.to_status == Partnership.Status.ENDED), None)
        reached = ended.from_status if ended else Partnership.Status.PROPOSED
    if reached not in PIPELINE:
        return set()
    return set(PIPELINE[: PIPELINE.index(reached) + (reached != partnership.status)])


def step_view(user, partnership: Partnership, pending: StepProposal | None) -> dict:
    """What the page says about a step waiting for confirmation, for this user."""
    if pending is None:
        return {}
    waiting_id = pending.waiting_for_city_id
    edited = pipeline.edited_city_ids(user)
    waiting_name = (
        partnership.donor.name if waiting_id == partnership.donor_id else partnership.recipient.name
    )
    return {
        "waiting_for": waiting_name,
        "for_you": waiting_id in edited and pending.proposed_by_id != user.pk,
        "may_withdraw": pending.proposed_for_city_id in edited,
        "may_override": user.is_staff and waiting_id not in edited,
    }


def _page(request: HttpRequest, partnership: Partnership, **bound: forms.Form) -> HttpResponse:
    # Refused forms come back with their errors, like any form page (200, as the browser
    # logs a failed resource for a 4xx).
    return render(
        request,
        "partnerships/cooperation/partnership_detail.html",
        detail_context(request, partnership, **bound),
    )


@login_required
def partnership_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, get_partnership(pk))


def _editable(request: HttpRequest, pk: int) -> Partnership:
    partnership = get_partnership(pk)
    if not can_change_partnership(request.user, partnership):
        raise PermissionDenied(_("Only editors of one of the two cities and admins may change it."))
    return partnership


@login_required
@require_POST
def partnership_status(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _editable(request, pk)
    form = StatusForm(
        request.POST,
        next_statuses=pipeline.next_statuses(partnership),
        allow_override=request.user.is_staff,
    )
    result = run_service(form, lambda: _move_or_propose(request.user, partnership, form))
    if result is None:
        return _page(request, partnership, status_form=form)
    if isinstance(result, StepProposal):
        waiting = step_view(request.user, partnership, result)["waiting_for"]
        label = result.get_to_status_display().lower()
        messages.success(
            request,
            _("Moving to %(status)s is proposed: waiting for %(city)s.")
            % {"status": label, "city": waiting},
        )
        return redirect(partnership)
    messages.success(
        request,
        _("The partnership is now: %(status)s.") % {"status": result.get_status_display().lower()},
    )
    return redirect(result)


def _move_or_propose(user, partnership: Partnership, form: StatusForm):
    """Steps that commit both cities are proposed (or moved by an admin override); pausing and
    ending happen at once."""
    data = form.cleaned_data
    to_status = data["status"]
    if pipeline.needs_confirmation(to_status) and not data.get("override"):
        return steps.propose_step(
            user=user,
            partnership=partnership,
            to_status=to_status,
            note=data["reason"],
            outcome=data["outcome"],
        )
    return pipeline.change_status(
        user=user,
        partnership=partnership,
        to_status=to_status,
        reason=data["reason"],
        outcome=data["outcome"],
        override=bool(data.get("override")),
    )


def _pending(partnership: Partnership, step_pk: int) -> StepProposal:
    return get_object_or_404(
        StepProposal.objects.select_related("partnership"), pk=step_pk, partnership=partnership
    )


@login_required
@require_POST
def step_confirm(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    partnership = get_partnership(pk)
    proposal = _pending(partnership, step_pk)
    form = StepAnswerForm(request.POST)
    moved = run_service(
        form,
        lambda: steps.confirm_step(
            user=request.user, proposal=proposal, override=form.cleaned_data["override"]
        ),
    )
    if moved is None:
        return _page(request, partnership, answer_form=form)
    messages.success(
        request,
        _("Confirmed: the partnership is now %(status)s.")
        % {"status": moved.get_status_display().lower()},
    )
    return redirect(moved)


@login_required
@require_POST
def step_decline(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    partnership = get_partnership(pk)
    proposal = _pending(partnership, step_pk)
    form = StepAnswerForm(request.POST)
    declined = run_service(
        form,
        lambda: steps.decline_step(
            user=request.user,
            proposal=proposal,
            reason=form.cleaned_data["reason"],
            override=form.cleaned_data["override"],
        ),
    )
    if declined is None:
        return _page(request, partnership, answer_form=form)
    messages.success(request, _("Declined; the other city sees your reason."))
    return redirect(partnership)


@login_required
@require_POST
def step_withdraw(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    partnership = get_partnership(pk)
    proposal = _pending(partnership, step_pk)
    steps.withdraw_step(user=request.user, proposal=proposal)
    messages.success(request, _("The proposed step is withdrawn."))
    return redirect(partnership)


@login_required
@require_POST
def partnership_review(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _editable(request, pk)
    form = ReviewForm(request.POST)
    reviewed = run_service(
        form,
        lambda: details.record_review(
            user=request.user,
            partnership=partnership,
            note=form.cleaned_data["note"],
            next_review_on=form.cleaned_data["next_review_on"],
        ),
    )
    if reviewed is None:
        return _page(request, partnership, review_form=form)
    messages.success(
        request,
        _("Review recorded; next one on %(date)s.")
        % {"date": date_format(reviewed.review_on, "DATE_FORMAT") if reviewed.review_on else ""},
    )
    return redirect(reviewed)


@login_required
@require_POST
def partnership_organization(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _editable(request, pk)
    form = OrganizationForm(request.POST)
    link = run_service(
        form,
        lambda: details.add_organization(
            user=request.user, partnership=partnership, **form.cleaned_data
        ),
    )
    if link is None:
        return _page(request, partnership, organization_form=form)
    messages.success(
        request, _("%(organization)s added.") % {"organization": link.organization.name}
    )
    return redirect(partnership)


@login_required
@require_POST
def partnership_organization_remove(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    partnership = _editable(request, pk)
    link = get_object_or_404(
        PartnershipOrganization.objects.select_related("organization", "partnership"),
        pk=link_pk,
        partnership=partnership,
    )
    details.remove_organization(user=request.user, link=link)
    messages.success(
        request, _("%(organization)s removed.") % {"organization": link.organization.name}
    )
    return redirect(partnership)


@login_required
@require_POST
def partnership_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _editable(request, pk)
    form = LedgerForm(request.POST, partnership=partnership)
    entry = run_service(
        form,
        lambda: ledger.add_ledger_entry(
            user=request.user, partnership=partnership, **form.cleaned_data
        ),
    )
    if entry is None:
        return _page(request, partnership, ledger_form=form)
    messages.success(request, _("Ledger entry recorded."))
    return redirect(partnership.get_absolute_url() + "#ledger")


@login_required
def partnership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _editable(request, pk)
    initial = {
        "policy_areas": [area.code for area in partnership.policy_areas.all()],
        "reasons": partnership.reasons,
        "review_on": partnership.review_on,
        "programme": partnership.programme,
    }
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = run_service(
            form,
            lambda: details.update_partnership(
                user=request.user, partnership=partnership, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("Partnership saved."))
            return redirect(saved)
    ctx = {"partnership": partnership, "form": form}
    return render(request, "partnerships/cooperation/partnership_edit.html", ctx)
