from django.core.paginator import Page
from django.db.models import Count, QuerySet, Window
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

# Beyond this a page number is refused rather than turned into an OFFSET the database rejects.
MAX_PAGE_NUMBER = 2**31 - 1


def check_page_number(request, paginator) -> None:
    """A ``?page=`` that is no page number is a 404, as a JSON list answers it, also where
    every page is sent at once (CSV)."""
    text = request.query_params.get(paginator.page_query_param)
    if text is None or text in paginator.last_page_strings:
        return
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_NUMBER:
        raise NotFound(paginator.invalid_page_message)


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default 25, at most 500), as API.md fixes them."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request) -> int:
        """A ``page_size`` that is not a whole number from 1 to 500 is a 400, not ignored."""
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        try:
            size = int(text)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Must be a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            elif parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters


class WindowCountPagination(PageNumberPagination):
    """The same pages, in two light queries: the page's keys with the count, then its rows.

    The plain way counts in one query and reads the page in another that joins both cities to
    every match of the filter before sorting and cutting (PostgreSQL must see all rows to sort
    them): hundreds of joins for 25 rows on a busy recipient. Here the keys of the page and the
    total (``COUNT(*) OVER ()``) come from the narrow filtered rows, and only the page's rows
    are read with their joins, from the view's ``get_page_source()``: its columns and none of
    the filters again, as instances or as ``values()`` rows keyed "id". For the match lists,
    the API's busiest (bench/api.py).

    A page past the end carries no row to read the count from: it is a 404, as with the plain
    paginator. ``?page=last`` needs the count first, so it takes the plain way.
    """

    def paginate_queryset(self, queryset, request, view=None):
        number_text = request.query_params.get(self.page_query_param) or "1"
        if not isinstance(queryset, QuerySet) or number_text in self.last_page_strings:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        page_size = self.get_page_size(request)
        try:
            number = int(number_text)
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_PAGE_NUMBER:
            raise NotFound(self.invalid_page_message)
        start = (number - 1) * page_size
        keyed = list(
            queryset.annotate(page_total=Window(Count("*"))).values_list("pk", "page_total")[
                start : start + page_size
            ]
        )
        if not keyed and number > 1:
            raise NotFound(self.invalid_page_message)
        source = view.get_page_source() if hasattr(view, "get_page_source") else queryset
        found = {_key(row): row for row in source.filter(pk__in=[key for key, _ in keyed])}
        rows = [found[key] for key, _ in keyed]
        paginator = self.django_paginator_class(queryset, page_size)
        paginator.count = keyed[0][1] if keyed else 0  # what count() would have said
        self.page = Page(rows, number, paginator)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows


def _key(row) -> object:
    return row["id"] if isinstance(row, dict) else row.pk
