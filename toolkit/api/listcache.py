"""Cached JSON pages of a list whose data has a version (the match lists of a run).

A view declares what its answer depends on besides the request (``list_cache_version()``, such
as a run's id and ``list_version``); a JSON page of that list is then kept in the cache under
that version, the path, the query string and the host (the page links are absolute), and served
from there until the version changes. The version is read before any row, and every writer
raises it in its own transaction, so a cached page is never older than the data a fresh one
would show: it may only be as new.

Authentication, permissions and throttles still run for every request (the page is looked up
in ``list()``, after them); pages are the same for every reader allowed to see the list, so a
view whose answer depends on the reader must not use this. Only 200 JSON answers are kept
(never an error, CSV or the browsable API); each carries an ``ETag`` from its key, and a
request whose ``If-None-Match`` names it gets a 304 without the cache being read.

The cache fails open (``toolkit.cache``): with Redis down every request builds its page.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

if TYPE_CHECKING:
    from rest_framework import generics, mixins

    class _ListView(mixins.ListModelMixin, generics.GenericAPIView[Any]):
        """What the mixin is used with: a list of a generic view or viewset."""

else:
    _ListView = object

# Versions make a kept page exact; the timeout only bounds how long an unread one takes room.
LIST_CACHE_TIMEOUT_S = 600
LIST_CACHE_PREFIX = "lists:page"
# The headers a kept page is answered with (the view's own, such as Allow, are added by DRF).
CACHED_CONTENT_TYPE = "application/json"


class CachedListMixin(_ListView):
    """Serve a list's JSON pages from the cache while ``list_cache_version()`` is unchanged.

    Put it first among the view's classes: a CSV answer passes through to the CSV mixin.
    """

    def list_cache_version(self) -> str | None:
        """What the list shows besides the request, as a short text; None: do not cache."""
        return None

    def list_cache_key(self, request: Request, version: str) -> str:
        query = sorted((name, value) for name, values in request.GET.lists() for value in values)
        identity = repr((request.scheme, request.get_host(), request.path, query))
        digest = hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()
        return f"{LIST_CACHE_PREFIX}:{type(self).__name__}:{version}:{digest}"

    def _cacheable(self, request: Request) -> bool:
        return request.method == "GET" and isinstance(
            getattr(request, "accepted_renderer", None), JSONRenderer
        )

    def list(self, request: Request, *args: Any, **kwargs: Any):  # type: ignore[override]
        if not self._cacheable(request):
            return super().list(request, *args, **kwargs)
        version = self.list_cache_version()
        if version is None:
            return super().list(request, *args, **kwargs)
        key = self.list_cache_key(request, version)
        etag = f'"{hashlib.blake2b(key.encode(), digest_size=16).hexdigest()}"'
        self._list_cache = (key, etag)
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            response: HttpResponse = HttpResponseNotModified()
        else:
            body = cache.get(key)
            if body is None:
                return super().list(request, *args, **kwargs)
            response = HttpResponse(body, content_type=CACHED_CONTENT_TYPE)
        response["ETag"] = etag
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        kept = getattr(self, "_list_cache", None)
        if kept is not None and isinstance(response, Response) and response.status_code == 200:
            key, etag = kept
            # Rendered now rather than by the handler, so the bytes can be kept.
            response.render()
            cache.set(key, response.content, LIST_CACHE_TIMEOUT_S)
            response["ETag"] = etag
        return response
