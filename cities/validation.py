"""The one check of a city profile, run on every write: by the service (and so by the form, the
API and the admin, which save through it) and by the import, once per row.

Messages are plain words that read after the field's name, as an import report prints them
(``row 7, population: must be a positive integer``) and as the form's error list shows them
(``Population: must be a positive integer``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext

from .countries import COUNTRY_NAMES
from .languages import ISO_639_1
from .profile import FIELD, FIELDS, LEVEL_MAX, LEVEL_MIN, Kind, ProfileField, Role


class _Bad(ValueError):
    """A value a field refuses; the message names what is wrong, not the field."""


class _Codes(NamedTuple):
    """The taxonomy codes that levels and shares are checked against."""

    policy_areas: Collection[str]
    sectors: Collection[str]


def clean_profile(
    values: Mapping[str, Any],
    *,
    policy_areas: Collection[str] = (),
    sectors: Collection[str] = (),
) -> dict[str, Any]:
    """``values`` checked against the profile schema and brought to their stored form.

    Only the fields given are checked (a partial update, a file without some columns); keys
    that are not profile fields come back unchanged. Levels and shares are checked against
    the codes of ``policy_areas`` and ``sectors``, and come back without their zeros.

    Raises ``ValidationError`` keyed by field, naming every bad field, one message each.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    codes = _Codes(policy_areas, sectors)
    for name, value in values.items():
        field = FIELD.get(name)
        if field is None:
            cleaned[name] = value
            continue
        if value is None and field.required:
            errors[name] = [gettext("is required")]
            continue
        try:
            # By the field's name, not its kind: an import calls this for every row, and enum
            # members hash slowly.
            cleaned[name] = _CLEANER_OF[name](field, value, codes)
        except _Bad as exc:
            errors[name] = [str(exc)]
            continue
        limit = field.limit
        if limit is not None and cleaned[name] is not None and cleaned[name] > limit.current():
            errors[name] = [limit.message()]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _whole_number(value: Any) -> int | None:
    """The integer a value holds (``12``, ``"12"``, ``12.0``), else None."""
    if type(value) is str and value.isdigit():
        return int(value)  # most cells of a file, the first thing tried
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit():
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    return None


def _number(value: Any) -> float:
    """The float a value holds, NaN when it holds none."""
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _in_range(field: ProfileField, value: float) -> bool:
    return (field.minimum is None or value >= field.minimum) and (
        field.maximum is None or value <= field.maximum
    )


def _either(words: Iterable[Any]) -> str:
    """``donor, recipient or both``."""
    items = [str(word) for word in words]
    if len(items) < 2:
        return "".join(items)
    return gettext("%(items)s or %(last)s") % {
        "items": gettext(", ").join(items[:-1]),
        "last": items[-1],
    }


def _text(field: ProfileField, value: Any, codes: _Codes) -> str:
    if value is None and not field.required:
        return ""
    if not isinstance(value, str):
        raise _Bad(gettext("must be text"))
    if field.required:
        # Imports match cities by exact name, so no stored name carries stray spaces.
        value = value.strip()
        if not value:
            raise _Bad(gettext("is required"))
    if field.max_length is not None and len(value) > field.max_length:
        raise _Bad(gettext("must be at most %(count)s characters") % {"count": field.max_length})
    return value


def _country(field: ProfileField, value: Any, codes: _Codes) -> str:
    code = str(value).strip().upper()
    if code not in COUNTRY_NAMES:
        raise _Bad(
            gettext("unknown country code '%(code)s' (use ISO 3166-1 alpha-2, such as JP)")
            % {"code": value}
        )
    return code


def _choice(field: ProfileField, value: Any, codes: _Codes) -> str:
    role = str(value).strip().lower()
    if role not in ROLES:
        raise _Bad(
            gettext("'%(value)s' is not a role (use %(roles)s)")
            % {"value": value, "roles": _either(Role.values)}
        )
    return role


def _decimal(field: ProfileField, value: Any, codes: _Codes) -> float:
    number = _number(value.strip() if isinstance(value, str) else value)
    if not math.isfinite(number) or not _in_range(field, number):
        raise _Bad(field.message)
    return number


def _whole(field: ProfileField, value: Any, codes: _Codes) -> int | None:
    if value is None and not field.required and field.default is None:
        return None
    number = _whole_number(value)
    if number is None or not _in_range(field, number):
        # Past what the column stores is past the plausible limit too: its words say more.
        too_large = number is not None and field.maximum is not None and number > field.maximum
        raise _Bad(field.limit.message() if too_large and field.limit else field.message)
    return number


