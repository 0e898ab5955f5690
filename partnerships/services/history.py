"""The history of a partnership: one dated line per change, and who made it."""

from __future__ import annotations

from django.utils import timezone

from ..models import Partnership, PartnershipEvent


def record(
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
    """A change made outside the partnership row (a project, a ledger entry): one line in its
    history, and the partnership counts as updated."""
    Partnership.objects.filter(pk=partnership.pk).update(updated_at=timezone.now())
    return record(partnership, user, action, note=note)
