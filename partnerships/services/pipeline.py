"""Partnerships: how they start, move through their pipeline, and keep their history.

Status pipeline (practitioners: start small with a pilot, then scale, then widen to new areas)::

    proposed → agreed → pilot → scaling → expanded → concluded
                  ↘        ↘        ↘          ↘
                   paused (with a reason; resumes where it was) / ended (with a reason)

Every write records a ``PartnershipEvent`` (what, when, who). Editors of either city and admins
may change a partnership; nobody else.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cities.models import City, Organization, PolicyArea
from matching.models import Match

from ..models import (
    LedgerEntry,
    Partnership,
    PartnershipEvent,
    PartnershipOrganization,
    Programme,
    ProgrammeMembership,
)
from ..permissions import can_act_for, require, require_partnership_editor

Status = Partnership.Status
Event = PartnershipEvent.Action

# Cooperation agreements are typically reviewed every few years.
REVIEW_AFTER_YEARS = 3
NEEDS_REASON = (Status.PAUSED, Status.ENDED)
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
        Match.objects.filter(run__is_active=True, donor_id=donor_id, recipient_id=recipient_id)
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
        "Only editors of one of the two cities and admins may propose a partnership.",
    )
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
                "recipient": f"{donor.name} and {recipient.name} already have a partnership "
                f"({existing.get_status_display().lower()})."
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
        _link_organization(partnership, organization, role, note="")
    _record(partnership, user, Event.CREATED, to_status=Status.PROPOSED, note=reasons.strip())
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
        errors["recipient"] = ["A city cannot be its own partner."]
    if kind not in Partnership.Kind.values:
        errors["kind"] = [f"Unknown kind {kind!r}: donor_recipient or peers."]
    elif kind == Partnership.Kind.DONOR_RECIPIENT:
        if not donor.is_donor:
            errors["donor"] = [f"{donor.name} is not a donor city (its role is {donor.role})."]
        if not recipient.is_recipient:
            errors.setdefault("recipient", []).append(
                f"{recipient.name} is not a recipient city (its role is {recipient.role})."
            )
    if not areas:
        errors["policy_areas"] = ["Choose at least one policy area."]
    if programme is not None and (message := _programme_error(programme, donor, recipient)):
        errors["programme"] = [message]
    if review_on is not None and review_on <= timezone.localdate():
        errors["review_on"] = ["The review date must be in the future."]
    return errors


def _programme_error(programme: Programme, donor: City, recipient: City) -> str:
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
    verb = "is not a member" if len(outside) == 1 else "are not members"
    return f"{' and '.join(outside)} {verb} of {programme.name}."


# --- The pipeline -----------------------------------------------------------------------------


@transaction.atomic
def change_status(
    *, user, partnership: Partnership, to_status: str, reason: str = "", outcome: str = ""
) -> Partnership:
    """Move the partnership one step along its pipeline; refuses any other move."""
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    require_partnership_editor(user, partnership)
    from_status = partnership.status
    allowed = next_statuses(partnership)
    reason = reason.strip()
    if to_status not in allowed:
        labels = ", ".join(Status(status).label.lower() for status in allowed) or "nothing"
        current = partnership.get_status_display().lower()
        target = Status(to_status).label.lower() if to_status in Status.values else repr(to_status)
        raise ValidationError(
            {
                "status": f"A {current} partnership cannot move to {target}; it can move to: {labels}."
            }
        )
    if to_status in NEEDS_REASON and not reason:
        raise ValidationError(
            {"reason": f"Say why the partnership is {Status(to_status).label.lower()}."}
        )
    if to_status == Status.CONCLUDED and outcome not in Partnership.Outcome.values:
        raise ValidationError({"outcome": "Say how it went: good, mixed or poor."})

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
    note = reason or (f"Outcome: {partnership.get_outcome_display().lower()}." if outcome else "")
    _record(
        partnership, user, Event.STATUS, from_status=from_status, to_status=to_status, note=note
    )

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
    """Set ``existing_partnership`` on the pair's matches of the active run, both ways round.

    Runs and rescoring read the partnerships themselves; this keeps the run readers see now in
    step until the next one.
    """
    pair = Q(donor_id=first_id, recipient_id=second_id) | Q(
        donor_id=second_id, recipient_id=first_id
    )
    cooperating = Partnership.objects.filter(pair, status__in=Partnership.ACTIVE).exists()
    return Match.objects.filter(pair, run__is_active=True).update(existing_partnership=cooperating)


def _experience_changed(donor_id: int) -> None:
    # The donor's capacity input grew: rescore it like a profile edit.
    from matching.services import queue_rescoring

    queue_rescoring(city_ids=[donor_id])


# --- Details, organizations, reviews ----------------------------------------------------------

_UNSET = object()


@transaction.atomic
def update_partnership(
    *,
    user,
    partnership: Partnership,
    policy_areas: Iterable[PolicyArea] | None = None,
    reasons: str | None = None,
    review_on: datetime.date | None | object = _UNSET,
    programme: Programme | None | object = _UNSET,
) -> Partnership:
    """Change the partnership's areas, reasons, review date or programme (given ones only)."""
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    require_partnership_editor(user, partnership)
    changed: list[str] = []
    errors: dict[str, list[str]] = {}
    if policy_areas is not None:
        areas = list(policy_areas)
        if not areas:
            errors["policy_areas"] = ["Choose at least one policy area."]
        elif {a.pk for a in areas} != set(partnership.policy_areas.values_list("pk", flat=True)):
            changed.append("policy areas")
    if reasons is not None and reasons.strip() != partnership.reasons:
        partnership.reasons = reasons.strip()
        changed.append("reasons")
    if review_on is not _UNSET and review_on != partnership.review_on:
        if review_on is not None and review_on <= timezone.localdate():  # type: ignore[operator]
            errors["review_on"] = ["The review date must be in the future."]
        partnership.review_on = review_on  # type: ignore[assignment]
        changed.append("review date")
    if programme is not _UNSET and programme != partnership.programme:
        if programme is not None and (
            message := _programme_error(
                programme,  # type: ignore[arg-type]
                partnership.donor,
                partnership.recipient,
            )
        ):
            errors["programme"] = [message]
        partnership.programme = programme  # type: ignore[assignment]
        changed.append("programme")
    if errors:
        raise ValidationError(errors)
    if not changed:
        return partnership
    partnership.save()
    if policy_areas is not None:
        partnership.policy_areas.set(areas)
    _record(partnership, user, Event.EDITED, note="Changed " + ", ".join(changed) + ".")
    return partnership


