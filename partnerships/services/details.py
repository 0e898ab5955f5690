"""A partnership's details: areas, reasons, programme, supporting organizations, reviews."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable
from typing import Final, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cities.models import Organization, PolicyArea

from ..models import Partnership, PartnershipEvent, PartnershipOrganization, Programme
from ..permissions import require_partnership_editor
from .history import record
from .pipeline import REVIEW_AFTER_YEARS, add_years, link_organization, programme_error

Event = PartnershipEvent.Action


class _Unset(enum.Enum):
    """The default of arguments for which None means something: "leave it as it is"."""

    UNSET = enum.auto()


_UNSET: Final = _Unset.UNSET


@transaction.atomic
def update_partnership(
    *,
    user,
    partnership: Partnership,
    policy_areas: Iterable[PolicyArea] | None = None,
    reasons: str | None = None,
    review_on: datetime.date | None | Literal[_Unset.UNSET] = _UNSET,
    programme: Programme | None | Literal[_Unset.UNSET] = _UNSET,
) -> Partnership:
    """Change the partnership's areas, reasons, review date or programme (given ones only)."""
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    require_partnership_editor(user, partnership)
    changed: list[str] = []
    errors: dict[str, list[str]] = {}
    if policy_areas is not None:
        areas = list(policy_areas)
        if not areas:
            errors["policy_areas"] = [_("Choose at least one policy area.")]
        elif {a.pk for a in areas} != set(partnership.policy_areas.values_list("pk", flat=True)):
            changed.append("policy_areas")
    if reasons is not None and reasons.strip() != partnership.reasons:
        partnership.reasons = reasons.strip()
        changed.append("reasons")
    if review_on is not _UNSET and review_on != partnership.review_on:
        if review_on is not None and review_on <= timezone.localdate():
            errors["review_on"] = [_("The review date must be in the future.")]
        partnership.review_on = review_on
        changed.append("review_on")
    if programme is not _UNSET and programme != partnership.programme:
        if programme is not None and (
            message := programme_error(
                programme,
                partnership.donor,
                partnership.recipient,
            )
        ):
            errors["programme"] = [message]
        partnership.programme = programme
        changed.append("programme")
    if errors:
        raise ValidationError(errors)
    if not changed:
        return partnership
    partnership.save()
    if policy_areas is not None:
        partnership.policy_areas.set(areas)
    record(partnership, user, Event.EDITED, message={"kind": "edited", "fields": changed})
    return partnership


@transaction.atomic
def add_organization(
    *, user, partnership: Partnership, organization: Organization, role: str, note: str = ""
) -> PartnershipOrganization:
    require_partnership_editor(user, partnership)
    if role not in PartnershipOrganization.Role.values:
        raise ValidationError({"role": _("Unknown role %(role)r.") % {"role": role}})
    if partnership.organization_links.filter(organization=organization).exists():
        raise ValidationError(
            {
                "organization": _("%(organization)s already supports this partnership.")
                % {"organization": organization.name}
            }
        )
    link = link_organization(partnership, organization, role, note)
    record(
        partnership,
        user,
        Event.ORGANIZATION,
        message={"kind": "organization_joined", "organization": organization.name, "role": role},
    )
    return link


@transaction.atomic
def remove_organization(*, user, link: PartnershipOrganization) -> None:
    partnership = link.partnership
    require_partnership_editor(user, partnership)
    link.delete()
    record(
        partnership,
        user,
        Event.ORGANIZATION,
        message={"kind": "organization_left", "organization": link.organization.name},
    )


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
        raise ValidationError({"status": _("A concluded or ended partnership is not reviewed.")})
    next_review_on = next_review_on or add_years(today, REVIEW_AFTER_YEARS)
    if next_review_on <= today:
        raise ValidationError({"next_review_on": _("The next review date must be in the future.")})
    partnership.review_on = next_review_on
    partnership.save(update_fields=["review_on", "updated_at"])
    record(
        partnership,
        user,
        Event.REVIEWED,
        note=note.strip(),
        message={"kind": "reviewed", "next_review_on": next_review_on.isoformat()},
    )
    return partnership
