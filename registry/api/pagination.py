"""Page-number pagination that refuses bad input instead of guessing (API.md: Conventions)."""

from django.core.paginator import InvalidPage
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 500


def parse_page_size(request, default: int) -> int:
    """Read ``page_size``: a whole number from 1 to 500; anything else is a 400 naming the parameter."""
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Must be a whole number from 1 to {MAX_PAGE_SIZE}; got {raw!r}."]})
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Number of results per page (1–{MAX_PAGE_SIZE}, default 50)."
    page_query_description = "Page number, from 1."

    def get_page_size(self, request):
        return parse_page_size(request, self.page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        raw = request.query_params.get(self.page_query_param) or "1"
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"page": [f"Must be a whole number from 1; got {raw!r}."]})
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        try:
            self.page = paginator.page(int(raw))
        except InvalidPage:
            message = f"Page {raw} is out of range (last page: {paginator.num_pages})."
            raise ValidationError({"page": [message]}) from None
        return list(self.page)


class CursorPagination(pagination.CursorPagination):
    """For tables that grow without bound: no COUNT(*), stable under concurrent inserts."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Number of results per page (1–{MAX_PAGE_SIZE}, default 50)."

    def get_page_size(self, request):
        return parse_page_size(request, self.page_size)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception:
            raise ValidationError({"cursor": ["Invalid cursor: use the `next` or `previous` link as given."]}) from None