@transaction.atomic
def add_organization(
    *, user, partnership: Partnership, organization: Organization, role: str, note: str = ""
) -> PartnershipOrganization:
    require_partnership_editor(user, partnership)
    if role not in PartnershipOrganization.Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if partnership.organization_links.filter(organization=organization).exists():
        raise ValidationError(
            {"organization": f"{organization.name} already supports this partnership."}
        )
    link = _link_organization(partnership, organization, role, note)
    _record(
        partnership,
        user,
        Event.ORGANIZATION,
        note=f"{organization.name} joined ({link.get_role_display().lower()}).",
    )
    return link


def _link_organization(
    partnership: Partnership, organization: Organization, role: str, note: str
) -> PartnershipOrganization:
    return PartnershipOrganization.objects.create(
        partnership=partnership, organization=organization, role=role, note=note.strip()
    )


@transaction.atomic
def remove_organization(*, user, link: PartnershipOrganization) -> None:
    partnership = link.partnership
    require_partnership_editor(user, partnership)
    link.delete()
    _record(partnership, user, Event.ORGANIZATION, note=f"{link.organization.name} left.")


def review_due(partnership: Partnership, *, today: datetime.date) -> bool:
    """The review date has passed and the partnership is still running."""
    return bool(
        partnership.review_on and partnership.review_on <= today and not partnership.is_closed
    )


@transaction.atomic
def record_review(
    *,
    user,
    partnership: Partnership,
    note: str = "",
    next_review_on: datetime.date | None = None,
) -> Partnership:
    """The two cities reviewed their agreement: note it and set the next review date."""
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    require_partnership_editor(user, partnership)
    today = timezone.localdate()
    if partnership.is_closed:
        raise ValidationError({"status": "A concluded or ended partnership is not reviewed."})
    next_review_on = next_review_on or add_years(today, REVIEW_AFTER_YEARS)
    if next_review_on <= today:
        raise ValidationError({"next_review_on": "The next review date must be in the future."})
    partnership.review_on = next_review_on
    partnership.save(update_fields=["review_on", "updated_at"])
    text = note.strip()
    _record(
        partnership,
        user,
        Event.REVIEWED,
        note=(text + " " if text else "") + f"Next review {next_review_on:%d %b %Y}.",
    )
    return partnership


# --- The reciprocity ledger -------------------------------------------------------------------

DEFAULT_UNITS = {LedgerEntry.Kind.STAFF_DAYS: "days", LedgerEntry.Kind.MONEY: "USD"}