def _flag(field: ProfileField, value: Any, codes: _Codes) -> bool:
    if not isinstance(value, bool):
        raise _Bad(gettext("'%(value)s' is not true or false") % {"value": value})
    return value


def _languages(field: ProfileField, value: Any, codes: _Codes) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(code, str) for code in value):
        raise _Bad(gettext('must be a list of ISO 639-1 codes, such as ["ja", "en"]'))
    # Sorted and without repeats, so equal sets of languages compare equal.
    languages = sorted({code.strip().lower() for code in value if code.strip()})
    unknown = [code for code in languages if code not in ISO_639_1]
    if unknown:
        raise _Bad(
            gettext("not ISO 639-1 language codes: %(codes)s") % {"codes": ", ".join(unknown)}
        )
    if field.maximum is not None and len(languages) > field.maximum:
        raise _Bad(gettext("must be at most %(count)s languages") % {"count": f"{field.maximum:g}"})
    return languages


def _pairs(value: Any, example: str) -> Iterable[tuple[Any, Any]]:
    """A map's (code, value) pairs: from an object, or from a file's list of pairs (where a code
    may come twice, which is reported)."""
    if isinstance(value, Mapping):
        return value.items()
    if isinstance(value, list | tuple) and all(
        isinstance(pair, tuple) and len(pair) == 2 for pair in value
    ):
        return value
    raise _Bad(
        gettext("must be an object of codes and values, such as %(example)s") % {"example": example}
    )


LEVELS = range(LEVEL_MIN, LEVEL_MAX + 1)
ROLES = frozenset(Role.values)


def _levels(field: ProfileField, value: Any, codes: _Codes) -> dict[str, int]:
    problems: list[str] = []
    levels: dict[str, int] = {}
    for raw_code, raw_level in _pairs(value, '{"waste": 3}'):
        code = str(raw_code).strip().lower()
        level = _whole_number(raw_level)
        if code not in codes.policy_areas:
            problems.append(gettext("unknown policy area '%(code)s'") % {"code": code})
        elif code in levels:
            problems.append(gettext("'%(code)s' is given twice") % {"code": code})
        elif level is None or not LEVEL_MIN <= level <= LEVEL_MAX:
            problems.append(
                gettext("the level of '%(code)s' must be %(levels)s, not '%(value)s'")
                % {"code": code, "levels": _either(LEVELS), "value": raw_level}
            )
        else:
            levels[code] = level
    if problems:
        raise _Bad(gettext("; ").join(problems))
    return {code: level for code, level in levels.items() if level}


def _shares(field: ProfileField, value: Any, codes: _Codes) -> dict[str, float]:
    problems: list[str] = []
    shares: dict[str, float] = {}
    for raw_code, raw_share in _pairs(value, '{"C": 0.3}'):
        code = str(raw_code).strip().upper()
        share = _number(raw_share)
        if code not in codes.sectors:
            problems.append(
                gettext("unknown ISIC section '%(code)s' (use a letter A to U)") % {"code": code}
            )
        elif code in shares:
            problems.append(gettext("'%(code)s' is given twice") % {"code": code})
        elif not math.isfinite(share) or share < 0:
            problems.append(
                gettext("the share of '%(code)s' must be a number ≥ 0, not '%(value)s'")
                % {"code": code, "value": raw_share}
            )
        elif field.maximum is not None and share > field.maximum:
            problems.append(
                gettext("the share of '%(code)s' must be at most %(maximum)s, not '%(value)s'")
                % {
                    "code": code,
                    "maximum": number_format(round(field.maximum), force_grouping=True),
                    "value": raw_share,
                }
            )
        else:
            shares[code] = share
    if problems:
        raise _Bad(gettext("; ").join(problems))
    # A zero share says nothing a missing one does not; leaving it out keeps stored profiles
    # comparable whichever way they were written.
    return {code: share for code, share in shares.items() if share > 0}


_CLEANERS: dict[Kind, Callable[[ProfileField, Any, _Codes], Any]] = {
    Kind.TEXT: _text,
    Kind.COUNTRY: _country,
    Kind.CHOICE: _choice,
    Kind.DECIMAL: _decimal,
    Kind.WHOLE: _whole,
    Kind.FLAG: _flag,
    Kind.LANGUAGES: _languages,
    Kind.LEVELS: _levels,
    Kind.SHARES: _shares,
}
_CLEANER_OF = {field.name: _CLEANERS[field.kind] for field in FIELDS}
