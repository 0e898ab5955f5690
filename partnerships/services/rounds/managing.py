"""Opening a round and the agency's and cities' choices in it: who may do what, capacities,
applications, locked and ruled-out pairs."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import City, PolicyArea

from ...models import (
    Programme,
    ProgrammeMembership,
    Round,
    RoundApplication,
    RoundCapacity,
    RoundDecision,
)
from ...permissions import can_act_for, organization_ids, require

MAX_CAPACITY = 50
# Default capacity: one partnership per five international staff (at least one), one more
# for 20 years of cooperation or more, at most five (RoundCapacity.capacity's help text).
STAFF_PER_PARTNERSHIP = 5
EXPERIENCED_YEARS = 20
DEFAULT_CAPACITY_MAX = 5


# --- Who may do what --------------------------------------------------------------------------


def can_manage(user, programme: Programme) -> bool:
    """The programme's agency: members of its leading organization, and admins."""
    if not user.is_authenticated:
        return False
    return user.is_staff or programme.organization_id in organization_ids(user)


def require_manager(user, programme: Programme) -> None:
    require(
        can_manage(user, programme),
        _("Only the programme's agency (its organization's members) and admins manage rounds."),
    )


def member_ids(programme: Programme, *, donors: bool) -> list[int]:
    roles = (City.Role.DONOR, City.Role.BOTH) if donors else (City.Role.RECIPIENT, City.Role.BOTH)
    return list(
        ProgrammeMembership.objects.filter(
            programme=programme,
            status=ProgrammeMembership.Status.MEMBER,
            city__role__in=roles,
        )
        .order_by("city__name")
        .values_list("city_id", flat=True)
    )


def default_capacity(city: City) -> int:
    """What a donor can take when it has not said: its staff and experience."""
    base = max(1, city.international_staff // STAFF_PER_PARTNERSHIP)
    if city.years_of_cooperation >= EXPERIENCED_YEARS:
        base += 1
    return min(DEFAULT_CAPACITY_MAX, base)


# --- Opening and filling a round --------------------------------------------------------------


ROUND_FIELDS = (
    "title",
    "opens_on",
    "closes_on",
    "budget_usd",
    "expected_cost_usd",
    "costing",
    "max_partners",
)


def _check_round(round_: Round) -> None:
    round_.full_clean(exclude=["programme", "created_by", "solution"])
    if round_.budget_usd is not None and round_.expected_cost_usd is None:
        raise ValidationError(
            {
                "expected_cost_usd": _(
                    "A round with a budget needs the expected cost per partnership."
                )
            }
        )


@transaction.atomic
def open_round(
    *, user, programme: Programme, policy_areas: Iterable[PolicyArea] = (), **fields
) -> Round:
    """A new open round; every member donor gets its default capacity."""
    require_manager(user, programme)
    round_ = Round(programme=programme, created_by=user, **fields)
    _check_round(round_)
    round_.save()
    round_.policy_areas.set(list(policy_areas))
    add_member_donors(round_)
    return round_


@transaction.atomic
def update_round(
    *, user, round_: Round, policy_areas: Iterable[PolicyArea] | None = None, **fields
):
    require_manager(user, round_.programme)
    for name, value in fields.items():
        if name not in ROUND_FIELDS and name != "state":
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(round_, name, value)
    _check_round(round_)
    round_.save()
    if policy_areas is not None:
        round_.policy_areas.set(list(policy_areas))
    return round_


def add_member_donors(round_: Round) -> int:
    """Capacity rows for member donors that have none yet (joined since the round opened); a
    city that applied to the round as a recipient does not give in it."""
    have = set(round_.capacities.values_list("donor_id", flat=True))
    have |= set(round_.applications.values_list("recipient_id", flat=True))
    wanted = [pk for pk in member_ids(round_.programme, donors=True) if pk not in have]
    if not wanted:
        return 0
    rows = [
        RoundCapacity(round=round_, donor=city, capacity=default_capacity(city))
        for city in City.objects.filter(pk__in=wanted).only(
            "id", "international_staff", "years_of_cooperation"
        )
    ]
    RoundCapacity.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def require_not_closed(round_: Round) -> None:
    if round_.state == Round.State.CLOSED:
        raise ValidationError({"round": _("The round is closed.")})


@transaction.atomic
def set_capacity(*, user, round_: Round, donor: City, capacity: int) -> RoundCapacity:
    """The agency, or an editor of the donor, states the donor's capacity in the round."""
    require(
        can_manage(user, round_.programme) or can_act_for(user, donor.pk),
        _("Only the programme's agency and the donor's editors may change its capacity."),
    )
    require_not_closed(round_)
    if donor.pk not in member_ids(round_.programme, donors=True):
        raise ValidationError(
            {"donor": _("%(city)s is not a member donor of the programme.") % {"city": donor.name}}
        )
    if (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 0 <= capacity <= MAX_CAPACITY
    ):
        raise ValidationError(
            {"capacity": _("Give a whole number from 0 to %(most)s.") % {"most": MAX_CAPACITY}}
        )
    row, _created = RoundCapacity.objects.update_or_create(
        round=round_, donor=donor, defaults={"capacity": capacity}
    )
    return row


@transaction.atomic
def apply_to_round(*, user, round_: Round, recipient: City) -> tuple[RoundApplication, bool]:
    """A member recipient applies (an editor of it, or the agency); applying again changes
    nothing. Returns the application and whether it is new."""
    require(
        can_manage(user, round_.programme) or can_act_for(user, recipient.pk),
        _("Only editors of %(city)s and the programme's agency may apply for it.")
        % {"city": recipient.name},
    )
    if round_.state != Round.State.OPEN:
        raise ValidationError({"round": _("The round no longer takes applications.")})
    if recipient.pk not in member_ids(round_.programme, donors=False):
        raise ValidationError(
            {
                "recipient": _("%(city)s is not a member recipient of %(programme)s.")
                % {"city": recipient.name, "programme": round_.programme.name}
            }
        )
    # A city both giving and receiving help applies as a recipient: it gives nothing here.
    RoundCapacity.objects.filter(round=round_, donor=recipient).delete()
    return RoundApplication.objects.get_or_create(
        round=round_, recipient=recipient, defaults={"applied_by": user}
    )


DECISIONS = ("lock", "rule_out", "clear")


@transaction.atomic
def decide(*, user, round_: Round, donor: City, recipient: City, decision: str) -> None:
    """Lock a pair in, rule it out, or clear the agency's decision on it."""
    require_manager(user, round_.programme)
    require_not_closed(round_)
    if decision not in DECISIONS:
        raise ValidationError(
            {"decision": _("Choose lock, rule_out or clear, not %(value)r.") % {"value": decision}}
        )
    if not round_.capacities.filter(donor=donor).exists():
        raise ValidationError(
            {"donor": _("%(city)s is not a donor of this round.") % {"city": donor.name}}
        )
    if not round_.applications.filter(recipient=recipient).exists():
        raise ValidationError(
            {"recipient": _("%(city)s has not applied to this round.") % {"city": recipient.name}}
        )
    if decision == "clear":
        RoundDecision.objects.filter(round=round_, donor=donor, recipient=recipient).delete()
        return
    RoundDecision.objects.update_or_create(
        round=round_,
        donor=donor,
        recipient=recipient,
        defaults={"kind": decision, "decided_by": user},
    )
