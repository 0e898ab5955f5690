"""What partnerships change in scoring.

- A pair of cities with an active partnership (agreed, pilot, scaling, expanded) is flagged
  ``existing_partnership`` on its matches, in both directions: the two cities already cooperate
  whichever of them would give.
- A donor that concluded partnerships with good outcomes has proven it can lend people: each
  such partnership adds ``EXPERIENCE_YEARS_PER_PARTNERSHIP`` to the donor's years of
  cooperation, an input of SCORING.md's ``capacity`` (``give_d`` reads ``min(years_d, 10)``,
  so the formula and its cap are unchanged; only the input grows).
"""

from __future__ import annotations

from django.db.models import Count

from ..models import Partnership

# A cooperation agreement typically runs about three years before it is reviewed: a partnership
# that concluded well counts as one such cycle of experience.
EXPERIENCE_YEARS_PER_PARTNERSHIP = 3


def active_partnership_pairs() -> set[tuple[int, int]]:
    """(donor id, recipient id) of every pair that cooperates now, both ways round."""
    pairs: set[tuple[int, int]] = set()
    rows = Partnership.objects.filter(status__in=Partnership.ACTIVE).values_list(
        "donor_id", "recipient_id"
    )
    for first, second in rows:
        pairs.add((first, second))
        pairs.add((second, first))
    return pairs


def experience_years() -> dict[int, int]:
    """City id → years of experience its good, concluded partnerships as donor add."""
    rows = (
        Partnership.objects.filter(
            kind=Partnership.Kind.DONOR_RECIPIENT,
            status=Partnership.Status.CONCLUDED,
            outcome=Partnership.Outcome.GOOD,
        )
        .values("donor_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["donor_id"]: row["count"] * EXPERIENCE_YEARS_PER_PARTNERSHIP for row in rows}


class PartnershipCooperation:
    """The source ``matching.inputs`` reads these two inputs from (registered at start-up)."""

    def active_pairs(self) -> set[tuple[int, int]]:
        return active_partnership_pairs()

    def experience_years(self) -> dict[int, int]:
        return experience_years()
