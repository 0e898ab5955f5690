"""How partnerships and interest are read: every list through one method, in fixed queries.

Also the marks a match carries on the pages (``with_cooperation``): whether its two cities told
each other of their interest, and whether its donor has mentored before.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    When,
)
from django.utils import timezone
from django.utils.functional import cached_property

from cities.models import PolicyArea


class PartnershipQuerySet(models.QuerySet):
    def for_list(self) -> PartnershipQuerySet:
        """Every list of partnerships (pages, API, CSV) reads through this: two queries whatever
        the number of rows (the partnerships with both cities and the programme; their areas)."""
        areas = PolicyArea.objects.only("id", "code", "name", "position")
        return self.select_related("donor", "recipient", "programme").prefetch_related(
            Prefetch("policy_areas", queryset=areas)
        )

    def between(self, first_id: int, second_id: int) -> PartnershipQuerySet:
        """The pair's partnerships, whichever city is the donor."""
        return self.filter(
            Q(donor_id=first_id, recipient_id=second_id)
            | Q(donor_id=second_id, recipient_id=first_id)
        )

    def open(self) -> PartnershipQuerySet:
        """Not concluded or ended."""
        return self.exclude(status__in=self.model.CLOSED)

    def mentoring(self) -> PartnershipQuerySet:
        """Partnerships in which the donor mentors or mentored a city ("experienced mentor")."""
        return self.filter(kind=self.model.Kind.DONOR_RECIPIENT, status__in=self.model.MENTORED)

    def of_cities(self, city_ids: Iterable[int]) -> list:
        """The partnerships of these cities, each with ``review_is_due``: open ones first (in
        pipeline order), then paused, then concluded or ended."""
        ids = list(city_ids)
        if not ids:
            return []
        rows = self.for_list().filter(Q(donor_id__in=ids) | Q(recipient_id__in=ids))
        today = timezone.localdate()
        partnerships = list(rows.order_by("status", "-updated_at"))
        for partnership in partnerships:
            partnership.review_is_due = bool(
                partnership.review_on
                and partnership.review_on <= today
                and not partnership.is_closed
            )
        order = {status: i for i, status in enumerate(self.model.Status.values)}
        partnerships.sort(key=lambda p: (p.is_closed, order[p.status], p.donor.name))
        return partnerships


class InterestQuerySet(models.QuerySet):
    def standing(self) -> InterestQuerySet:
        """Interest that still counts towards "both sides interested" (open or accepted)."""
        return self.filter(status__in=self.model.STANDING)

    def inbox(self, user) -> dict[str, QuerySet]:
        """Messages to and from the cities the user edits (admins: all of them), unanswered
        first, newest first within each group."""
        base = self.select_related("from_city", "to_city", "sent_by", "partnership")
        unanswered_first = Case(When(status=self.model.Status.OPEN, then=0), default=1)
        base = base.prefetch_related("policy_areas").order_by(
            unanswered_first, "-created_at", "-id"
        )
        if user.is_staff:
            return {"received": base, "sent": base.none()}
        cities = user.edited_cities.all()
        return {
            "received": base.filter(to_city__in=cities),
            "sent": base.filter(from_city__in=cities),
        }


# --- Marks of matches -------------------------------------------------------------------------


def _interest_model():
    from .models import ExpressionOfInterest

    return ExpressionOfInterest


def _partnership_model():
    from .models import Partnership

    return Partnership


def standing_interest(from_field: str, to_field: str) -> Exists:
    """Standing interest sent from the row's ``from_field`` city to its ``to_field`` city; an
    index on (from_city, to_city, status) answers it."""
    return Exists(
        _interest_model()
        .objects.standing()
        .filter(from_city_id=OuterRef(from_field), to_city_id=OuterRef(to_field))
    )


def mutual_interest() -> Q:
    """Matches whose two cities have each told the other of their interest."""
    return Q(standing_interest("donor_id", "recipient_id")) & Q(
        standing_interest("recipient_id", "donor_id")
    )


def has_mentored(donor_field: str = "donor_id") -> Exists:
    """For annotations: has the row's donor mentored another city before?"""
    return Exists(_partnership_model().objects.mentoring().filter(donor_id=OuterRef(donor_field)))


def mentor_ids(city_ids: Iterable[int]) -> set[int]:
    """Which of these cities have mentored another city as donor (one query)."""
    return set(
        _partnership_model()
        .objects.mentoring()
        .filter(donor_id__in=list(city_ids))
        .values_list("donor_id", flat=True)
        .distinct()
    )


def with_cooperation(matches: QuerySet) -> QuerySet:
    """Match rows with the marks the pages show: ``mutual_interest`` (each city told the other
    it is interested) and ``experienced_mentor`` (the donor has mentored a city before).

    Correlated EXISTS on small indexed tables: no extra query, and when the list is read in
    index order only the rows of the page are checked.
    """
    return matches.annotate(
        mutual_interest=ExpressionWrapper(mutual_interest(), output_field=BooleanField()),
        experienced_mentor=has_mentored("donor_id"),
    )


def mutual_pairs_of(matches: QuerySet) -> QuerySet:
    """The rows of a match queryset whose two cities are mutually interested.

    Both cities must be among the senders and receivers of standing interest (small sets the
    planner starts from, then the (run, donor) index) before the two EXISTS are checked, so
    this stays quick on a run of a million rows.
    """
    standing_rows = _interest_model().objects.standing()
    return matches.filter(
        donor_id__in=standing_rows.values("from_city_id"),
        recipient_id__in=standing_rows.values("to_city_id"),
    ).filter(mutual_interest())


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
