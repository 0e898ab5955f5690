"""Behaviour every CityMatch list shares: filters from a FilterSet, CSV export, JSON errors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings

from toolkit.api.filtering import FilterBackend
from toolkit.api.pagination import check_page_number
from toolkit.csv import csv_lines, csv_response

from .renderers import CSVLayout, CSVRenderer

# Rows serialised at once while streaming a CSV file: big enough to keep the number of queries
# low (a chunk of cities costs three), small enough to keep memory flat on huge lists.
CSV_CHUNK_SIZE = 1000

if TYPE_CHECKING:
    from rest_framework import generics, mixins

    class _ListView(mixins.ListModelMixin, generics.GenericAPIView[Any]):
        """What the mixin is used with: a list of a generic view or viewset."""

else:
    _ListView = object


class CSVExportMixin(_ListView):
    """``?format=csv`` on a list streams every row that matches the filters, unpaginated.

    Put it before a generic view or viewset that lists (``ListModelMixin``).
    """

    # DRF's settings give the default renderers as classes (they are imported from the dotted
    # paths of REST_FRAMEWORK); the stubs type them as the paths.
    renderer_classes: Sequence[type[BaseRenderer]] = [
        *cast("Sequence[type[BaseRenderer]]", api_settings.DEFAULT_RENDERER_CLASSES),
        CSVRenderer,
    ]
    # The filters live in the resource's FilterSet (shared with the web page), ordering too.
    filter_backends = [FilterBackend]
    csv_filename = "export"
    csv_layout = CSVLayout()

    def get_csv_filename(self) -> str:
        """The name of the file, without the site's prefix and the date."""
        return self.csv_filename

    def wants_csv(self) -> bool:
        renderer = getattr(self.request, "accepted_renderer", None)
        return isinstance(renderer, CSVRenderer)

    # DRF answers whatever HttpResponseBase a handler returns; the stubs say Response only.
    def list(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response | StreamingHttpResponse:
        if self.wants_csv():
            # CSV has every page, but a bad page_size is still a 400, as for JSON.
            if self.paginator is not None and hasattr(self.paginator, "get_page_size"):
                self.paginator.get_page_size(request)
                check_page_number(request, self.paginator)
            return self.csv_response(self.filter_queryset(self.get_queryset()))
        return super().list(request, *args, **kwargs)

    def csv_response(self, objects: QuerySet | Iterable) -> StreamingHttpResponse:
        # A list's serializer is a Serializer: its fields are the columns.
        header = self.csv_layout.header(cast(Serializer, self.get_serializer()))
        stamp = timezone.localdate().isoformat()
        return csv_response(
            csv_lines(header, self.csv_rows(objects), escape=False),
            filename=f"citymatch-{self.get_csv_filename()}-{stamp}.csv",
        )

    def csv_rows(self, objects: QuerySet | Iterable) -> Iterator[dict]:
        if isinstance(objects, QuerySet):
            # chunk_size lets prefetch_related work chunk by chunk on the iterator.
            objects = objects.iterator(chunk_size=CSV_CHUNK_SIZE)
        iterator = iter(objects)
        while chunk := list(islice(iterator, CSV_CHUNK_SIZE)):
            for item in self.get_serializer(chunk, many=True).data:
                yield self.csv_layout.row(item)

    def finalize_response(self, request, response, *args, **kwargs):
        # An error is a message for a person or a program, never a spreadsheet: answer it in
        # JSON even when CSV was asked for.
        if isinstance(response, Response) and response.status_code >= 400 and self.wants_csv():
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
