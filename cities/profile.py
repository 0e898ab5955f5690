"""The city profile's schema: every field, its kind, limits, label and help, and the level scale.

Everything that reads or writes a profile takes its fields from here: the model's validators,
the editor's form, the API serializer, the admin, the import and export, and the scoring
arrays. ``cities.validation.clean_profile`` checks values against it, on every write path.

Imports nothing of the app's models, so that ``cities.models`` can build its fields from it.
"""

from __future__ import annotations

import copy
import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.formats import number_format
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Expertise a city offers and needs it states, per policy area (SCORING.md's E and N).
LEVEL_MIN = 0
LEVEL_MAX = 3
EXPERTISE_LABELS: dict[int, StrOrPromise] = {
    0: pgettext_lazy("expertise level", "none"),
    1: pgettext_lazy("expertise level", "some"),
    2: pgettext_lazy("expertise level", "proven"),
    3: pgettext_lazy("expertise level", "leading"),
}
NEED_LABELS: dict[int, StrOrPromise] = {
    0: pgettext_lazy("need level", "none"),
    1: pgettext_lazy("need level", "low"),
    2: pgettext_lazy("need level", "medium"),
    3: pgettext_lazy("need level", "high"),
}
# How much outside help the administration can absorb.
ABSORPTIVE_CAPACITY_MAX = 5
# A sector's share of the economy; shares are normalised, so only their ratios matter. The cap
# keeps their sum finite in the engine's float32 arrays.
SHARE_MAX = 1e9
# Storage limits of the columns (32- and 64-bit on PostgreSQL). SQLite would take more, so they
# are checked the same on every database.
MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1
# What a real city can have; each may be raised in the settings (the setting named next to it
# in FIELDS). The largest city proper has ~25 M people, the largest urban area ~40 M.
POPULATION_LIMIT = 40_000_000
STAFF_LIMIT = 10_000
YEARS_LIMIT = 200
BUDGET_LIMIT_USD = 1_000_000_000
COFUNDING_LIMIT_USD = 1_000_000_000


class Role(models.TextChoices):
    DONOR = "donor", _("Donor")
    RECIPIENT = "recipient", _("Recipient")
    BOTH = "both", _("Donor and recipient")


class Kind(enum.Enum):
    """What a field holds, which decides how each surface reads and checks it."""

    TEXT = "text"
    COUNTRY = "country"  # ISO 3166-1 alpha-2
    CHOICE = "choice"  # one of ``Role``
    DECIMAL = "decimal"  # a finite float
    WHOLE = "whole"  # an int
    FLAG = "flag"  # a bool
    LANGUAGES = "languages"  # a list of ISO 639-1 codes
    LEVELS = "levels"  # policy-area code → level on the scale LEVEL_MIN..LEVEL_MAX
    SHARES = "shares"  # ISIC section letter → share of the economy


class Part(enum.Enum):
    """Which part of the profile a field describes; the admin shows one section per part."""

    IDENTITY = ""
    PLACE = "Place"
    CAPACITY = "Capacity and budget"
    AREAS = "Expertise, needs and economy"
    PROVENANCE = "Provenance"

    @property
    def title(self) -> StrOrPromise:
        """The section's heading in the admin, in the reader's language."""
        return PART_TITLES[self]


PART_TITLES: dict[Part, StrOrPromise] = {
    Part.IDENTITY: "",
    Part.PLACE: _("Place"),
    Part.CAPACITY: _("Capacity and budget"),
    Part.AREAS: _("Expertise, needs and economy"),
    Part.PROVENANCE: _("Provenance"),
}


@dataclass(frozen=True)
class Limit:
    """An upper limit with the plain words every surface shows past it.

    ``setting`` names a Django setting that, when present, replaces ``value``; ``words`` is a
    translatable string given the limit formatted for the active language, e.g.
    ``"at most USD %(limit)s a year"``.
    """

    value: int | float
    words: StrOrPromise
    setting: str = ""

    def current(self) -> int | float:
        return getattr(settings, self.setting, self.value) if self.setting else self.value

    def message(self) -> str:
        return str(self.words) % {"limit": number_format(self.current(), force_grouping=True)}


@dataclass(frozen=True)
class ProfileField:
    name: str
    kind: Kind
    part: Part
    label: StrOrPromise
    help_text: StrOrPromise = ""
    # A new city (and every import file) must give it; the others have ``default``.
    required: bool = False
    default: Any = None
    # The range a value must lie in (for LANGUAGES: how many codes; for maps: each value).
    minimum: int | float | None = None
    maximum: int | float | None = None
    # A plausible limit below ``maximum``, with its own words, checked by ``clean_profile`` on
    # every path (form, API, import, admin) alike and by the model field's validators.
    limit: Limit | None = None
    # Words for a bad value, as an import report shows them after "row 7, population: ".
    words: StrOrPromise = ""
    max_length: int | None = None
    # Part of API.md's fields and of the import format's columns (the others are provenance
    # columns that exports add).
    in_api: bool = True
    # The city's editors change it on the profile page.
    on_page: bool = True
    # The scoring engine reads it (``matching.services.arrays``).
    scored: bool = False

    @property
    def message(self) -> str:
        """What is wrong with a value of the wrong kind or outside the range, in the active
        language."""
        if self.words:
            return str(self.words)
        if self.kind is Kind.DECIMAL:
            return gettext("must be a number from %(minimum)s to %(maximum)s") % {
                "minimum": number_format(f"{self.minimum:g}"),
                "maximum": number_format(f"{self.maximum:g}"),
            }
        if self.kind is Kind.WHOLE:
            if self.minimum == 1:
                return gettext("must be a positive integer")
            if self.maximum is not None and self.maximum < MAX_INT32:
                return gettext("must be a whole number from %(minimum)s to %(maximum)s") % {
                    "minimum": number_format(self.minimum or 0, force_grouping=True),
                    "maximum": number_format(self.maximum, force_grouping=True),
                }
            return gettext("must be a whole number ≥ 0")
        return gettext("is not valid")

    def validators(self) -> list[Callable[[Any], None]]:
        """Django validators of the model field (forms and the API derive theirs from them)."""
        found: list[Callable[[Any], None]] = []
        if self.kind is Kind.DECIMAL:
            found.append(validate_finite)
        if self.kind in {Kind.DECIMAL, Kind.WHOLE}:
            if self.minimum is not None:
                found.append(MinValueValidator(self.minimum))
            # A plausible limit stands for the column's maximum, in words a person reads.
            if self.limit is not None:
                found.append(WithinLimit(self.name))
            elif self.maximum is not None:
                found.append(MaxValueValidator(self.maximum))
        return found


@deconstructible
class WithinLimit(MaxValueValidator):
    """The plausible limit of a profile field, read when a value is checked: a migration names
    the field, not the number, so raising a limit in the settings needs no migration.

    A ``MaxValueValidator`` whose limit is at most the column's, so Django adds no check of
    the column's range of its own (with its "less than or equal to 9223372036854775807").
    """

    def __init__(self, field_name: str) -> None:
        self.field_name = field_name
        super().__init__(self.highest)

    def highest(self) -> int | float:
        field = FIELD[self.field_name]
        if field.limit is None:
            return field.maximum if field.maximum is not None else math.inf
        if field.maximum is None:
            return field.limit.current()
        return min(field.limit.current(), field.maximum)

    def __call__(self, value: Any) -> None:
        field = FIELD[self.field_name]
        if field.limit is not None and value is not None and value > self.highest():
            raise ValidationError(field.limit.message(), code="limit_value")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WithinLimit) and other.field_name == self.field_name

    def __hash__(self) -> int:
        return hash(self.field_name)


