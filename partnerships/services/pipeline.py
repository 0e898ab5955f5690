"""Partnerships: how they start, move through their pipeline, and keep their history.

Status pipeline (practitioners: start small with a pilot, then scale, then widen to new areas)::

    proposed → agreed → pilot → scaling → expanded → concluded
                  ↘        ↘        ↘          ↘
                   paused (with a reason; resumes where it was) / ended (with a reason)

Every write records a ``PartnershipEvent`` (what, when, who). Editors of either city and admins
may change a partnership; nobody else. ``agreed`` and every later stage need both cities: one
proposes the step, an editor of the other confirms it (``services.steps``); pausing and ending
are one-sided. An admin may move a partnership alone only as a recorded override.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.models import City, Organization, PolicyArea
from matching.models import Match
from matching.services import flag_existing_partnership, queue_rescoring
from notifications.languages import Lower, Text

from ..models import (
    Partnership,
    PartnershipEvent,
    PartnershipOrganization,
    Programme,
    ProgrammeMembership,
    StepProposal,
)
from ..permissions import can_act_for, edited_city_ids, require, require_partnership_editor
from .history import record
from .notices import Kind, tell_city

Status = Partnership.Status
Event = PartnershipEvent.Action
Step = StepProposal.State

# Cooperation agreements are typically reviewed every few years.
REVIEW_AFTER_YEARS = 3
NEEDS_REASON = (Status.PAUSED, Status.ENDED)
# Steps that commit both cities: one proposes, an editor of the other confirms.
CONSENTED = (Status.AGREED, Status.PILOT, Status.SCALING, Status.EXPANDED, Status.CONCLUDED)
FORWARD: dict[str, tuple[str, ...]] = {
    Status.PROPOSED: (Status.AGREED, Status.ENDED),
    Status.AGREED: (Status.PILOT, Status.PAUSED, Status.ENDED),
    Status.PILOT: (Status.SCALING, Status.CONCLUDED, Status.PAUSED, Status.ENDED),
    Status.SCALING: (Status.EXPANDED, Status.CONCLUDED, Status.PAUSED, Status.ENDED),
    Status.EXPANDED: (Status.CONCLUDED, Status.PAUSED, Status.ENDED),
    Status.CONCLUDED: (),
    Status.ENDED: (),
}


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def next_statuses(partnership: Partnership) -> tuple[str, ...]:
    """Where the partnership may move now; a pause resumes to where it was."""
    if partnership.status == Status.PAUSED:
        resume = partnership.paused_from or Status.AGREED
        return (resume, Status.ENDED)
    return FORWARD[partnership.status]


def pending_step(partnership: Partnership) -> StepProposal | None:
    """The step waiting for the other city, if any."""
    return (
        StepProposal.objects.filter(partnership=partnership, state=Step.PENDING)
        .select_related("proposed_by", "proposed_for_city")
        .first()
    )


def open_partnership_between(first_id: int, second_id: int) -> Partnership | None:
    """The pair's partnership that is not concluded or ended, whichever city is the donor."""
    return Partnership.objects.between(first_id, second_id).open().first()


def match_snapshot(match: Match) -> dict:
    """The match as it was when the partnership started: score, components, explanation."""
    return {
        "match_id": match.pk,
        "run_id": match.run_id,
        "score": match.score,
        "components": match.components,
        "donor_rank": match.donor_rank,
        "recipient_rank": match.recipient_rank,
        "size_ratio": match.size_ratio,
        "top_areas": list(match.top_areas or []),
        "practices": list(match.practices or []),
        "gives_back": list(match.gives_back or []),
        "taken_at": timezone.now().isoformat(),
    }


def pair_match(donor_id: int, recipient_id: int) -> Match | None:
    """The pair's match in the active run, if it is stored there."""
    return (
        Match.objects.of_active_run()
        .filter(donor_id=donor_id, recipient_id=recipient_id)
        .select_related("run")
        .first()
    )


# --- Starting ---------------------------------------------------------------------------------