@transaction.atomic
def add_ledger_entry(
    *,
    user,
    partnership: Partnership,
    city: City,
    direction: str,
    kind: str,
    description: str,
    amount: Decimal | None = None,
    unit: str = "",
    occurred_on: datetime.date | None = None,
) -> LedgerEntry:
    """Record what one side contributes or gains (staff days, money, know-how, business…)."""
    require_partnership_editor(user, partnership)
    errors: dict[str, list[str]] = {}
    if city.pk not in partnership.city_ids:
        errors["city"] = [f"{city.name} is not one of the partnership's two cities."]
    if direction not in LedgerEntry.Direction.values:
        errors["direction"] = [f"Unknown direction {direction!r}: contributes or gains."]
    if kind not in LedgerEntry.Kind.values:
        errors["kind"] = [f"Unknown kind {kind!r}."]
    if not description.strip():
        errors["description"] = ["Say what was given or gained."]
    if amount is not None and amount < 0:
        errors["amount"] = ["The amount cannot be negative."]
    unit = unit.strip() or DEFAULT_UNITS.get(kind, "")
    if amount is not None and not unit:
        errors["unit"] = ["Give the unit of the amount (days, USD, contracts…)."]
    occurred_on = occurred_on or timezone.localdate()
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = ["The date cannot be in the future."]
    if errors:
        raise ValidationError(errors)
    entry = LedgerEntry(
        partnership=partnership,
        city=city,
        direction=direction,
        kind=kind,
        amount=amount,
        unit=unit if amount is not None else "",
        description=description.strip(),
        occurred_on=occurred_on,
        created_by=user if user.is_authenticated else None,
    )
    entry.full_clean()
    entry.save()
    Partnership.objects.filter(pk=partnership.pk).update(updated_at=timezone.now())
    _record(
        partnership,
        user,
        Event.LEDGER,
        note=f"{city.name} {entry.get_direction_display().lower()}: {entry.get_kind_display()}"
        + (f", {amount_text(amount)} {entry.unit}" if amount is not None else "")
        + ".",
    )
    return entry


def amount_text(amount: Decimal) -> str:
    """1,200 or 1,200.50: cents only when there are some."""
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


@dataclass
class KindBalance:
    kind: str
    label: str
    contributes: dict[str, Decimal] = field(default_factory=dict)  # unit → total
    gains: dict[str, Decimal] = field(default_factory=dict)
    contributes_entries: int = 0
    gains_entries: int = 0


@dataclass
class SideBalance:
    """What one city of the partnership gives and gets, kind by kind."""

    city: City
    kinds: list[KindBalance]

    @property
    def gains_anything(self) -> bool:
        return any(kind.gains_entries for kind in self.kinds)


def ledger_balance(partnership: Partnership, entries: Iterable[LedgerEntry]) -> list[SideBalance]:
    """Totals per side, kind, direction and unit; entries without an amount are counted."""
    sides = {city.pk: {} for city in (partnership.donor, partnership.recipient)}
    for entry in entries:
        kinds = sides.get(entry.city_id)
        if kinds is None:
            continue
        balance = kinds.setdefault(
            entry.kind, KindBalance(kind=entry.kind, label=entry.get_kind_display())
        )
        totals = balance.contributes if entry.direction == "contributes" else balance.gains
        if entry.direction == "contributes":
            balance.contributes_entries += 1
        else:
            balance.gains_entries += 1
        if entry.amount is not None:
            totals[entry.unit] = totals.get(entry.unit, Decimal(0)) + entry.amount
    order = {kind: position for position, kind in enumerate(LedgerEntry.Kind.values)}
    return [
        SideBalance(city=city, kinds=sorted(sides[city.pk].values(), key=lambda k: order[k.kind]))
        for city in (partnership.donor, partnership.recipient)
    ]


def balance_verdict(balance: list[SideBalance]) -> str:
    """One sentence for a council: does each side gain something, and give something?"""
    if not any(side.kinds for side in balance):
        return "Nothing recorded yet: note what each city gives and gains."
    without_gain = [side.city.name for side in balance if not side.gains_anything]
    if not without_gain:
        return "Both cities gain from the partnership."
    if len(without_gain) == 2:
        return (
            "No gain is recorded yet: note the know-how, business or lessons each city brings "
            "home, so both councils see the case."
        )
    return (
        f"{without_gain[0]} has no gain recorded yet: note the know-how, business or lessons "
        "it brings home."
    )


# --- History ----------------------------------------------------------------------------------


def _record(
    partnership: Partnership,
    user,
    action: str,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> PartnershipEvent:
    return PartnershipEvent.objects.create(
        partnership=partnership,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        user=user if user is not None and user.is_authenticated else None,
    )


def record_event(partnership: Partnership, user, action: str, *, note: str) -> PartnershipEvent:
    """For the other cooperation modules (projects): one line in the partnership's history."""
    Partnership.objects.filter(pk=partnership.pk).update(updated_at=timezone.now())
    return _record(partnership, user, action, note=note)