def validate_finite(value: float) -> None:
    # NaN passes every range check (all its comparisons are false), so it is refused here.
    if not math.isfinite(value):
        raise ValidationError(_("Enter a finite number."), code="not_finite")


def _level_words(labels: Mapping[int, StrOrPromise]) -> str:
    return gettext(", ").join(f"{level} {label}" for level, label in labels.items())


def level_words(labels: Mapping[int, StrOrPromise]) -> StrOrPromise:
    """``0 none, 1 some, 2 proven, 3 leading`` in the language active when it is shown."""
    return lazy_text(_level_words, labels)


def level_choices(labels: Mapping[int, StrOrPromise]) -> list[tuple[int, StrOrPromise]]:
    """Choices of a select: ``(2, "2 · proven")``."""
    return [(level, format_lazy("{} · {}", level, label)) for level, label in labels.items()]


def lazy_text(function: Callable[..., str], *args: Any) -> StrOrPromise:
    """``function(*args)``, computed each time it is shown (in the active language)."""
    return format_lazy("{}", _Deferred(function, args))


@dataclass(frozen=True)
class _Deferred:
    function: Callable[..., str]
    args: tuple[Any, ...]

    def __format__(self, spec: str) -> str:
        return format(self.function(*self.args), spec)


def _whole(name: str, label: StrOrPromise, maximum: int, **options: Any) -> ProfileField:
    options.setdefault("part", Part.CAPACITY)
    options.setdefault("scored", True)
    return ProfileField(
        name, Kind.WHOLE, label=label, default=0, minimum=0, maximum=maximum, **options
    )