@transaction.atomic
def propose_partnership(
    *,
    user,
    donor: City,
    recipient: City,
    policy_areas: Iterable[PolicyArea],
    kind: str = Partnership.Kind.DONOR_RECIPIENT,
    reasons: str = "",
    match: Match | None = None,
    programme: Programme | None = None,
    review_on: datetime.date | None = None,
    organizations: Iterable[tuple[Organization, str]] = (),
) -> Partnership:
    """A new partnership in state "proposed", by an editor of one of the two cities (or an admin).

    ``match``, when given, is kept as a snapshot (its score, components and explanation), so a
    later council can see why this partner was chosen even after new runs.
    """
    require(
        can_act_for(user, donor.pk) or can_act_for(user, recipient.pk),
        _("Only editors of one of the two cities and admins may propose a partnership."),
    )
    return create_proposed(
        user=user,
        donor=donor,
        recipient=recipient,
        policy_areas=policy_areas,
        kind=kind,
        reasons=reasons,
        match=match,
        programme=programme,
        review_on=review_on,
        organizations=organizations,
    )


def create_proposed(
    *,
    user,
    donor: City,
    recipient: City,
    policy_areas: Iterable[PolicyArea],
    kind: str = Partnership.Kind.DONOR_RECIPIENT,
    reasons: str = "",
    match: Match | None = None,
    programme: Programme | None = None,
    review_on: datetime.date | None = None,
    organizations: Iterable[tuple[Organization, str]] = (),
) -> Partnership:
    """``propose_partnership`` once the caller has checked who may propose it (a city's editor,
    or a programme's agency proposing the pairs of a round). Run inside a transaction."""
    areas = list(policy_areas)
    errors = _start_errors(donor, recipient, kind, areas, programme, review_on)
    if errors:
        raise ValidationError(errors)
    # Lock the two cities so that two editors proposing at once cannot both pass the check.
    list(City.objects.select_for_update().filter(pk__in=[donor.pk, recipient.pk]).order_by("pk"))
    existing = open_partnership_between(donor.pk, recipient.pk)
    if existing is not None:
        raise ValidationError(
            {
                "recipient": _(
                    "%(from_city)s and %(to_city)s already have a partnership (%(status)s)."
                )
                % {
                    "from_city": donor.name,
                    "to_city": recipient.name,
                    "status": existing.get_status_display().lower(),
                }
            }
        )
    if match is None and kind == Partnership.Kind.DONOR_RECIPIENT:
        match = pair_match(donor.pk, recipient.pk)
    partnership = Partnership.objects.create(
        donor=donor,
        recipient=recipient,
        kind=kind,
        reasons=reasons.strip(),
        match_ref=match.pk if match else None,
        match_snapshot=match_snapshot(match) if match else {},
        programme=programme,
        review_on=review_on,
        created_by=user if user.is_authenticated else None,
    )
    partnership.policy_areas.set(areas)
    for organization, role in organizations:
        link_organization(partnership, organization, role, note="")
    record(partnership, user, Event.CREATED, to_status=Status.PROPOSED, note=reasons.strip())
    return partnership


