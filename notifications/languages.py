"""The language a user reads their notifications and e-mails in.

Notifications lie below every other app, so they do not read the users' saved choice
themselves: the app that keeps it registers a source (``register_language_source``). A user
without a choice, or a site without a source, reads the site's ``LANGUAGE_CODE``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.functional import Promise

LanguageSource = Callable[[Any], str]

_sources: list[LanguageSource] = []


def register_language_source(source: LanguageSource) -> None:
    if source not in _sources:
        _sources.append(source)


def language_of(user: Any) -> str:
    """The supported language ``user`` chose, else the site's default language."""
    for source in _sources:
        chosen = source(user)
        if chosen:
            try:
                return translation.get_supported_language_variant(chosen)
            except LookupError:
                continue
    return settings.LANGUAGE_CODE


class Text:
    """Words written in each reader's language: a message marked with ``gettext_lazy`` and the
    values of its ``%(name)s`` placeholders (which may be lazy too, e.g. a status label; dates
    and numbers are written the reader's way).

    ``str()`` renders it in the active language; ``notify`` renders it once per recipient,
    inside ``translation.override`` of that recipient's language.
    """

    def __init__(self, message: str | Promise, **values: Any) -> None:
        self.message = message
        self.values = values

    def __str__(self) -> str:
        if not self.values:
            return str(self.message)
        return str(self.message) % {name: _text(value) for name, value in self.values.items()}

    def __repr__(self) -> str:
        return f"Text({self.message!r}, {self.values!r})"


def _text(value: Any) -> Any:
    """A value as the active language writes it: dates and numbers in its format."""
    if isinstance(value, (Promise, Text)):
        return str(value)
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(local, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return formats.number_format(value, force_grouping=True)
    return value


def render(message: Message, language: str) -> str:
    with translation.override(language):
        return str(message)


class Lower(Text):
    """A message in lower case, e.g. a status label inside a sentence."""

    def __str__(self) -> str:
        return super().__str__().lower()


Message = str | Promise | Text
