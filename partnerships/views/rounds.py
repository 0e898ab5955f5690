"""Programme round pages: the proposed pairs, the left-out recipients with reasons and remedies,
optimal against stable, and the agency's forms (lock, rule out, capacity, solve, propose)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from cities.models import City, PolicyArea
from matching.views.explain import COMPONENT_TEXT
from matching.vocabulary import COMPONENTS
from toolkit.csv import csv_lines, csv_response
from toolkit.pages import signed_in_user

from ..models import Round, RoundDecision, RoundPair
from ..permissions import edited_city_ids
from ..services import rounds as service
from .common import error_lines


class CapacityForm(forms.Form):
    donor = forms.IntegerField(widget=forms.HiddenInput)
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity"), min_value=0, max_value=service.MAX_CAPACITY
    )


class DecisionForm(forms.Form):
    donor = forms.IntegerField(widget=forms.HiddenInput)
    recipient = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[(d, d) for d in service.DECISIONS])


class ApplyForm(forms.Form):
    recipient = forms.ModelChoiceField(
        label=gettext_lazy("City"), queryset=City.objects.none(), empty_label=None
    )


class ProposeForm(forms.Form):
    method = forms.ChoiceField(choices=RoundPair.Method.choices, initial="optimal")


def _round(slug: str, pk: int) -> Round:
    return get_object_or_404(
        Round.objects.select_related("programme__organization").prefetch_related("policy_areas"),
        programme__slug=slug,
        pk=pk,
    )


def _bars(components: dict) -> list[dict]:
    return [
        {
            "name": name,
            "label": COMPONENT_TEXT[name][0],
            "value": value,
            "percent": max(0.0, min(100.0, value * 100)),
        }
        for name in COMPONENTS
        if (value := components.get(name)) is not None
    ]


def _applicable(user, round_: Round, applied: set[int]) -> list[int]:
    """Cities the user edits that are member recipients and have not applied yet."""
    if round_.state != Round.State.OPEN:
        return []
    mine = edited_city_ids(user)
    if not mine:
        return []
    members = set(service.member_ids(round_.programme, donors=False))
    return sorted((mine & members) - applied)


@login_required
def round_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    round_ = _round(slug, pk)
    manager = service.can_manage(user, round_.programme)
    capacities = list(round_.capacities.select_related("donor").order_by("donor__name"))
    applications = list(round_.applications.select_related("recipient").order_by("recipient__name"))
    decision_rows = list(round_.decisions.select_related("donor", "recipient")) if manager else []
    decisions = {(d.donor_id, d.recipient_id): d.kind for d in decision_rows}
    pairs = list(service.pairs_for(user, round_))
    for pair in pairs:
        pair.bars = _bars(pair.components)  # type: ignore[attr-defined]
        pair.decision = decisions.get((pair.donor_id, pair.recipient_id), "")  # type: ignore[attr-defined]
    names = service.city_names(round_) if round_.solved_at else {}
    solution = round_.solution or {}
    applicable = _applicable(user, round_, {a.recipient_id for a in applications})
    apply_form = None
    if applicable:
        apply_form = ApplyForm()
        apply_form.fields["recipient"].queryset = City.objects.filter(pk__in=applicable)  # type: ignore[attr-defined]
    ruled_out = [d for d in decision_rows if d.kind == RoundDecision.Kind.RULE_OUT]
    left_out = service.explained_left_out(user, round_, names) if round_.solved_at else []
    for entry in left_out:
        entry["items"] = list(zip(entry["remedies"], entry["remedy_messages"], strict=True))
    ctx = {
        "round": round_,
        "programme": round_.programme,
        "manager": manager,
        "capacities": capacities,
        "applications": applications,
        "pairs": pairs,
        "left_out": left_out,
        "area_names": dict(PolicyArea.objects.values_list("code", "name")),
        "infeasible": service.infeasible_messages(round_, names) if manager else [],
        "solution": solution,
        "only_optimal": [
            (names.get(d, d), names.get(r, r)) for d, r in solution.get("only_optimal", [])
        ]
        if manager
        else [],
        "only_stable": [
            (names.get(d, d), names.get(r, r)) for d, r in solution.get("only_stable", [])
        ]
        if manager
        else [],
        "decisions": decisions,
        "ruled_out": ruled_out,
        "apply_form": apply_form,
        "can_propose": manager
        and round_.solved_at
        and solution.get("status") != "infeasible"
        and round_.state != Round.State.CLOSED,
    }
    return render(request, "partnerships/cooperation/round_detail.html", ctx)


def _back(round_: Round, anchor: str = "") -> HttpResponse:
    return redirect(round_.get_absolute_url() + (f"#{anchor}" if anchor else ""))


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for line in error_lines(error):
        messages.error(request, line)


def _form_refused(request: HttpRequest, form: forms.Form) -> None:
    for name, errors in form.errors.items():
        for text in errors:
            messages.error(request, f"{name}: {text}")


@login_required
@require_POST
def round_solve(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    round_ = _round(slug, pk)
    try:
        solved = service.solve(
            user=signed_in_user(request), round_=round_, thorough=bool(request.POST.get("thorough"))
        )
    except ValidationError as error:
        _refused(request, error)
        return _back(round_)
    if solved.optimal.feasible:
        messages.success(
            request,
            _("Solved: %(pairs)s pairs, total score %(score)s.")
            % {"pairs": len(solved.optimal.pairs), "score": f"{solved.optimal.total_score:.1f}"},
        )
    else:
        messages.error(request, _("The round cannot be solved as it is: see why below."))
    return _back(round_, "pairs-title")


@login_required
@require_POST
def round_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    round_ = _round(slug, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return _back(round_)
    donor = City.objects.filter(pk=form.cleaned_data["donor"]).first()
    recipient = City.objects.filter(pk=form.cleaned_data["recipient"]).first()
    if donor is None or recipient is None:
        messages.error(request, _("donor: No such city in this round."))
        return _back(round_)
    try:
        service.decide(
            user=signed_in_user(request),
            round_=round_,
            donor=donor,
            recipient=recipient,
            decision=form.cleaned_data["decision"],
        )
    except ValidationError as error:
        _refused(request, error)
        return _back(round_)
    messages.success(
        request,
        {
            "lock": _("%(donor)s → %(recipient)s is locked in. Solve again to see the effect."),
            "rule_out": _("%(donor)s → %(recipient)s is ruled out. Solve again to see the effect."),
            "clear": _(
                "The decision on %(donor)s → %(recipient)s is cleared. Solve again to see the effect."
            ),
        }[form.cleaned_data["decision"]]
        % {"donor": donor.name, "recipient": recipient.name},
    )
    return _back(round_, "pairs-title")


@login_required
@require_POST
def round_capacity(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    round_ = _round(slug, pk)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return _back(round_, "capacities-title")
    donor = City.objects.filter(pk=form.cleaned_data["donor"]).first()
    if donor is None:
        messages.error(request, _("donor: No such city in this round."))
        return _back(round_, "capacities-title")
    try:
        row = service.set_capacity(
            user=signed_in_user(request),
            round_=round_,
            donor=donor,
            capacity=form.cleaned_data["capacity"],
        )
    except ValidationError as error:
        _refused(request, error)
        return _back(round_, "capacities-title")
    messages.success(
        request,
        _("%(donor)s can now take %(capacity)s. Solve again to see the effect.")
        % {"donor": donor.name, "capacity": row.capacity},
    )
    return _back(round_, "capacities-title")


@login_required
@require_POST
def round_apply(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    round_ = _round(slug, pk)
    form = ApplyForm(request.POST)
    form.fields["recipient"].queryset = City.objects.all()  # type: ignore[attr-defined]
    if not form.is_valid():
        _form_refused(request, form)
        return _back(round_)
    recipient = form.cleaned_data["recipient"]
    try:
        service.apply_to_round(user=signed_in_user(request), round_=round_, recipient=recipient)
    except ValidationError as error:
        _refused(request, error)
        return _back(round_)
    messages.success(request, _("%(city)s applied to the round.") % {"city": recipient.name})
    return _back(round_)


@login_required
@require_POST
def round_propose(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    round_ = _round(slug, pk)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return _back(round_)
    try:
        proposed = service.propose(
            user=signed_in_user(request), round_=round_, method=form.cleaned_data["method"]
        )
    except ValidationError as error:
        _refused(request, error)
        return _back(round_)
    if proposed.created:
        messages.success(
            request,
            ngettext(
                "%(count)s partnership proposed; both cities were told and agree to it in the "
                "partnership's steps.",
                "%(count)s partnerships proposed; both cities of each pair were told and agree "
                "to it in the partnership's steps.",
                len(proposed.created),
            )
            % {"count": len(proposed.created)},
        )
    else:
        messages.info(request, _("Nothing new: every chosen pair was proposed already."))
    return _back(round_, "pairs-title")


@login_required
def round_export(request: HttpRequest, slug: str, pk: int) -> StreamingHttpResponse:
    round_ = _round(slug, pk)
    stamp = timezone.localdate().isoformat()
    return csv_response(
        csv_lines(service.CSV_HEADER, service.csv_rows(signed_in_user(request), round_)),
        filename=f"citymatch-round-{round_.pk}-{stamp}.csv",
    )
