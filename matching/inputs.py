"""What apps above ``matching`` add to the scoring inputs, without ``matching`` importing them.

The data's way is cities ← bestpractices ← matching ← partnerships, yet two scoring inputs come
from partnerships: pairs that already cooperate (the ``existing_partnership`` flag) and the
experience that good, concluded partnerships add to a donor's years of cooperation (SCORING.md's
``capacity``). ``partnerships`` registers a source for both when it starts
(``PartnershipsConfig.ready``); without one, no pair cooperates and no experience is added.
"""

from __future__ import annotations

from typing import Protocol


class CooperationSource(Protocol):
    def active_pairs(self) -> set[tuple[int, int]]:
        """(donor id, recipient id) of every pair that cooperates now, both ways round."""
        ...

    def experience_years(self) -> dict[int, int]:
        """City id → years of cooperation experience to add to its profile's."""
        ...


class _NoCooperation:
    def active_pairs(self) -> set[tuple[int, int]]:
        return set()

    def experience_years(self) -> dict[int, int]:
        return {}


_source: CooperationSource = _NoCooperation()


def register_cooperation_source(source: CooperationSource) -> None:
    global _source
    _source = source


def existing_partnership_pairs() -> set[tuple[int, int]]:
    return _source.active_pairs()


def experience_years() -> dict[int, int]:
    return _source.experience_years()
