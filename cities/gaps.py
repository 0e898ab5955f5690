"""What a city's profile still lacks: the scoring model reads every one of these fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.timesince import timesince
from django.utils.translation import gettext

from cities.models import City

STALE_AFTER = timedelta(days=365)


@dataclass(frozen=True)
class Gap:
    key: str
    text: str

    def __str__(self) -> str:
        return self.text


def profile_gaps(city: City, *, now: datetime) -> list[Gap]:
    """Plain-language gaps, most harmful first; reads only prefetched levels and sectors."""
    levels = list(city.area_levels.all())
    donor, recipient = city.is_donor, city.is_recipient
    checks = [
        ("needs", recipient and not any(level.need for level in levels),
         gettext("No needs stated: as a recipient, the city cannot be matched without them.")),
        ("expertise", donor and not any(level.expertise for level in levels),
         gettext("No expertise stated: no recipient can find what the city offers.")),
        ("sectors", not list(city.sector_shares.all()),
         gettext("No economic sectors: the similar-economy and business-case scores are 0.")),
        ("languages", not city.languages,
         gettext("No working languages: the shared-language score is 0.")),
        ("budget", donor and not city.cooperation_budget_usd,
         gettext("No cooperation budget stated.")),
        ("staff", donor and not (city.has_international_department or city.international_staff),
         gettext("No international department or staff stated.")),
        ("capacity", recipient and not city.absorptive_capacity,
         gettext("Absorptive capacity is 0: donors see a city that cannot take help yet.")),
        ("cofunding", recipient and not city.cofunding_usd,
         gettext("No co-funding stated.")),
    ]  # fmt: skip
    gaps = [Gap(key, text) for key, missing, text in checks if missing]
    if now - city.updated_at > STALE_AFTER:
        age = timesince(city.updated_at, now)
        text = gettext("Last updated %(age)s ago: check that it is still true.") % {"age": age}
        gaps.append(Gap("stale", text))
    return gaps
