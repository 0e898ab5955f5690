"""Two-sided consent: one city proposes the next step of a partnership, the other confirms.

``agreed`` and every later stage commit both cities, so an editor of one city proposes the
step and an editor of the other confirms it (or declines it with a reason). The history shows
who proposed and who confirmed. An admin who speaks for neither city may confirm only as a
recorded override.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.languages import Lower, Text

from ..models import Partnership, StepProposal
from ..permissions import can_act_for, require_partnership_editor
from . import pipeline
from .history import record, who
from .notices import Kind, settle, tell_city

Status = Partnership.Status
Step = StepProposal.State
Event = pipeline.Event


def _locked(partnership: Partnership) -> Partnership:
    return (
        Partnership.objects.select_for_update(of=("self",))
        .select_related("donor", "recipient")
        .get(pk=partnership.pk)
    )


@transaction.atomic
def propose_step(
    *, user, partnership: Partnership, to_status: str, note: str = "", outcome: str = ""
) -> StepProposal:
    """An editor of one city proposes ``to_status``; the other city's editors are told.

    When the other city has already proposed the same step, proposing it too confirms it.
    """
    partnership = _locked(partnership)
    require_partnership_editor(user, partnership)
    note = note.strip()
    if not pipeline.needs_confirmation(to_status):
        raise ValidationError(
            {
                "status": _(
                    "Pausing or ending does not wait for the other city: change the status "
                    "directly, with a reason."
                )
            }
        )
    pipeline.check_move(partnership, to_status, "", outcome)
    city_id = pipeline.acting_city_id(user, partnership)
    if city_id is None:
        raise PermissionDenied(
            _("Admins do not speak for either city: move the partnership as a recorded override.")
        )
    pending = StepProposal.objects.filter(partnership=partnership, state=Step.PENDING).first()
    if pending is not None:
        if pending.to_status == to_status and pending.proposed_for_city_id != city_id:
            _confirm(user=user, partnership=partnership, proposal=pending, override=False)
            return pending
        proposer = pipeline.city_name(partnership, pending.proposed_for_city_id)
        raise ValidationError(
            {
                "status": _(
                    "%(city)s already proposed moving to %(status)s; answer or withdraw that step "
                    "first."
                )
                % {"city": proposer, "status": str(Status(pending.to_status).label).lower()}
            }
        )
    proposal = StepProposal.objects.create(
        partnership=partnership,
        from_status=partnership.status,
        to_status=to_status,
        outcome=outcome if to_status == Status.CONCLUDED else "",
        note=note,
        proposed_by=user,
        proposed_for_city_id=city_id,
    )
    proposing = pipeline.city_name(partnership, city_id)
    waiting_id = proposal.waiting_for_city_id
    waiting = pipeline.city_name(partnership, waiting_id)
    record(
        partnership,
        user,
        Event.STEP,
        from_status=partnership.status,
        to_status=to_status,
        note=note,
        message={"kind": "step_proposed", "by": who(user, proposing), "waiting": waiting},
    )
    Partnership.objects.filter(pk=partnership.pk).update(updated_at=timezone.now())
    tell_city(
        waiting_id,
        kind=Kind.STEP_WAITING,
        target=partnership,
        title=Text(
            gettext_lazy(
                "%(city)s proposes moving your partnership to %(status)s: waiting for you"
            ),
            city=proposing,
            status=Lower(Status(to_status).label),
        ),
        body=note,
        url=partnership.get_absolute_url(),
        exclude=user,
    )
    return proposal


def _require_pending(proposal: StepProposal) -> None:
    if proposal.state != Step.PENDING:
        raise ValidationError(
            {
                "step": _("This step was already answered (%(state)s).")
                % {"state": proposal.get_state_display().lower()}
            }
        )


def _require_other_side(user, partnership: Partnership, proposal: StepProposal, override: bool):
    """Only an editor of the city the step waits for, never the proposer; an admin who is
    neither only with ``override``."""
    waiting_id = proposal.waiting_for_city_id
    waiting = pipeline.city_name(partnership, waiting_id)
    if user.pk == proposal.proposed_by_id and not override:
        raise PermissionDenied(
            _("You proposed this step; an editor of %(city)s confirms it.") % {"city": waiting}
        )
    if waiting_id in pipeline.edited_city_ids(user):
        return
    if override and user.is_staff:
        return
    if can_act_for(user, waiting_id):  # staff, without override
        raise PermissionDenied(
            _("Admins answer for %(city)s only as a recorded override (tick override).")
            % {"city": waiting}
        )
    raise PermissionDenied(_("Only editors of %(city)s may answer this step.") % {"city": waiting})


@transaction.atomic
def confirm_step(*, user, proposal: StepProposal, override: bool = False) -> Partnership:
    """The other city confirms: the partnership moves, and the proposing city is told."""
    partnership = _locked(proposal.partnership)
    proposal = StepProposal.objects.select_for_update().get(pk=proposal.pk)
    proposal.partnership = partnership
    return _confirm(user=user, partnership=partnership, proposal=proposal, override=override)


def _confirm(
    *, user, partnership: Partnership, proposal: StepProposal, override: bool
) -> Partnership:
    _require_pending(proposal)
    _require_other_side(user, partnership, proposal, override)
    if partnership.status != proposal.from_status:
        raise ValidationError(
            {"step": _("The partnership moved since this step was proposed; propose it again.")}
        )
    pipeline.check_move(partnership, proposal.to_status, "", proposal.outcome)
    as_admin = override and proposal.waiting_for_city_id not in pipeline.edited_city_ids(user)
    proposing = pipeline.city_name(partnership, proposal.proposed_for_city_id)
    waiting = pipeline.city_name(partnership, proposal.waiting_for_city_id)
    message = {
        "kind": "step_confirmed",
        "by": who(proposal.proposed_by, proposing),
        "confirmed_by": who(user, waiting),
        "override": as_admin,
        "outcome": proposal.outcome,
    }
    proposal.state = Step.CONFIRMED
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.override = as_admin
    proposal.save(update_fields=["state", "decided_by", "decided_at", "override"])
    moved = pipeline.apply_move(
        user=user,
        partnership=partnership,
        to_status=proposal.to_status,
        reason="",
        outcome=proposal.outcome,
        note="",
        message=message,
    )
    settle(kind=Kind.STEP_WAITING, target=partnership)
    tell_city(
        proposal.proposed_for_city_id,
        kind=Kind.STEP_DECIDED,
        target=partnership,
        title=Text(
            gettext_lazy("%(city)s confirmed: your partnership is now %(status)s"),
            city=waiting,
            status=Lower(Status(proposal.to_status).label),
        ),
        url=partnership.get_absolute_url(),
        exclude=user,
    )
    return moved


@transaction.atomic
def decline_step(*, user, proposal: StepProposal, reason: str, override: bool = False):
    """The other city says no, with a reason the proposing city reads."""
    partnership = _locked(proposal.partnership)
    proposal = StepProposal.objects.select_for_update().get(pk=proposal.pk)
    _require_pending(proposal)
    _require_other_side(user, partnership, proposal, override)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, so the other city knows what to change.")})
    waiting = pipeline.city_name(partnership, proposal.waiting_for_city_id)
    proposal.state = Step.DECLINED
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.reason = reason
    proposal.save(update_fields=["state", "decided_by", "decided_at", "reason"])
    record(
        partnership,
        user,
        Event.DECLINED,
        from_status=proposal.from_status,
        to_status=proposal.to_status,
        note=reason,
        message={"kind": "step_declined", "by": who(user, waiting)},
    )
    Partnership.objects.filter(pk=partnership.pk).update(updated_at=timezone.now())
    settle(kind=Kind.STEP_WAITING, target=partnership)
    tell_city(
        proposal.proposed_for_city_id,
        kind=Kind.STEP_DECIDED,
        target=partnership,
        title=Text(
            gettext_lazy("%(city)s declined moving your partnership to %(status)s"),
            city=waiting,
            status=Lower(Status(proposal.to_status).label),
        ),
        body=reason,
        url=partnership.get_absolute_url(),
        exclude=user,
    )
    proposal.partnership = partnership
    return proposal


@transaction.atomic
def withdraw_step(*, user, proposal: StepProposal) -> StepProposal:
    """The proposing city takes its step back."""
    partnership = _locked(proposal.partnership)
    proposal = StepProposal.objects.select_for_update().get(pk=proposal.pk)
    _require_pending(proposal)
    if proposal.proposed_for_city_id not in pipeline.edited_city_ids(user):
        raise PermissionDenied(
            _("Only editors of the city that proposed the step may withdraw it.")
        )
    proposal.state = Step.WITHDRAWN
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["state", "decided_by", "decided_at"])
    record(
        partnership,
        user,
        Event.WITHDRAWN,
        from_status=proposal.from_status,
        to_status=proposal.to_status,
        message={"kind": "step_withdrawn"},
    )
    settle(kind=Kind.STEP_WAITING, target=partnership)
    proposal.partnership = partnership
    return proposal