def _start_errors(
    donor: City,
    recipient: City,
    kind: str,
    areas: list[PolicyArea],
    programme: Programme | None,
    review_on: datetime.date | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if donor.pk == recipient.pk:
        errors["recipient"] = [_("A city cannot be its own partner.")]
    if kind not in Partnership.Kind.values:
        errors["kind"] = [_("Unknown kind %(kind)r: donor_recipient or peers.") % {"kind": kind}]
    elif kind == Partnership.Kind.DONOR_RECIPIENT:
        if not donor.is_donor:
            errors["donor"] = [
                _("%(city)s is not a donor city (its role is %(role)s).")
                % {"city": donor.name, "role": donor.get_role_display().lower()}
            ]
        if not recipient.is_recipient:
            errors.setdefault("recipient", []).append(
                _("%(city)s is not a recipient city (its role is %(role)s).")
                % {"city": recipient.name, "role": recipient.get_role_display().lower()}
            )
    if not areas:
        errors["policy_areas"] = [_("Choose at least one policy area.")]
    if programme is not None and (message := programme_error(programme, donor, recipient)):
        errors["programme"] = [message]
    if review_on is not None and review_on <= timezone.localdate():
        errors["review_on"] = [_("The review date must be in the future.")]
    return errors


def programme_error(programme: Programme, donor: City, recipient: City) -> str:
    """A programme's partnership links two of its members."""
    members = set(
        ProgrammeMembership.objects.filter(
            programme=programme,
            city__in=[donor.pk, recipient.pk],
            status=ProgrammeMembership.Status.MEMBER,
        ).values_list("city_id", flat=True)
    )
    outside = [city.name for city in (donor, recipient) if city.pk not in members]
    if not outside:
        return ""
    if len(outside) == 1:
        return _("%(city)s is not a member of %(programme)s.") % {
            "city": outside[0],
            "programme": programme.name,
        }
    return _("%(city)s and %(other)s are not members of %(programme)s.") % {
        "city": outside[0],
        "other": outside[1],
        "programme": programme.name,
    }


# --- The pipeline -----------------------------------------------------------------------------


class ConfirmationNeeded(Exception):
    """The step commits both cities: the other city has not confirmed it (the API's 409)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def needs_confirmation(to_status: str) -> bool:
    """``agreed`` and every later stage (also when resuming to one) need both cities."""
    return to_status in CONSENTED


def check_move(partnership: Partnership, to_status: str, reason: str, outcome: str) -> None:
    """Refuse a move the pipeline does not allow, or one missing its reason or outcome."""
    allowed = next_statuses(partnership)
    if to_status not in allowed:
        labels = ", ".join(str(Status(status).label).lower() for status in allowed) or _("nothing")
        current = partnership.get_status_display().lower()
        target = Status(to_status).label.lower() if to_status in Status.values else repr(to_status)
        raise ValidationError(
            {
                "status": _(
                    "A %(current)s partnership cannot move to %(target)s; it can move to: "
                    "%(labels)s."
                )
                % {"current": current, "target": target, "labels": labels}
            }
        )
    if to_status in NEEDS_REASON and not reason:
        raise ValidationError(
            {
                "reason": _("Say why the partnership is %(status)s.")
                % {"status": str(Status(to_status).label).lower()}
            }
        )
    if to_status == Status.CONCLUDED and outcome not in Partnership.Outcome.values:
        raise ValidationError({"outcome": _("Say how it went: good, mixed or poor.")})


@transaction.atomic
def change_status(
    *,
    user,
    partnership: Partnership,
    to_status: str,
    reason: str = "",
    outcome: str = "",
    override: bool = False,
) -> Partnership:
    """Move the partnership one step along its pipeline; refuses any other move.

    Pausing and ending are one-sided (either city may leave, with a reason). Every other step
    needs the other city's confirmation (``propose_step``/``confirm_step``); only an admin may
    skip it, with ``override``, and the history records that.
    """
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    require_partnership_editor(user, partnership)
    reason = reason.strip()
    check_move(partnership, to_status, reason, outcome)
    message: dict[str, Any] = {}
    if needs_confirmation(to_status):
        if not override:
            raise ConfirmationNeeded(_confirmation_message(user, partnership, to_status))
        require(user.is_staff, _("Only admins may move a partnership without the other city."))
        message["override"] = True
    if outcome:
        message["outcome"] = outcome
    if message:
        message["kind"] = "moved"
    moved = apply_move(
        user=user,
        partnership=partnership,
        to_status=to_status,
        reason=reason,
        outcome=outcome,
        note=reason,
        message=message,
    )
    _tell_the_others(user, moved, to_status, reason)
    return moved


def _tell_the_others(user, partnership: Partnership, to_status: str, reason: str) -> None:
    """A one-sided move (a pause, an end, an admin's override) is news for the other city;
    for both cities when an admin made it."""
    acting = acting_city_id(user, partnership)
    status = Lower(Status(to_status).label)
    for city_id in partnership.city_ids:
        if city_id == acting:
            continue
        tell_city(
            city_id,
            kind=Kind.STEP_DECIDED,
            target=partnership,
            title=Text(
                gettext_lazy(
                    "%(city)s moved the partnership of %(donor)s and %(recipient)s to %(status)s"
                ),
                city=city_name(partnership, acting),
                donor=partnership.donor.name,
                recipient=partnership.recipient.name,
                status=status,
            )
            if acting is not None
            else Text(
                gettext_lazy(
                    "An admin moved the partnership of %(donor)s and %(recipient)s to %(status)s"
                ),
                donor=partnership.donor.name,
                recipient=partnership.recipient.name,
                status=status,
            ),
            body=reason,
            url=partnership.get_absolute_url(),
            exclude=user,
        )


def _confirmation_message(user, partnership: Partnership, to_status: str) -> str:
    label = str(Status(to_status).label).lower()
    pending = pending_step(partnership)
    if pending is not None and pending.to_status == to_status:
        waiting = city_name(partnership, pending.waiting_for_city_id)
        return _(
            "Moving to %(status)s waits for %(city)s to confirm the step proposed on %(date)s."
        ) % {
            "status": label,
            "city": waiting,
            "date": date_format(timezone.localtime(pending.created_at), "DATE_FORMAT"),
        }
    return _(
        "Moving to %(status)s needs both cities: %(city)s has not confirmed. Propose the step; "
        "an editor of the other city confirms it."
    ) % {"status": label, "city": _others_name(user, partnership)}


def city_name(partnership: Partnership, city_id: int) -> str:
    """The name of one of the partnership's two cities."""
    city = partnership.donor if city_id == partnership.donor_id else partnership.recipient
    return city.name


def _others_name(user, partnership: Partnership) -> str:
    acting = acting_city_id(user, partnership)
    if acting is None:
        return _("%(donor)s or %(recipient)s") % {
            "donor": partnership.donor.name,
            "recipient": partnership.recipient.name,
        }
    other = partnership.recipient_id if acting == partnership.donor_id else partnership.donor_id
    return city_name(partnership, other)


def acting_city_id(user, partnership: Partnership) -> int | None:
    """The city the user speaks for in this partnership (the donor if they edit both); None for
    an admin who edits neither."""
    edited = edited_city_ids(user)
    for city_id in partnership.city_ids:
        if city_id in edited:
            return city_id
    return None


def apply_move(
    *,
    user,
    partnership: Partnership,
    to_status: str,
    reason: str,
    outcome: str,
    note: str,
    message: dict[str, Any] | None = None,
) -> Partnership:
    """Write a move already allowed (and consented to): the row, its history, the flags of
    the current run; a step still waiting is withdrawn."""
    from_status = partnership.status
    if to_status == Status.PAUSED:
        partnership.paused_from = from_status
    elif from_status == Status.PAUSED:
        partnership.paused_from = ""
    if to_status == Status.AGREED:
        today = timezone.localdate()
        partnership.agreed_on = today
        partnership.review_on = partnership.review_on or add_years(today, REVIEW_AFTER_YEARS)
    partnership.status_reason = reason if to_status in NEEDS_REASON else ""
    if to_status == Status.CONCLUDED:
        partnership.outcome = outcome
    partnership.status = to_status
    partnership.save()
    record(
        partnership,
        user,
        Event.STATUS,
        from_status=from_status,
        to_status=to_status,
        note=note,
        message=message,
    )
    # A step proposed before this move no longer fits the partnership.
    for stale in StepProposal.objects.filter(partnership=partnership, state=Step.PENDING):
        stale.state = Step.WITHDRAWN
        stale.reason = f"The partnership moved to {Status(to_status).label.lower()} first."
        stale.reason_message = {"kind": "superseded", "status": to_status}
        stale.decided_at = timezone.now()
        stale.save(update_fields=["state", "reason", "reason_message", "decided_at"])

    if (from_status in Partnership.ACTIVE) != (to_status in Partnership.ACTIVE):
        mark_matches(partnership.donor_id, partnership.recipient_id)
    if (
        to_status == Status.CONCLUDED
        and outcome == Partnership.Outcome.GOOD
        and partnership.kind == Partnership.Kind.DONOR_RECIPIENT
    ):
        donor_id = partnership.donor_id
        transaction.on_commit(lambda: _experience_changed(donor_id))
    return partnership


def mark_matches(first_id: int, second_id: int) -> int:
    """Keep the active run's ``existing_partnership`` flag of the pair in step with its
    partnerships until the next run (runs and rescoring read the partnerships themselves)."""
    cooperating = (
        Partnership.objects.between(first_id, second_id)
        .filter(status__in=Partnership.ACTIVE)
        .exists()
    )
    return flag_existing_partnership(
        first_id=first_id, second_id=second_id, cooperating=cooperating
    )


def _experience_changed(donor_id: int) -> None:
    # The donor's capacity input grew: rescore it like a profile edit.
    queue_rescoring(city_ids=[donor_id])


def link_organization(
    partnership: Partnership, organization: Organization, role: str, note: str
) -> PartnershipOrganization:
    return PartnershipOrganization.objects.create(
        partnership=partnership, organization=organization, role=role, note=note.strip()
    )
