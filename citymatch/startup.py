"""Checks the servers run before they accept any request."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_development_key() -> None:
    """A production server (DEBUG off) never runs on the published development key: anyone
    could forge its sessions, password-reset links and signed values."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            'SECRET_KEY is not set. Set it to a long random value (python -c "import secrets; '
            "print(secrets.token_urlsafe(50))\"), or DEBUG=true on a developer's machine."
        )
