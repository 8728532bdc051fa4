"""Pagination of API lists."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class StudioPagination(PageNumberPagination):
    """Page-numbered lists; clients may ask for up to 500 items a page with `page_size`."""

    page_size_query_param = "page_size"
    max_page_size = 500
