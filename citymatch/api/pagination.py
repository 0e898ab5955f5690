from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default 25, at most 500), as API.md fixes them."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 500
