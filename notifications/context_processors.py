"""The navigation's unread count: one query, only when a template reads it, once a request."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .services import unread_count


def unread_notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {"unread_notifications": 0}
    # Kept on the request: every template rendered for it shares the one count.
    cached = getattr(request, "_citymatch_unread", None)
    if cached is None:
        cached = SimpleLazyObject(lambda: unread_count(user))
        request._citymatch_unread = cached  # type: ignore[attr-defined]
    return {"unread_notifications": cached}
