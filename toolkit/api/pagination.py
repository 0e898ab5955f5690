import json
from collections.abc import Iterable

from django.core.paginator import Page
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext
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
                {
                    "page_size": [
                        gettext("Must be a whole number from 1 to %(maximum)s.")
                        % {"maximum": self.max_page_size}
                    ]
                }
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


# Lists count their rows exactly up to this many; past it, ``count`` is the database's estimate.
COUNT_EXACT_UP_TO = 1_000


class WindowCountPagination(PageNumberPagination):
    """The same pages, in light queries: the page's keys, a bounded count, then its rows.

    The plain way counts in one query and reads the page in another that joins both cities to
    every match of the filter before sorting and cutting (PostgreSQL must see all rows to sort
    them): hundreds of joins for 25 rows on a busy recipient. Here the keys of the page come
    from the narrow filtered rows, in the list's order, from an index that holds that order;
    only the page's rows are read with their joins, by the view's ``get_page_rows(keys)``
    (its columns and none of the filters again, as instances or as ``values()`` rows keyed
    "id"; without it, the filtered queryset's own rows).

    Counting every match of a run (600,000 at 10,000 cities) cost a second per page, so the
    count stops at ``COUNT_EXACT_UP_TO`` + 1 rows (or the end of the page asked for, if
    further): up to there ``count`` is exact; past it, it is PostgreSQL's estimate for the
    filter (never below the rows seen), and the page links follow it. API.md documents this.

    A page past the end carries no row: it is a 404, as with the plain paginator.
    ``?page=last`` needs the count first, so it takes the plain way.
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
        keys = list(queryset.values_list("pk", flat=True)[start : start + page_size])
        if not keys and number > 1:
            raise NotFound(self.invalid_page_message)
        found = {_key(row): row for row in self._rows_of(keys, queryset, view)} if keys else {}
        # A key whose row has gone between the two queries (its run dropped, its city deleted)
        # is left out of the page rather than failing the request.
        rows = [found[key] for key in keys if key in found]
        paginator = self.django_paginator_class(queryset, page_size)
        if len(keys) < page_size:
            # The last page: the count is known without counting (most narrow filters).
            paginator.count = start + len(keys)
        else:
            # In no order, a query of its own: read in the list's order up to the bound, a
            # sparse filter (donors of one country in one area) walked the score index far.
            paginator.count = bounded_count(queryset, at_least=start + page_size)
        self.page = Page(rows, number, paginator)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows

    @staticmethod
    def _rows_of(keys: list, queryset: QuerySet, view) -> Iterable:
        page_rows = getattr(view, "get_page_rows", None)
        return page_rows(keys) if page_rows else queryset.filter(pk__in=keys)

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["description"] = (
            f"Rows the filters select: exact up to {COUNT_EXACT_UP_TO:,}; above, the "
            "database's estimate (never below the rows the pages so far hold)."
        )
        return answer


def bounded_count(queryset: QuerySet, *, at_least: int = 0) -> int:
    """The rows of ``queryset``: exact up to ``COUNT_EXACT_UP_TO`` (or ``at_least``), else an
    estimate. The bounded count reads ids in no order, stopping at the bound."""
    reach = max(COUNT_EXACT_UP_TO, at_least) + 1
    ids = queryset.order_by().values("pk")
    seen = ids[:reach].count()
    if seen < reach:
        return seen
    return max(reach, estimated_count(ids))


def estimated_count(queryset: QuerySet) -> int:
    """The planner's estimate of the rows (PostgreSQL), or the exact count elsewhere."""
    if connections[queryset.db].vendor != "postgresql":
        return queryset.count()
    plan = json.loads(queryset.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _key(row) -> object:
    return row["id"] if isinstance(row, dict) else row.pk