# In the order of API.md's city fields and import columns, then the provenance columns.
FIELDS: tuple[ProfileField, ...] = (
    ProfileField(
        "name", Kind.TEXT, Part.IDENTITY, _("Name"), required=True, max_length=200, on_page=False
    ),
    ProfileField(
        "country",
        Kind.COUNTRY,
        Part.IDENTITY,
        _("Country"),
        help_text=_("ISO 3166-1 alpha-2."),
        required=True,
        on_page=False,
    ),
    ProfileField(
        "latitude",
        Kind.DECIMAL,
        Part.PLACE,
        _("Latitude"),
        help_text=_("Decimal degrees, −90 (south) to 90 (north)."),
        required=True,
        minimum=-90,
        maximum=90,
    ),
    ProfileField(
        "longitude",
        Kind.DECIMAL,
        Part.PLACE,
        _("Longitude"),
        help_text=_("Decimal degrees, −180 (west) to 180 (east)."),
        required=True,
        minimum=-180,
        maximum=180,
    ),
    ProfileField(
        "population",
        Kind.WHOLE,
        Part.PLACE,
        _("Population"),
        help_text=_("Inhabitants of the city."),
        required=True,
        minimum=1,
        maximum=MAX_INT64,
        limit=Limit(POPULATION_LIMIT, _("at most %(limit)s inhabitants"), "CITY_POPULATION_LIMIT"),
        scored=True,
    ),
    ProfileField(
        "role",
        Kind.CHOICE,
        Part.IDENTITY,
        _("Role"),
        help_text=_("Donor: shares know-how; recipient: looks for help; or both."),
        required=True,
        default=Role.BOTH.value,
        scored=True,
    ),
    ProfileField(
        "languages",
        Kind.LANGUAGES,
        Part.CAPACITY,
        _("Working languages"),
        help_text=_("Two-letter ISO 639-1 codes, such as en, fr, vi."),
        default=[],
        maximum=50,
        scored=True,
    ),
    ProfileField(
        "has_international_department",
        Kind.FLAG,
        Part.CAPACITY,
        _("Has an international-cooperation department"),
        default=False,
        scored=True,
    ),
    _whole(
        "international_staff",
        _("Staff working on international cooperation"),
        MAX_INT32,
        help_text=_("People on the international team."),
        limit=Limit(STAFF_LIMIT, _("at most %(limit)s people"), "CITY_STAFF_LIMIT"),
    ),
    _whole(
        "years_of_cooperation",
        _("Years of cooperation experience"),
        1000,
        limit=Limit(YEARS_LIMIT, _("at most %(limit)s years"), "CITY_YEARS_LIMIT"),
    ),
    _whole(
        "absorptive_capacity",
        _("Absorptive capacity"),
        ABSORPTIVE_CAPACITY_MAX,
        help_text=_("How much outside help the administration can absorb, 0–5."),
    ),
    _whole(
        "cooperation_budget_usd",
        _("Yearly cooperation budget (USD)"),
        MAX_INT64,
        help_text=_("Yearly budget the city can give to cooperation (USD)."),
        limit=Limit(BUDGET_LIMIT_USD, _("at most USD %(limit)s a year"), "CITY_BUDGET_LIMIT_USD"),
    ),
    _whole(
        "cofunding_usd",
        _("Co-funding as a recipient (USD)"),
        MAX_INT64,
        help_text=_("Co-funding the city can bring as a recipient (USD)."),
        limit=Limit(COFUNDING_LIMIT_USD, _("at most USD %(limit)s"), "CITY_COFUNDING_LIMIT_USD"),
    ),
    ProfileField(
        "expertise",
        Kind.LEVELS,
        Part.AREAS,
        _("Expertise"),
        help_text=format_lazy(
            _("Policy-area code → expertise the city offers ({levels})."),
            levels=level_words(EXPERTISE_LABELS),
        ),
        default={},
        minimum=LEVEL_MIN,
        maximum=LEVEL_MAX,
        on_page=False,
    ),
    ProfileField(
        "needs",
        Kind.LEVELS,
        Part.AREAS,
        _("Needs"),
        help_text=format_lazy(
            _("Policy-area code → need ({levels}). Writing it replaces all needs."),
            levels=level_words(NEED_LABELS),
        ),
        default={},
        minimum=LEVEL_MIN,
        maximum=LEVEL_MAX,
        on_page=False,
    ),
    ProfileField(
        "sectors",
        Kind.SHARES,
        Part.AREAS,
        _("Economic sectors"),
        help_text=_("ISIC section letter → share of the economy. Writing it replaces all shares."),
        default={},
        minimum=0,
        maximum=SHARE_MAX,
        on_page=False,
    ),
    ProfileField(
        "is_synthetic",
        Kind.FLAG,
        Part.PROVENANCE,
        _("Synthetic"),
        help_text=_("Cooperation fields generated for demonstration, not taken from the city."),
        default=False,
        in_api=False,
        on_page=False,
    ),
    ProfileField(
        "geonames_id",
        Kind.WHOLE,
        Part.PROVENANCE,
        _("GeoNames id"),
        minimum=1,
        maximum=MAX_INT32,
        words=_("must be a positive integer (a GeoNames id)"),
        in_api=False,
        on_page=False,
    ),
    ProfileField(
        "sources",
        Kind.TEXT,
        Part.PROVENANCE,
        _("Sources"),
        help_text=_("Public sources the profile is written from (one per line)."),
        default="",
        in_api=False,
    ),
)
FIELD: dict[str, ProfileField] = {field.name: field for field in FIELDS}


