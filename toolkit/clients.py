"""Who is asking: the client's address, as the proxies in front of the server report it."""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str | None:
    """The client's IP address (django-axes counts failed sign-ins per address).

    Behind ``TRUSTED_PROXY_COUNT`` proxies, each appends the address it saw to X-Forwarded-For,
    so the client's is that many entries from the right; entries further left were sent by
    the client and are not trusted.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) >= proxies:
        return forwarded[-proxies]
    return forwarded[0] if forwarded else remote
