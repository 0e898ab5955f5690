"""Template filters for places.

``get_country_display`` rebuilds a dict of the 250 country choices on every call (0.3 ms): a
list of 25 matches with two cities each spent 15 ms on it. ``country_name`` looks the code up.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from django import template
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext

from cities import languages
from cities.countries import COUNTRY_NAMES
from cities.taxonomy import term as taxonomy_term

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    """``"JP"`` → ``"Japan"`` (the code itself when unknown)."""
    return COUNTRY_NAMES.get(code, code)


@register.filter
def join_names(items: Iterable[Any]) -> str:
    """``a, b and c`` in the active language, from strings or objects with a ``name``."""
    names = [str(getattr(item, "name", item)) for item in items]
    if len(names) <= 1:
        return "".join(names)
    return gettext("%(items)s and %(last)s") % {
        "items": gettext(", ").join(names[:-1]),
        "last": names[-1],
    }


@register.filter
def term(name: str) -> str:
    """A policy area's or sector's name in the reader's language (see ``cities.taxonomy``)."""
    return taxonomy_term(name)


@register.filter
def language_name(code: str) -> str:
    """``"ja"`` → "Japanese", in the reader's language (the code itself when unknown)."""
    return languages.language_name(code)


@register.filter
def native_name(code: str) -> str:
    """A language's own name ("日本語", "Tiếng Việt"), in the composed Unicode form pages use
    (Django spells Vietnamese with combining marks, which some fonts and searches mishandle)."""
    info = LANG_INFO.get(code)
    return unicodedata.normalize("NFC", info["name_local"]) if info else code