def _names(keep: Callable[[ProfileField], bool]) -> tuple[str, ...]:
    return tuple(field.name for field in FIELDS if keep(field))


MAP_KINDS = frozenset({Kind.LEVELS, Kind.SHARES})
# What identifies a city in a file: an import with a known (name, country) updates that city.
IDENTITY_FIELDS = ("name", "country")
# Columns derived from a profile field, which lists show right after it: the slug (from the
# name, when the city is created) and the region (from the country, on every save).
DERIVED_AFTER = {"name": "slug", "country": "region"}
# The columns of API.md's import format, in its order, and the fields of the API's cities.
API_FIELDS = _names(lambda field: field.in_api)
# Columns an export adds so that a round trip keeps provenance too.
PROVENANCE_FIELDS = _names(lambda field: not field.in_api)
REQUIRED_FIELDS = _names(lambda field: field.required)
# Stored on the city's own row (the maps are rows of tables of their own)...
ROW_FIELDS = _names(lambda field: field.kind not in MAP_KINDS)
# ...and those of them that an import may change on a known city (identity aside).
CITY_COLUMNS = tuple(name for name in ROW_FIELDS if name not in IDENTITY_FIELDS)
# Expertise, needs and sectors: written as a whole, each replacing the stored one.
MAP_FIELDS = _names(lambda field: field.kind in MAP_KINDS)
# What a city's editors change on its profile page (the grid of levels and shares aside).
PAGE_FIELDS = _names(lambda field: field.on_page)
# What the scoring engine reads from the city row.
SCORED_FIELDS = _names(lambda field: field.scored)


def fields_of(part: Part) -> tuple[str, ...]:
    return _names(lambda field: field.part is part)


def defaults() -> dict[str, Any]:
    """The value of every optional field when nothing is given (fresh lists and dicts)."""
    return {field.name: copy.copy(field.default) for field in FIELDS if not field.required}
