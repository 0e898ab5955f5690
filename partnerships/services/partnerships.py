"""Which donor/recipient pairs already cooperate (the ``existing_partnership`` flag)."""

from __future__ import annotations

from ..cooperation.scoring import active_partnership_pairs


def existing_partnership_pairs() -> set[tuple[int, int]]:
    """(donor id, recipient id) of every pair of cities with an active partnership.

    Both directions (SCORING.md flags whether "the two cities already have a partnership");
    the one query lives with the partnership rules in ``cooperation.scoring``.
    """
    return active_partnership_pairs()
