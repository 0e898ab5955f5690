"""The reciprocity ledger: what each side of a partnership gives and gains, and the balance a
council reads (practitioners: both donor and recipient must gain)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cities.models import City

from ..models import LedgerEntry, Partnership, PartnershipEvent
from ..permissions import require_partnership_editor
from .history import record_event

DEFAULT_UNITS: dict[str, str] = {LedgerEntry.Kind.STAFF_DAYS: "days", LedgerEntry.Kind.MONEY: "USD"}


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
        errors["city"] = [
            _("%(city)s is not one of the partnership's two cities.") % {"city": city.name}
        ]
    if direction not in LedgerEntry.Direction.values:
        errors["direction"] = [
            _("Unknown direction %(direction)r: contributes or gains.") % {"direction": direction}
        ]
    if kind not in LedgerEntry.Kind.values:
        errors["kind"] = [_("Unknown kind %(kind)r.") % {"kind": kind}]
    if not description.strip():
        errors["description"] = [_("Say what was given or gained.")]
    if amount is not None and amount < 0:
        errors["amount"] = [_("The amount cannot be negative.")]
    unit = unit.strip() or DEFAULT_UNITS.get(kind, "")
    if amount is not None and not unit:
        errors["unit"] = [_("Give the unit of the amount (days, USD, contracts…).")]
    occurred_on = occurred_on or timezone.localdate()
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("The date cannot be in the future.")]
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
    record_event(
        partnership,
        user,
        PartnershipEvent.Action.LEDGER,
        message={
            "kind": "ledger",
            "city": city.name,
            "direction": direction,
            "entry_kind": kind,
            "amount": str(amount) if amount is not None else None,
            "unit": entry.unit,
        },
    )
    return entry


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
    sides: dict[int, dict[str, KindBalance]] = {
        city.pk: {} for city in (partnership.donor, partnership.recipient)
    }
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
        return _("Nothing recorded yet: note what each city gives and gains.")
    without_gain = [side.city.name for side in balance if not side.gains_anything]
    if not without_gain:
        return _("Both cities gain from the partnership.")
    if len(without_gain) == 2:
        return _(
            "No gain is recorded yet: note the know-how, business or lessons each city brings "
            "home, so both councils see the case."
        )
    return _(
        "%(city)s has no gain recorded yet: note the know-how, business or lessons it brings home."
    ) % {"city": without_gain[0]}
