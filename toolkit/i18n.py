"""Which language a request is answered in.

In order: the language a signed-in user chose (kept in their session when they sign in or
switch, so no query is spent on it), the language cookie, then the browser's Accept-Language.
The API answers in the client's Accept-Language when it sends one, whatever the browser
session says, so that a script gets the messages it asked for.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware import locale
from django.utils import translation

# The session key that holds a signed-in user's chosen language.
SESSION_LANGUAGE_KEY = "language"


def supported(code: str | None) -> str | None:
    """The supported language code for ``code`` ("ja-JP" gives "ja"), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


class LocaleMiddleware(locale.LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        chosen = self._chosen_language(request)
        if chosen is None:
            super().process_request(request)
            return
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()

    @staticmethod
    def _chosen_language(request: HttpRequest) -> str | None:
        if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
            return None
        session = getattr(request, "session", None)
        return supported(session.get(SESSION_LANGUAGE_KEY)) if session is not None else None
