"""Expressions of interest: one city tells another, from a match, that it wants to cooperate.

The receiving city's editors accept (which proposes a partnership) or decline with a reason.
When both cities have told each other, the pair is "mutually interested": the match browser
marks it and lists it first.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, When
from django.utils import timezone
from django.utils.functional import cached_property

from cities.models import City, PolicyArea

from ..models import ExpressionOfInterest, Match, Partnership
from . import pipeline
from .permissions import can_act_for, can_answer, require

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
    require(can_act_for(user, from_city.pk), f"Only editors of {from_city.name} may speak for it.")
    errors: dict[str, list[str]] = {}
    if from_city.pk not in (match.donor_id, match.recipient_id):
        errors["from_city"] = [f"{from_city.name} is not one of the two cities of this match."]
    areas = list(policy_areas)
    if not areas:
        errors["policy_areas"] = ["Choose at least one policy area to cooperate in."]
    message = message.strip()
    if not message:
        errors["message"] = ["Say in a few words why this partner, and for what."]
    elif len(message) > MESSAGE_MAX:
        errors["message"] = [f"Keep it under {MESSAGE_MAX} characters (it has {len(message)})."]
    if errors:
        raise ValidationError(errors)
    to_id = match.recipient_id if from_city.pk == match.donor_id else match.donor_id
    to_city = City.objects.only("id", "name").get(pk=to_id)
    if Interest.objects.filter(
        from_city=from_city, to_city_id=to_id, status=Interest.Status.OPEN
    ).exists():
        raise ValidationError(
            {"message": f"{from_city.name} already told {to_city.name}; wait for the answer."}
        )
    existing = pipeline.open_partnership_between(from_city.pk, to_id)
    if existing is not None:
        raise ValidationError(
            {
                "message": f"{from_city.name} and {to_city.name} already have a partnership "
                f"({existing.get_status_display().lower()})."
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
    return interest


@transaction.atomic
def accept_interest(*, user, interest: ExpressionOfInterest) -> Partnership:
    """The receiving city says yes: a partnership is proposed between the two.

    Its policy areas and reasons come from the message; its roles from the match it was sent
    from. An open interest the other way round is settled by the same partnership.
    """
    interest = Interest.objects.select_for_update().get(pk=interest.pk)
    require(can_answer(user, interest), "Only editors of the city it was sent to may answer.")
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
    reasons = f"{from_city.name} wrote: {interest.message}"
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
    return partnership


@transaction.atomic
def decline_interest(*, user, interest: ExpressionOfInterest, reason: str) -> ExpressionOfInterest:
    interest = Interest.objects.select_for_update().get(pk=interest.pk)
    require(can_answer(user, interest), "Only editors of the city it was sent to may answer.")
    _require_open(interest)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the other city a reason, so it can learn from it."})
    interest.status = Interest.Status.DECLINED
    interest.decline_reason = reason
    interest.answered_by = user
    interest.answered_at = timezone.now()
    interest.save()
    return interest


def _require_open(interest: ExpressionOfInterest) -> None:
    if interest.status != Interest.Status.OPEN:
        raise ValidationError(
            {"status": f"This message was already answered ({interest.get_status_display()})."}
        )


# --- Reading ----------------------------------------------------------------------------------


def standing(from_field: str, to_field: str) -> Exists:
    """Standing interest (open or accepted) sent from the row's ``from_field`` city to its
    ``to_field`` city; an index on (from_city, to_city, status) answers it."""
    return Exists(
        Interest.objects.filter(
            from_city_id=OuterRef(from_field),
            to_city_id=OuterRef(to_field),
            status__in=Interest.STANDING,
        )
    )


def mutual_filter() -> Q:
    """Matches whose two cities have each told the other of their interest."""
    return Q(standing("donor_id", "recipient_id")) & Q(standing("recipient_id", "donor_id"))


def inbox(user) -> dict[str, QuerySet]:
    """Messages to and from the cities the user edits (admins: all of them)."""
    base = Interest.objects.select_related("from_city", "to_city", "sent_by", "partnership")
    # Unanswered messages first, newest first within each group.
    unanswered_first = Case(When(status=Interest.Status.OPEN, then=0), default=1)
    base = base.prefetch_related("policy_areas").order_by(unanswered_first, "-created_at", "-id")
    if user.is_staff:
        return {"received": base, "sent": base.none()}
    cities = user.edited_cities.all()
    return {"received": base.filter(to_city__in=cities), "sent": base.filter(from_city__in=cities)}


# --- The match browser: mutually interested pairs first ---------------------------------------


def mutual_pairs_of(queryset: QuerySet) -> QuerySet:
    """The rows of a match queryset whose two cities are mutually interested.

    Both cities must be among the senders and receivers of standing interest (small sets the
    planner starts from, then the (run, donor) index) before the two EXISTS are checked, so
    this stays quick on a run of a million rows.
    """
    standing_rows = Interest.objects.filter(status__in=Interest.STANDING)
    return queryset.filter(
        donor_id__in=standing_rows.values("from_city_id"),
        recipient_id__in=standing_rows.values("to_city_id"),
    ).filter(mutual_filter())


class MutualFirst:
    """A match queryset with its mutually interested pairs moved to the front, for paginators.

    Ordering a whole run by an expression would sort every row; the interested pairs are few,
    so they are read apart (one query, at most ``PINNED_MAX``) and the rest keep their indexed
    order. Slicing gives a lazy window with ``count()``, as Django's paginators expect.
    """

    PINNED_MAX = 200

    def __init__(self, queryset: QuerySet) -> None:
        self.queryset = queryset

    @cached_property
    def pinned(self) -> list:
        return list(mutual_pairs_of(self.queryset)[: self.PINNED_MAX])

    @cached_property
    def rest(self) -> QuerySet:
        if not self.pinned:
            return self.queryset
        return self.queryset.exclude(pk__in=[match.pk for match in self.pinned])

    def count(self) -> int:
        return len(self.pinned) + self.rest.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            if index.step not in (None, 1):
                raise ValueError("MutualFirst supports plain slices only.")
            return _Window(self, index.start or 0, index.stop)
        return list(_Window(self, index, index + 1))[0]

    def __iter__(self):
        return iter(_Window(self, 0, None))


class _Window:
    """Rows ``start``…``stop - 1`` of a ``MutualFirst``: pinned rows, then the rest's slice."""

    def __init__(self, source: MutualFirst, start: int, stop: int | None) -> None:
        self.source, self.start, self.stop = source, start, stop

    def _parts(self) -> tuple[list, QuerySet | None]:
        pinned = self.source.pinned
        head = pinned[self.start : self.stop]
        offset = len(pinned)
        rest_start = max(self.start - offset, 0)
        if self.stop is None:
            return head, self.source.rest[rest_start:]
        rest_stop = self.stop - offset
        if rest_stop <= rest_start:
            return head, None
        return head, self.source.rest[rest_start:rest_stop]

    def count(self) -> int:
        head, tail = self._parts()
        return len(head) + (tail.count() if tail is not None else 0)

    @cached_property
    def rows(self) -> list:
        head, tail = self._parts()
        return head + (list(tail) if tail is not None else [])

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]
