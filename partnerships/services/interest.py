"""Expressions of interest: one city tells another, from a match, that it wants to cooperate.

The receiving city's editors accept (which proposes a partnership) or decline with a reason.
When both cities have told each other, the pair is "mutually interested": the match browser
marks it and lists it first.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.models import City, PolicyArea
from matching.models import Match
from notifications.languages import Text

from ..models import ExpressionOfInterest, Partnership
from ..permissions import can_act_for, can_answer, require
from . import pipeline
from .notices import Kind, tell_city

Interest = ExpressionOfInterest
MESSAGE_MAX = 2000


def _role_in(match: Match, city_id: int) -> str:
    return Interest.Role.DONOR if match.donor_id == city_id else Interest.Role.RECIPIENT


@transaction.atomic
def send_interest(
    *,
    user,
    match: Match,
    from_city: City,
    message: str,
    policy_areas: Iterable[PolicyArea] = (),
) -> ExpressionOfInterest:
    """From a match page: ``from_city`` (one of the pair, edited by the user) tells the other."""
    require(
        can_act_for(user, from_city.pk),
        _("Only editors of %(city)s may speak for it.") % {"city": from_city.name},
    )
    errors: dict[str, list[str]] = {}
    if from_city.pk not in (match.donor_id, match.recipient_id):
        errors["from_city"] = [
            _("%(city)s is not one of the two cities of this match.") % {"city": from_city.name}
        ]
    areas = list(policy_areas)
    if not areas:
        errors["policy_areas"] = [_("Choose at least one policy area to cooperate in.")]
    message = message.strip()
    if not message:
        errors["message"] = [_("Say in a few words why this partner, and for what.")]
    elif len(message) > MESSAGE_MAX:
        errors["message"] = [
            _("Keep it under %(limit)s characters (it has %(length)s).")
            % {"limit": number_format(MESSAGE_MAX), "length": number_format(len(message))}
        ]
    if errors:
        raise ValidationError(errors)
    to_id = match.recipient_id if from_city.pk == match.donor_id else match.donor_id
    to_city = City.objects.only("id", "name").get(pk=to_id)
    if Interest.objects.filter(
        from_city=from_city, to_city_id=to_id, status=Interest.Status.OPEN
    ).exists():
        raise ValidationError(
            {
                "message": _("%(from_city)s already told %(to_city)s; wait for the answer.")
                % {"from_city": from_city.name, "to_city": to_city.name}
            }
        )
    existing = pipeline.open_partnership_between(from_city.pk, to_id)
    if existing is not None:
        raise ValidationError(
            {
                "message": _(
                    "%(from_city)s and %(to_city)s already have a partnership (%(status)s)."
                )
                % {
                    "from_city": from_city.name,
                    "to_city": to_city.name,
                    "status": existing.get_status_display().lower(),
                }
            }
        )
    interest = Interest.objects.create(
        from_city=from_city,
        to_city=to_city,
        from_role=_role_in(match, from_city.pk),
        match_ref=match.pk,
        message=message,
        sent_by=user,
    )
    interest.policy_areas.set(areas)
    tell_city(
        to_city.pk,
        kind=Kind.INTEREST_RECEIVED,
        target=interest,
        title=Text(
            gettext_lazy("%(from_city)s would like to cooperate with %(to_city)s"),
            from_city=from_city.name,
            to_city=to_city.name,
        ),
        body=message,
        url=f"{reverse('interest-inbox')}#interest-{interest.pk}",
        exclude=user,
    )
    return interest


@transaction.atomic
def accept_interest(*, user, interest: ExpressionOfInterest) -> Partnership:
    """The receiving city says yes: a partnership is proposed between the two.

    Its policy areas and reasons come from the message; its roles from the match it was sent
    from. An open interest the other way round is settled by the same partnership.
    """
    interest = Interest.objects.select_for_update().get(pk=interest.pk)
    require(can_answer(user, interest), _("Only editors of the city it was sent to may answer."))
    _require_open(interest)
    from_city, to_city = interest.from_city, interest.to_city
    if interest.from_role == Interest.Role.PEER:
        donor, recipient, kind = from_city, to_city, Partnership.Kind.PEERS
    elif interest.from_role == Interest.Role.DONOR:
        donor, recipient, kind = from_city, to_city, Partnership.Kind.DONOR_RECIPIENT
    else:
        donor, recipient, kind = to_city, from_city, Partnership.Kind.DONOR_RECIPIENT
    match = Match.objects.filter(pk=interest.match_ref).first() if interest.match_ref else None
    areas = list(interest.policy_areas.all())
    if not areas and match is not None:
        codes = [item["area"] for item in match.top_areas or []]
        areas = list(PolicyArea.objects.filter(code__in=codes))
    reasons = _("%(city)s wrote: %(message)s") % {
        "city": from_city.name,
        "message": interest.message,
    }
    partnership = pipeline.propose_partnership(
        user=user,
        donor=donor,
        recipient=recipient,
        kind=kind,
        policy_areas=areas,
        reasons=reasons,
        match=match,
    )
    now = timezone.now()
    settled = Interest.objects.filter(
        Q(pk=interest.pk) | Q(from_city=to_city, to_city=from_city, status=Interest.Status.OPEN)
    )
    settled.update(
        status=Interest.Status.ACCEPTED, answered_by=user, answered_at=now, partnership=partnership
    )
    tell_city(
        from_city.pk,
        kind=Kind.INTEREST_ANSWERED,
        target=partnership,
        title=Text(
            gettext_lazy(
                "%(to_city)s accepted %(from_city)s's interest: a partnership is proposed"
            ),
            from_city=from_city.name,
            to_city=to_city.name,
        ),
        url=partnership.get_absolute_url(),
        exclude=user,
    )
    return partnership


@transaction.atomic
def decline_interest(*, user, interest: ExpressionOfInterest, reason: str) -> ExpressionOfInterest:
    interest = Interest.objects.select_for_update().get(pk=interest.pk)
    require(can_answer(user, interest), _("Only editors of the city it was sent to may answer."))
    _require_open(interest)
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give the other city a reason, so it can learn from it.")}
        )
    interest.status = Interest.Status.DECLINED
    interest.decline_reason = reason
    interest.answered_by = user
    interest.answered_at = timezone.now()
    interest.save()
    tell_city(
        interest.from_city_id,
        kind=Kind.INTEREST_ANSWERED,
        target=interest,
        title=Text(
            gettext_lazy("%(to_city)s declined %(from_city)s's interest"),
            from_city=interest.from_city.name,
            to_city=interest.to_city.name,
        ),
        body=reason,
        url=reverse("interest-inbox"),
        exclude=user,
    )
    return interest


def _require_open(interest: ExpressionOfInterest) -> None:
    if interest.status != Interest.Status.OPEN:
        raise ValidationError(
            {
                "status": _("This message was already answered (%(status)s).")
                % {"status": interest.get_status_display()}
            }
        )
